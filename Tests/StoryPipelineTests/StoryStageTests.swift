import Foundation
import PipelineKit
import PipelineKitTesting
import StoryModels
import Testing

@testable import StoryPipeline

/// The story stages' typed parameters: decoded strictly, before the run, with the declared ranges; and the adapter
/// that records what a stage used.
@Suite struct StoryStageTests {
    static func studio(_ json: String) throws -> StoryStudio {
        let store = try temporaryDirectory("stage-params")
        let configuration = try StoryConfiguration.decode(json: Data(json.utf8))
        return try StoryStudio(store: store, configuration: configuration, providers: .offline(), ffmpeg: nil)
    }

    static func message(_ json: String) -> String? {
        do {
            _ = try studio(json)
            return nil
        } catch {
            return (error as? StoryPipelineError)?.message ?? "\(error)"
        }
    }

    @Test(arguments: [
        // Unknown keys, with the known ones listed.
        (
            #"{"pipeline": {"stages": {"script": {"parameters": {"max_wrods": 100}}}}}"#,
            "pipeline.stages.script.parameters.max_wrods: unknown parameter (known: max_words, speech_rate)"
        ),
        (
            #"{"pipeline": {"stages": {"select-idea": {"parameters": {"x": 1}}}}}"#,
            "pipeline.stages.select-idea.parameters.x: unknown parameter (the stage reads no parameters)"
        ),
        // Wrong types and values out of range: the same messages as the declarations give.
        (
            #"{"pipeline": {"stages": {"revise": {"parameters": {"max_revisions": "2"}}}}}"#,
            "pipeline.stages.revise.parameters.max_revisions: must be an integer in 0…10, got a string"
        ),
        (
            #"{"pipeline": {"stages": {"revise": {"parameters": {"max_revisions": 2.5}}}}}"#,
            "pipeline.stages.revise.parameters.max_revisions: must be an integer in 0…10, got 2.5"
        ),
        (
            #"{"pipeline": {"stages": {"qc": {"parameters": {"warn_only": 1}}}}}"#,
            "pipeline.stages.qc.parameters.warn_only: must be true or false, got 1"
        ),
        (
            #"{"pipeline": {"stages": {"assemble": {"parameters": {"preset": "ludicrous"}}}}}"#,
            "pipeline.stages.assemble.parameters.preset: must be one of"
        ),
        // A check across parameters, found before the run too.
        (
            #"{"pipeline": {"stages": {"shots": {"parameters": {"min_seconds": 4, "max_seconds": 6}}}}}"#,
            "pipeline.stages.shots.parameters.max_seconds: must be at least 2 × min_seconds (4), got 6"
        ),
    ])
    func badParametersStopTheStudioWithTheirPath(json: String, expected: String) throws {
        let message = try #require(Self.message(json))
        #expect(message.hasPrefix(expected), "\(message)")
    }

    @Test func goodParametersDecodeIntoTheStagesTypes() throws {
        let parameters = StageParameters([
            "threshold": .number(75), "max_revisions": .number(0), "max_words": .number(120),
        ])
        let decoded = try ReviseScript.decodeParameters(parameters)
        #expect(decoded.threshold == 75 && decoded.maxRevisions == 0 && decoded.maxWords == 120)
        let defaults = try AssembleVideo.decodeParameters(StageParameters())
        #expect(defaults.width == 1080 && defaults.crf == 20 && defaults.truePeak == -1.5 && !defaults.softSubtitles)
        #expect(throws: StoryPipelineError.self) {
            try WriteScript.decodeParameters(StageParameters(["max_words": .number(1e300)]))
        }
        // The declarations the runner checks are the Parameters' own.
        #expect(WriteScript.parameters?.map(\.name) == ["max_words", "speech_rate"])
        #expect(SelectIdea.parameters?.isEmpty == true)
    }

    struct Tagline: StoryStage {
        static let id: StageID = "tagline"
        static let version = 1
        struct Parameters: StoryStageParameters {
            static let suffix = StageParameter.string("suffix", maxLength: 20)
            static let declarations = [suffix]
            var suffix = "!"
            init(from decoder: any Decoder) throws {
                suffix = try StageParameterReader(decoder).string(Self.suffix) ?? suffix
            }
        }
        func run(_ state: inout StoryState, parameters: Parameters, context: StageContext) async throws
            -> StoryStageReport?
        {
            var idea = try state.required(\.idea)
            idea.title += parameters.suffix
            state.idea = idea
            return StoryStageReport(provider: "rules", model: "tagline")
        }
    }

    static func context(_ parameters: StageParameters = StageParameters()) -> StageContext {
        StageContext(
            runID: "test", stageID: Tagline.id, logger: .init(label: "test"), artifacts: InMemoryArtifactStore(),
            configuration: parameters)
    }

    @Test func theAdapterDecodesRunsAndRecordsAndAMissingInputNamesItsStage() async throws {
        var state = StoryState(request: StoryRequest(topic: "t"))
        await #expect {
            _ = try await Tagline().run(state, context: Self.context())
        } throws: {
            ($0 as? StoryPipelineError)?.message == "the chosen idea is missing: run the select-idea stage first"
        }
        state.idea = StoryIdea(
            id: "i", title: "Night Train", logline: "l", tone: "t", theme: "t", narrator: "n", targetAudience: "a",
            language: "en")
        let out = try await Tagline().run(state, context: Self.context(StageParameters(["suffix": .string("?")])))
        #expect(out.idea?.title == "Night Train?")
        let record = try #require(out.stageRecords.last)
        #expect(record.stage == "tagline" && record.provider == "rules" && record.model == "tagline")
        #expect(record.duration >= 0)
        await #expect {
            _ = try await Tagline().run(state, context: Self.context(StageParameters(["sufix": .string("?")])))
        } throws: { ($0 as? StoryPipelineError)?.message.contains("stages.tagline.parameters.sufix") == true }
    }
}
