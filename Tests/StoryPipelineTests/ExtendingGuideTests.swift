import Foundation
import MediaIO
import OfflineProviders
import PipelineKit
import ProviderKit
import StoryModels
import StoryPipeline
import Synchronization
import Testing

// The code of Docs/Extending.md, compiled and run.

struct AddCallToAction: StoryStage {
    static let id: StageID = "call-to-action"
    static let version = 1

    struct Parameters: StoryStageParameters {
        static let line = StageParameter.string("line", maxLength: 200)
        static let declarations = [line]
        var line = "Follow for the next story."

        init(from decoder: any Decoder) throws {
            line = try StageParameterReader(decoder).string(Self.line) ?? line
        }
    }

    func run(_ state: inout StoryState, parameters: Parameters, context: StageContext) async throws
        -> StoryStageReport?
    {
        var script = try state.required(\.script)
        let text = script.current.text + " " + parameters.line
        _ = try script.append(.enhanced, text: text, from: script.current.number, score: script.current.score)
        state.script = script
        return StoryStageReport(provider: "rules", model: "call-to-action")
    }
}

struct HouseStyle: TextGenerator {
    let base: any TextGenerator
    let style: String

    // The style changes what the model writes, so it is part of the identity (and of every cache key).
    var identity: ProviderIdentity {
        ProviderIdentity(
            name: "house-style+\(base.identity.name)", models: base.identity.models,
            configuration: ["style": style, "base": base.identity.fingerprint])
    }
    var capabilities: ProviderCapabilities { base.capabilities }
    func checkHealth() async throws -> HealthReport { try await base.checkHealth() }

    func generate(_ request: ChatRequest) async throws -> ChatResponse {
        try await base.generate(styled(request))
    }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamPart, any Error> {
        base.stream(styled(request))
    }

    private func styled(_ request: ChatRequest) -> ChatRequest {
        var request = request
        request.messages.insert(.system(style), at: 0)
        return request
    }
}

/// A host's own voice stage; this one speaks with the studio's synthesizer.
struct MyVoice: StoryStage {
    static let id: StageID = "my-voice"
    static let version = 1
    let services: StoryServices

    func run(_ state: inout StoryState, parameters: NoStageParameters, context: StageContext) async throws
        -> StoryStageReport?
    {
        state = try await SynthesizeVoice(services: services).run(state, context: context)
        return nil
    }
}

/// Records the requests that reach it, to check the decorator's effect.
final class RecordingWriter: TextGenerator, Sendable {
    let requests = Mutex<[ChatRequest]>([])
    let base = TemplateStoryWriter()
    var identity: ProviderIdentity { base.identity }
    var capabilities: ProviderCapabilities { base.capabilities }
    func checkHealth() async throws -> HealthReport { try await base.checkHealth() }
    func generate(_ request: ChatRequest) async throws -> ChatResponse {
        requests.withLock { $0.append(request) }
        return try await base.generate(request)
    }
    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamPart, any Error> { base.stream(request) }
}

@Suite struct ExtendingGuideTests {
    @Test func theGuidesStageAndProviderWorkInAPipelineOfTheHostsOwn() async throws {
        let store = try temporaryDirectory("guide")
        defer { try? FileManager.default.removeItem(at: store) }
        let recorder = RecordingWriter()
        let providers = StoryProviders(
            text: HouseStyle(base: recorder, style: "Write for children: short words, no fright."),
            speech: EspeakSpeechSynthesizer(), images: ProceduralImageGenerator())
        var configuration = StoryConfiguration()
        configuration.pipeline.stages["call-to-action"] = StageConfiguration(
            parameters: StageParameters(["line": .string("Part two tomorrow.")]))
        let studio = try StoryStudio(
            store: store, configuration: configuration, providers: providers, ffmpeg: try await FFmpeg.locate()
        ) { services in
            Pipeline("story-with-cta") {
                GenerateIdeas(services: services)
                SelectIdea(services: services)
                WriteScript(services: services)
                ReviseScript(services: services)
                AddCallToAction()
                PlanShots(services: services)
            }
        }
        let state = try await studio.runner.run(studio.pipeline(), input: studio.request(topic: "a night train"))
        #expect(state.script?.current.text.hasSuffix("Part two tomorrow.") == true)
        #expect(state.shotlist?.shots.last?.narration.text.hasSuffix("Part two tomorrow.") == true)
        let requests = recorder.requests.withLock { $0 }
        #expect(requests.count >= 3)
        #expect(requests.allSatisfy { $0.messages.first?.content == "Write for children: short words, no fright." })
        #expect(studio.request().providers.contains("house-style+template"))
        let script = try #require(state.stageRecords.first { $0.stage == WriteScript.id.rawValue })
        #expect(script.provider == "house-style+template")
        #expect(state.stageRecords.contains { $0.stage == "call-to-action" && $0.model == "call-to-action" })
    }

    @Test func theGuidesEditedDefaultPipelineBuilds() throws {
        let store = try temporaryDirectory("guide-edit")
        defer { try? FileManager.default.removeItem(at: store) }
        let providers = StoryProviders.offline()
        let studio = try StoryStudio(store: store, providers: providers, ffmpeg: nil) { services in
            try StoryStudio.defaultPipeline(services: services)
                .inserting(AddCallToAction(), after: ReviseScript.self)
                .replacing(SynthesizeVoice.self, with: MyVoice(services: services))
                .removing(UpscaleKeyframes.self)
        }
        let ids = studio.pipeline().stages.map(\.id.rawValue)
        #expect(ids.contains("call-to-action") && ids.contains("my-voice") && !ids.contains("voice"))
        #expect(!ids.contains("upscale"))
    }

    @Test func aHostReplacesInsertsAndRemovesStagesOfTheDefaultPipelineWithoutCopyingIt() throws {
        let services = StoryServices(
            providers: .offline(), ffmpeg: nil, library: nil, workDirectory: try temporaryDirectory("edit"))
        let standard = StoryStudio.defaultPipeline(services: services)
        let edited = try standard.inserting(AddCallToAction(), after: ReviseScript.self)
            .replacing(ReviseScript.self, with: AddCallToAction.Renamed())
            .removing(UpscaleKeyframes.self)
        let ids = edited.stages.map(\.id.rawValue)
        #expect(ids.contains("call-to-action"))
        #expect(ids.firstIndex(of: "call-to-action") == ids.firstIndex(of: "cta-revise").map { $0 + 1 })
        #expect(!ids.contains(ReviseScript.id.rawValue))
        #expect(!ids.contains(UpscaleKeyframes.id.rawValue))
        #expect(ids.count == standard.stages.count)
        // The replacement keeps the replaced stage's retry (the text provider has none of its own).
        let replaced = try #require(edited.stages.first { $0.id == "cta-revise" })
        let failure = StoryPipelineError.provider("503", underlying: ProviderError.server("503", statusCode: 503))
        #expect(replaced.options.retry.strategy.delay(afterAttempt: 2, error: failure) != nil)
        #expect(replaced.options.retry.strategy.delay(afterAttempt: 3, error: failure) == nil)
        #expect(throws: PipelineError.self) { try edited.removing(ReviseScript.self) }
        #expect(throws: PipelineError.self) { try edited.inserting(AddCallToAction(), after: WriteScript.self) }
    }
}

extension AddCallToAction {
    /// The same work under another id, to stand in for a stage.
    struct Renamed: StoryStage {
        static let id: StageID = "cta-revise"
        static let version = 1
        func run(_ state: inout StoryState, parameters: NoStageParameters, context: StageContext) async throws
            -> StoryStageReport?
        { nil }
    }
}
