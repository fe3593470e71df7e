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
        (
            #"{"story": {"target_seconds": 2}}"#,
            "story.target_seconds: must be a number between 5 and 1200 seconds, got 2"
        ),
        (#"{"providers": {"txt": "openai"}}"#, "providers.txt: unknown key"),
        (
            #"{"render": {"width": 1081, "height": 1920}}"#,
            "render.width: must be an even integer in 64…4096 pixels, got 1081"
        ),
        (#"{"pipeline": {"stages": {"voice": {"retry": {"max_attempts": "x"}}}}}"#, "pipeline."),
        ("[1, 2]", "the top level must be a JSON object"),
        ("{", "line 1, column 2: expected a key in double quotes, found the end of the file"),
    ])
    func mistakesAreReportedWithTheirPath(json: String, expected: String) {
        #expect {
            _ = try StoryConfiguration.decode(json: Data(json.utf8))
        } throws: { error in
            guard let error = error as? StoryPipelineError, error.code == .invalidConfiguration else { return false }
            return error.message.contains(expected)
        }
    }

    /// The messages exactly, for the values the issue reported (a seed of 1e30 said "story.not valid JSON").
    static let hostile: [(json: String, expected: String)] = [
        (#"{"story": {"seed": 1e30}}"#, "story.seed: must be an integer in 0…2^63−1, got 1e+30"),
        (#"{"story": {"seed": 1.5}}"#, "story.seed: must be an integer in 0…2^63−1, got 1.5"),
        (#"{"story": {"seed": -1}}"#, "story.seed: must be an integer in 0…2^63−1, got -1"),
        (
            #"{"story": {"seed": 18446744073709551616}}"#,
            "story.seed: must be an integer in 0…2^63−1, got 1.8446744073709552e+19"
        ),
        (#"{"story": {"seed": "7"}}"#, "story.seed: must be an integer in 0…2^63−1, got a string"),
        (#"{"story": {"seed": null}}"#, "story.seed: must be an integer in 0…2^63−1, got null"),
        (#"{"story": {"idea_count": 1e300}}"#, "story.idea_count: must be an integer in 1…10, got 1e+300"),
        (#"{"render": {"width": 100000}}"#, "render.width: must be an even integer in 64…4096 pixels, got 100000"),
        (#"{"render": {"fps": 0}}"#, "render.fps: must be an integer in 1…120, got 0"),
        (#"{"render": {"loudness": 3}}"#, "render.loudness: must be a number between -70 and -5 LUFS, got 3"),
        (
            #"{"pipeline": {"stages": {"voice": {"retry": {"max_attempts": 3, "initial_delay": 1e300}}}}}"#,
            "pipeline.stages.voice.retry.initial_delay: must be between 0 and 3600 seconds, got 1e+300"
        ),
        (
            #"{"pipeline": {"stages": {"voice": {"retry": {"maxAttempts": 3}}}}}"#,
            "pipeline.stages.voice.retry.maxAttempts: renamed to max_attempts"
        ),
        (
            #"{"pipeline": {"stages": {"music": {"continueOnError": true}}}}"#,
            "pipeline.stages.music.continueOnError: renamed to continue_on_error"
        ),
        (
            #"{"pipeline": {"stages": {"assemble": {"timeout": 1e25}}}}"#,
            "pipeline.stages.assemble.timeout: must be between 0.001 and 86400 seconds, got 1e+25"
        ),
        (
            "{\n  \"story\": {\n    \"seed\": 7,\n    \"topic\": \"x\"\n  },,\n}",
            "line 5, column 5: expected a key in double quotes, found ','"
        ),
        (
            "{\"story\": {\"seed\": \(String(repeating: "9", count: 400))}}",
            "story.seed: line 1, column 20: the number 99999999999999999999… (400 characters) is out of range"
        ),
        (
            "{\"story\": {\"topic\": 'x'}}",
            "story.topic: line 1, column 21: expected a value, found \"'\" (strings take double quotes)"
        ),
        ("{\"story\": {\"seed\": 1, \"seed\": 2}}", "story.seed: line 1, column 23: duplicate key \"seed\""),
    ]

    @Test(arguments: hostile)
    func hostileValuesGetAMessageAPersonCanActOn(json: String, expected: String) {
        let error = #expect(throws: StoryPipelineError.self) { try StoryConfiguration.decode(json: Data(json.utf8)) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.hasPrefix(expected) == true, "\(error?.message ?? "")")
    }

    @Test func aWholeSeedKeepsEveryBit() throws {
        let configuration = try StoryConfiguration.decode(json: Data(#"{"story": {"seed": 9223372036854775807}}"#.utf8))
        #expect(configuration.story.seed == Int.max)
    }

    @Test func stageParametersOutOfRangeStopTheStudioBeforeAnythingRuns() throws {
        let store = try temporaryDirectory("params")
        defer { try? FileManager.default.removeItem(at: store) }
        let configuration = try StoryConfiguration.decode(
            json: Data(#"{"pipeline": {"stages": {"keyframes": {"parameters": {"width": 1e300}}}}}"#.utf8))
        #expect {
            _ = try StoryStudio(store: store, configuration: configuration, providers: .offline(), ffmpeg: nil)
        } throws: {
            ($0 as? StoryPipelineError)?.message
                == "pipeline.stages.keyframes.parameters.width: must be an integer in 16…4096 pixels, got 1e+300"
        }
        var inCode = StoryConfiguration(providers: .offline)
        inCode.render.width = 100_000
        #expect(
            inCode.issues.map(\.description) == ["render.width: must be an even integer in 64…4096 pixels, got 100000"])
        #expect {
            _ = try StoryStudio(store: store, configuration: inCode, providers: .offline(), ffmpeg: nil)
        } throws: {
            ($0 as? StoryPipelineError)?.message.contains("pipeline.stages.assemble.parameters.width") == true
        }
    }

    @Test func aConfigurationFileThatIsNotARegularFileIsRefusedWithoutBlocking() throws {
        let directory = try temporaryDirectory("config-file")
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("config.json")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let error = #expect(throws: StoryPipelineError.self) { try StoryConfiguration.load(contentsOf: fifo) }
        #expect(error?.message == "the configuration file: \(fifo.path) is not a regular file")
        let broken = directory.appendingPathComponent("broken.json")
        try Data("{\"render\": {\"width\": 1080,\n  \"height\" 1920}}".utf8).write(to: broken)
        let syntax = #expect(throws: StoryPipelineError.self) { try StoryConfiguration.load(contentsOf: broken) }
        #expect(
            syntax?.message
                == "broken.json: render.height: line 2, column 12: expected ':' after the key \"height\", found '1'")
    }

    @Test func unknownProvidersAndMissingKeysAreClearErrors() async throws {
        let file = try temporaryDirectory("providers").appendingPathComponent("story.json")
        for (json, named) in [
            (#"{"providers": {"text": "gpt-9"}}"#, #"unknown provider "gpt-9""#),
            // A provider that cannot do the job is refused as the file is read, not when the run needs it.
            (#"{"providers": {"speech": "ollama"}}"#, #"unknown provider "ollama" (auto, elevenlabs, openai, espeak)"#),
        ] {
            try Data(json.utf8).write(to: file)
            #expect {
                _ = try StoryConfiguration.load(contentsOf: file)
            } throws: { "\($0)".contains(named) }
        }
        await #expect {
            _ = try await StoryProviders.fromEnvironment([:], selection: .init(text: .openAI))
        } throws: { ($0 as? StoryPipelineError)?.message.contains("OPENAI_API_KEY") == true }
        await #expect {
            _ = try await StoryProviders.fromEnvironment([:], selection: .init(speech: .ollama))
        } throws: { ($0 as? StoryPipelineError)?.message.contains("providers.speech: unknown provider") == true }
    }

    @Test func keysInTheEnvironmentChooseCloudProvidersAndNeverShowInTheNotes() async throws {
        let environment = ["OPENAI_API_KEY": "sk-secret-123", "ELEVENLABS_API_KEY": "el-secret-456"]
        let (providers, notes) = try await StoryProviders.fromEnvironment(environment)
        #expect(providers.textRecord == .init(provider: "openai-compatible", model: "gpt-4o-mini"))
        #expect(providers.speechRecord.provider == "elevenlabs")
        #expect(providers.imageRecord == .init(provider: "openai-compatible", model: "dall-e-3"))
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
