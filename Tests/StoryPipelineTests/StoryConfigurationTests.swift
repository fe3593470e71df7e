import Foundation
import PipelineKit
import Testing

@testable import StoryPipeline

@Suite struct StoryConfigurationTests {
    @Test func aFullFileDecodesAndRoundTrips() throws {
        let json = """
            {
              "story": { "topic": "a night train", "seed": 7, "target_seconds": 30, "language": "en", "idea_count": 2 },
              "providers": { "text": "template", "speech": "espeak", "images": "procedural", "espeak_voice": "en-gb" },
              "render": { "width": 720, "height": 1280, "fps": 25, "loudness": -16 },
              "pipeline": { "durability": "sync", "stages": { "upscale": { "enabled": false },
                "qc": { "parameters": { "warn_only": true } } } }
            }
            """
        let configuration = try StoryConfiguration.decode(json: Data(json.utf8))
        #expect(configuration.story.targetSeconds == 30)
        #expect(configuration.providers.espeakVoice == "en-gb")
        #expect(configuration.render.fps == 25)
        #expect(configuration.pipeline.stages["upscale"]?.enabled == false)
        #expect(try StoryConfiguration.decode(json: configuration.jsonData()) == configuration)

        let effective = configuration.effectivePipeline
        #expect(effective.stages["assemble"]?.parameters?.number("width") == 720)
        #expect(effective.stages["qc"]?.parameters?.number("loudness") == -16)
        #expect(effective.stages["qc"]?.parameters?.bool("warn_only") == true)
        #expect(effective.stages["upscale"]?.parameters?.number("fps") == nil)
    }

    @Test(arguments: [
        (#"{"stroy": {}}"#, "stroy: unknown key"),
        (#"{"story": {"topic": 3}}"#, "story.topic"),
        (#"{"story": {"target_seconds": 2}}"#, "story.target_seconds: must be 5…600"),
        (#"{"providers": {"txt": "openai"}}"#, "providers.txt: unknown key"),
        (#"{"render": {"width": 1081, "height": 1920}}"#, "render: width and height must be even"),
        (#"{"pipeline": {"stages": {"voice": {"retry": {"maxAttempts": "x"}}}}}"#, "pipeline."),
        ("[1, 2]", "the top level must be a JSON object"),
        ("{", "not valid JSON"),
    ])
    func mistakesAreReportedWithTheirPath(json: String, expected: String) {
        #expect {
            _ = try StoryConfiguration.decode(json: Data(json.utf8))
        } throws: { error in
            guard let error = error as? StoryPipelineError, error.code == .invalidConfiguration else { return false }
            return error.message.contains(expected)
        }
    }

    @Test func unknownProvidersAndMissingKeysAreClearErrors() async {
        await #expect {
            _ = try await StoryProviders.resolve(.init(text: "gpt-9"), environment: [:])
        } throws: { ($0 as? StoryPipelineError)?.message.contains("unknown provider \"gpt-9\"") == true }
        await #expect {
            _ = try await StoryProviders.resolve(.init(text: "openai"), environment: [:])
        } throws: { ($0 as? StoryPipelineError)?.message.contains("OPENAI_API_KEY") == true }
    }

    @Test func keysInTheEnvironmentChooseCloudProvidersAndNeverShowInTheNotes() async throws {
        let environment = ["OPENAI_API_KEY": "sk-secret-123", "ELEVENLABS_API_KEY": "el-secret-456"]
        let (providers, notes) = try await StoryProviders.resolve(.automatic, environment: environment)
        #expect(providers.textName == "openai-compatible")
        #expect(providers.speechName == "elevenlabs")
        #expect(providers.imageName == "openai-compatible")
        #expect(!providers.isOffline)
        #expect(!notes.joined().contains("secret"))
        #expect(!providers.fingerprint.contains("secret"))
    }

    @Test func aStageConfigurationForAnUnknownStageIsRejectedBeforeAnythingRuns() throws {
        var configuration = StoryConfiguration(providers: .offline)
        configuration.pipeline.stages["vioce"] = StageConfiguration(enabled: false)
        let store = try temporaryDirectory("config")
        defer { try? FileManager.default.removeItem(at: store) }
        #expect {
            _ = try StoryStudio(store: store, configuration: configuration, providers: .offline(), ffmpeg: nil)
        } throws: { ($0 as? StoryPipelineError)?.message.contains("pipeline.stages.vioce") == true }
    }
}
