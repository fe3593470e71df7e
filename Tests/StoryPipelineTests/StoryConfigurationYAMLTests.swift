import Foundation
import PipelineKit
import Testing

@testable import StoryPipeline

/// YAML configuration files: read into the structure a JSON file has and checked by the same code, so every check
/// (unknown and renamed keys, ranges, types) applies with the same path, and YAML that cannot be read says where.
@Suite struct StoryConfigurationYAMLTests {
    static let json = """
        {
          "story": { "topic": "a night train", "seed": 7, "target_seconds": 30, "language": "en", "idea_count": 2 },
          "providers": { "text": "template", "speech": "espeak", "images": "procedural", "espeak_voice": "en-gb" },
          "render": { "width": 720, "height": 1280, "fps": 25, "loudness": -16 },
          "pipeline": { "durability": "sync", "stages": {
            "upscale": { "enabled": false },
            "voice": { "retry": { "max_attempts": 4, "initial_delay": 0.5, "max_delay": 8 }, "timeout": 30 },
            "qc": { "parameters": { "warn_only": true } } } }
        }
        """

    static let yaml = """
        # The same configuration as `json`, in block style.
        story:
          topic: a night train
          seed: 7
          target_seconds: 30
          language: en
          idea_count: 2
        providers: { text: template, speech: espeak, images: procedural, espeak_voice: en-gb }
        render:
          width: 720
          height: 1280
          fps: 25
          loudness: -16
        pipeline:
          durability: sync
          stages:
            upscale:
              enabled: false
            voice:
              retry:
                max_attempts: 4
                initial_delay: 0.5
                max_delay: 8
              timeout: 30
            qc:
              parameters:
                warn_only: true

        """

    @Test func aYAMLFileGivesTheConfigurationOfItsJSONEquivalent() throws {
        let fromJSON = try StoryConfiguration.decode(json: Data(Self.json.utf8))
        let fromYAML = try StoryConfiguration.decode(yaml: Data(Self.yaml.utf8))
        #expect(fromYAML == fromJSON)
        #expect(fromYAML.pipeline.stages["voice"]?.retry?.maxAttempts == 4)
        #expect(fromYAML.story.topic == "a night train")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yaml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["story.yaml", "story.YML"] {
            let file = directory.appendingPathComponent(name)
            try Data(Self.yaml.utf8).write(to: file)
            #expect(try StoryConfiguration.load(contentsOf: file) == fromJSON)
        }
    }

    @Test(arguments: [
        ("story:\n  topic: [unclosed\nrender: {}\n", "story.yaml: line 3, column 7:"),
        ("story:\n  topic: a\n   seed: 7\n", "story.yaml: line 3, column 8:"),
        // Yams places a duplicate key at the start of its mapping.
        ("story:\n  seed: 1\n  seed: 2\n", "story.yaml: line 2, column 3: duplicate key seed"),
        ("render:\n  width: .inf\n", "story.yaml: line 2, column 10: .inf: not a number"),
        ("render:\n  width: 0x400\n", "story.yaml: line 2, column 10: 0x400: not a number"),
        ("render:\n  loudness: 1e999\n", "story.yaml: line 2, column 13: 1e999: out of the range of a number"),
    ])
    func yamlThatCannotBeReadSaysTheLineAndColumn(yaml: String, expected: String) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("yaml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("story.yaml")
        try Data(yaml.utf8).write(to: file)
        let error = #expect(throws: StoryPipelineError.self) { try StoryConfiguration.load(contentsOf: file) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.hasPrefix(expected) == true, "\(error?.message ?? "")")
    }

    /// JSON is YAML's flow style: every hostile JSON document of the JSON tests, read as YAML, gets the same message
    /// (or, where JSON reports a syntax error with its place, a YAML error with its place).
    @Test(arguments: StoryConfigurationTests.hostile)
    func hostileValuesInYAMLGetTheSameMessageAsInJSON(json: String, expected: String) {
        // A single-quoted string is YAML (JSON's error for it is the one thing YAML accepts).
        if expected.contains("strings take double quotes") {
            #expect(throws: Never.self) { try StoryConfiguration.decode(yaml: Data(json.utf8)) }
            return
        }
        let error = #expect(throws: StoryPipelineError.self) { try StoryConfiguration.decode(yaml: Data(json.utf8)) }
        #expect(error?.code == .invalidConfiguration)
        let message = error?.message ?? ""
        if expected.contains("line ") {
            #expect(message.contains("line "), "\(message)")
        } else {
            #expect(message.hasPrefix(expected), "\(message)")
        }
    }

    @Test(arguments: [
        ("story:\n  seed: 1e300\n", "story.seed: must be an integer in 0…2^63−1, got 1e+300"),
        ("render:\n  width: 100000\n", "render.width: must be an even integer in 64…4096 pixels, got 100000"),
        (
            "pipeline:\n  stages:\n    voice:\n      retry:\n        max_attempts: 3\n        initial_delay: 1e300\n",
            "pipeline.stages.voice.retry.initial_delay: must be between 0 and 3600 seconds, got 1e+300"
        ),
        (
            "pipeline:\n  stages:\n    voice:\n      retry:\n        maxAttempts: 3\n",
            "pipeline.stages.voice.retry.maxAttempts: renamed to max_attempts"
        ),
        ("story:\n  topic: 3\n", "story.topic"),
        ("story:\n  sede: 3\n", "story.sede: unknown key"),
    ])
    func blockStyleYAMLGetsThePathErrorsOfJSON(yaml: String, expected: String) {
        let error = #expect(throws: StoryPipelineError.self) { try StoryConfiguration.decode(yaml: Data(yaml.utf8)) }
        #expect(error?.message.hasPrefix(expected) == true, "\(error?.message ?? "")")
    }

    @Test func aliasesThatExpandPastTheLimitAndDeepNestingAreErrorsNotCrashes() {
        // "Billion laughs": nine levels of ten aliases each stand for 10^9 strings.
        var laughs = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...9 {
            let previous = "*a\(level - 1)"
            let list = Array(repeating: previous, count: 10).joined(separator: ", ")
            laughs += "a\(level): &a\(level) [\(list)]\n"
        }
        let expanded = #expect(throws: StoryPipelineError.self) {
            try StoryConfiguration.decode(yaml: Data(laughs.utf8))
        }
        #expect(expanded?.message.contains("line") == true, "\(expanded?.message ?? "")")

        for deep in [
            String(repeating: "[", count: 100_000), String(repeating: "- ", count: 100_000) + "x",
            (0..<2_000).map { String(repeating: " ", count: $0) + "k\($0):" }.joined(separator: "\n"),
        ] {
            let error = #expect(throws: StoryPipelineError.self) {
                try StoryConfiguration.decode(yaml: Data(deep.utf8))
            }
            #expect(error?.message.contains("nested deeper than") == true, "\(error?.message ?? "")")
        }
    }
}
