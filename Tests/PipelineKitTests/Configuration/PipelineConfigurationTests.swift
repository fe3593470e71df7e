import Foundation
import PipelineKit
import Testing

/// Int -> Int, with declared parameters: `step` (an integer), `limit` (a number ≥ step), `label`.
private struct Scale: PipelineStage {
    static let id: StageID = "scale"
    static let version = 1
    static let step = StageParameter.integer("step", in: 1...100)
    static let limit = StageParameter.number("limit", in: 1...1000)
    static let parameters: [StageParameter]? = [step, limit, .string("label")]

    static func parameterIssues(_ parameters: StageParameters) -> [ConfigurationIssue] {
        let step = Double((try? parameters.integer(Self.step)) ?? nil ?? 1)
        guard let limit = (try? parameters.number(Self.limit)) ?? nil, limit < step else { return [] }
        return [ConfigurationIssue(path: "limit", message: "must be at least step (\(Int(step))), got \(Int(limit))")]
    }

    func run(_ input: Int, context: StageContext) async throws -> Int {
        input * (try context.configuration.integer(Self.step) ?? 1)
    }
}

@Suite struct PipelineConfigurationTests {
    private let stages: [AnyPipelineStage] = {
        let log = ExecutionLog()
        return Pipeline<String, Int>("config") {
            Length(log: log)
            Increment(log: log)
            Scale()
        }.stages
    }()

    private func decode(_ json: String) throws -> PipelineConfiguration {
        try PipelineConfiguration.decode(json: Data(json.utf8))
    }

    @Test func decodesEveryField() throws {
        let configuration = try decode(
            """
            {"durability": "async", "stages": {"increment": {
                "enabled": true, "retry": {"max_attempts": 3, "initial_delay": 0.5, "max_delay": 4, "jitter": 0},
                "timeout": 30, "total_timeout": 90, "cache": "ttl", "cache_ttl": 60, "continue_on_error": true,
                "parameters": {"voice": "en-GB", "speed": 1.25, "tags": ["a"], "nested": {"x": null}}}}}
            """
        )
        #expect(configuration.durability == .async)
        let increment = try #require(configuration.stages["increment"])
        #expect(increment.retry == StageConfiguration.Retry(maxAttempts: 3, initialDelay: 0.5, maxDelay: 4, jitter: 0))
        #expect(increment.timeout == 30)
        #expect(increment.cache == .ttl)
        #expect(increment.parameters?.string("voice") == "en-GB")
        #expect(increment.parameters?.number("speed") == 1.25)
        #expect(increment.parameters?["nested"] == .object(["x": .null]))
        #expect(configuration.issues(for: stages).isEmpty)
    }

    @Test(arguments: [
        (
            #"{"stages": {"scale": {"parameters": {"step": 50, "limit": 10}}}}"#,
            "stages.scale.parameters.limit: must be at least step (50), got 10"
        ),
        (
            #"{"stages": {"scale": {"parameters": {"step": 5e300, "limit": 10}}}}"#,
            "stages.scale.parameters.step: must be an integer in 1…100, got 5e+300"
        ),
    ])
    func acrossParameterChecksRunOnceEachValueIsInRange(json: String, expected: String) throws {
        #expect(try decode(json).issues(for: stages).map(\.description) == [expected])
    }

    @Test func aStageReadsItsDeclaredParametersWithTheSameChecks() throws {
        let parameters = StageParameters(["step": .number(7), "limit": .number(1e300)])
        #expect(try parameters.integer(Scale.step) == 7)
        let error = #expect(throws: PipelineError.self) { try parameters.number(Scale.limit) }
        #expect(error?.message == "parameters.limit: must be a number between 1 and 1000, got 1e+300")
        #expect(try StageParameters().integer(Scale.step) == nil)
    }

    @Test(arguments: [
        (#"{"stages": {"voice": {}}}"#, "stages.voice: unknown stage id (the pipeline has: increment, length, scale)"),
        (
            #"{"stages": {"length": {"enabled": false}}}"#,
            "stages.length.enabled: cannot skip: the stage has no fallback output (give it .fallback { … })"
        ),
        (
            #"{"stages": {"scale": {"parameters": {"step": 1.5}}}}"#,
            "stages.scale.parameters.step: must be an integer in 1…100, got 1.5"
        ),
        (
            #"{"stages": {"scale": {"parameters": {"stpe": 2}}}}"#,
            "stages.scale.parameters.stpe: unknown parameter (known: label, limit, step)"
        ),
        (
            #"{"stages": {"scale": {"parameters": {"label": 7}}}}"#,
            "stages.scale.parameters.label: must be a string of at most 4000 characters, got 7"
        ),
    ])
    func invalidValuesAreReportedWithTheirPath(json: String, expected: String) throws {
        let issues = try decode(json).issues(for: stages)
        #expect(issues.map(\.description) == [expected])
    }

    @Test(arguments: [
        (#"{"stages": {"increment": {"timout": 3}}}"#, "stages.increment.timout: unknown key"),
        (#"{"stages": {"increment": {"timeout": "soon"}}}"#, "stages.increment.timeout: must be a number"),
        (#"{"stages": {"increment": {"timeout": null}}}"#, "stages.increment.timeout: must be a number, got null"),
        (#"{"stages": {"increment": {"retry": {}}}}"#, "stages.increment.retry.max_attempts: is required"),
        (#"{"stagez": {}}"#, "stagez: unknown key"),
        (
            #"{"stages": {"increment": {"timeout": 0}}}"#,
            "stages.increment.timeout: must be between 0.001 and 86400 seconds, got 0"
        ),
        (
            #"{"stages": {"assemble": {"timeout": 1e300}}}"#,
            "stages.assemble.timeout: must be between 0.001 and 86400 seconds, got 1e+300"
        ),
        (
            #"{"stages": {"increment": {"total_timeout": 1e25}}}"#,
            "stages.increment.total_timeout: must be between 0.001 and 604800 seconds, got 1e+25"
        ),
        (
            #"{"stages": {"increment": {"retry": {"max_attempts": 0}}}}"#,
            "stages.increment.retry.max_attempts: must be an integer in 1…100, got 0"
        ),
        (
            #"{"stages": {"increment": {"retry": {"max_attempts": 1e300}}}}"#,
            "stages.increment.retry.max_attempts: must be an integer in 1…100, got 1e+300"
        ),
        (
            #"{"stages": {"increment": {"retry": {"max_attempts": 2.5}}}}"#,
            "stages.increment.retry.max_attempts: must be an integer in 1…100, got 2.5"
        ),
        (
            #"{"stages": {"increment": {"retry": {"max_attempts": 2, "initial_delay": 1e300}}}}"#,
            "stages.increment.retry.initial_delay: must be between 0 and 3600 seconds, got 1e+300"
        ),
        (
            #"{"stages": {"increment": {"retry": {"max_attempts": 2, "initial_delay": 5, "max_delay": 1}}}}"#,
            "stages.increment.retry.max_delay: must be >= retry.initial_delay (5)"
        ),
        (
            #"{"stages": {"increment": {"cache": "ttl"}}}"#,
            "stages.increment.cache_ttl: is required when cache is \"ttl\""
        ),
        (
            #"{"stages": {"increment": {"cache": "ttl", "cache_ttl": 1e20}}}"#,
            "stages.increment.cache_ttl: must be between 0.001 and 315360000 seconds, got 1e+20"
        ),
        (
            "{\n  \"stages\": {\n    \"voice\": { \"timeout\": }\n  }\n}",
            "stages.voice.timeout: line 3, column 27: expected a value, found '}'"
        ),
        (
            #"{"stages": {"voice": {"timeout": 1e400}}}"#,
            "stages.voice.timeout: line 1, column 34: the number 1e400 is out of range (beyond ±1.8e308, the largest double)"
        ),
        ("", "line 1, column 1: expected a value, found the end of the file"),
    ])
    func malformedFilesAreReportedWithTheirPath(json: String, expected: String) throws {
        let error = #expect(throws: PipelineError.self) { try decode(json) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message == expected)
    }

    @Test(arguments: [
        (#"{"retry": {"maxAttempts": 3}}"#, "retry.maxAttempts", "max_attempts"),
        (#"{"retry": {"max_attempts": 3, "initialDelay": 1}}"#, "retry.initialDelay", "initial_delay"),
        (#"{"retry": {"max_attempts": 3, "maxDelay": 1}}"#, "retry.maxDelay", "max_delay"),
        (#"{"totalTimeout": 9}"#, "totalTimeout", "total_timeout"),
        (#"{"cache": "ttl", "cacheTTL": 9}"#, "cacheTTL", "cache_ttl"),
        (#"{"continueOnError": true}"#, "continueOnError", "continue_on_error"),
    ])
    func aCamelCaseKeyOfAnEarlierReleaseNamesItsSnakeCaseReplacement(stage: String, old: String, new: String) throws {
        let error = #expect(throws: PipelineError.self) { try decode(#"{"stages": {"increment": \#(stage)}}"#) }
        #expect(error?.message == "stages.increment.\(old): renamed to \(new)")
    }

    @Test func aYAMLFileGivesTheConfigurationOfItsJSONEquivalent() throws {
        let json = #"""
            {"durability": "async", "stages": {"increment": {
                "enabled": true, "retry": {"max_attempts": 3, "initial_delay": 0.5, "max_delay": 4, "jitter": 0},
                "timeout": 30, "total_timeout": 90, "cache": "ttl", "cache_ttl": 60, "continue_on_error": true,
                "parameters": {"voice": "en-GB", "speed": 1.25, "tags": ["a"], "nested": {"x": null}, "n": "7"}}}}
            """#
        let yaml = """
            durability: async
            stages:
              increment:
                enabled: true
                retry: {max_attempts: 3, initial_delay: 0.5, max_delay: 4, jitter: 0}
                timeout: 30
                total_timeout: 90
                cache: ttl
                cache_ttl: 60
                continue_on_error: true
                parameters:
                  voice: en-GB
                  speed: 1.25
                  tags: [a]
                  nested: {x: null}
                  n: "7"
            """
        let fromYAML = try PipelineConfiguration.decode(yaml: Data(yaml.utf8))
        #expect(fromYAML == (try decode(json)))
        #expect(fromYAML.stages["increment"]?.parameters?.string("n") == "7")

        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pk-yaml-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("pipeline.yml")
        try Data(yaml.utf8).write(to: file)
        #expect(try PipelineConfiguration.load(contentsOf: file) == fromYAML)
        try Data("stages:\n  increment:\n    timeout: 1e300\n".utf8).write(to: file)
        let range = #expect(throws: PipelineError.self) { try PipelineConfiguration.load(contentsOf: file) }
        #expect(
            range?.message
                == "pipeline.yml: stages.increment.timeout: must be between 0.001 and 86400 seconds, got 1e+300")
        try Data("stages:\n  increment: {timeout: 3\n".utf8).write(to: file)
        let syntax = #expect(throws: PipelineError.self) { try PipelineConfiguration.load(contentsOf: file) }
        #expect(syntax?.message.hasPrefix("pipeline.yml: line ") == true, "\(syntax?.message ?? "")")
    }

    @Test func aConfigurationEncodesWithTheKeysItDecodes() throws {
        let json = #"""
            {"stages": {"increment": {"retry": {"max_attempts": 3, "initial_delay": 0.5, "max_delay": 4, "jitter": 0},
             "total_timeout": 90, "cache": "ttl", "cache_ttl": 60, "continue_on_error": true}}}
            """#
        let configuration = try decode(json)
        let encoded = try JSONEncoder().encode(configuration)
        #expect(try PipelineConfiguration.decode(json: encoded) == configuration)
        let text = String(decoding: encoded, as: UTF8.self)
        for key in ["max_attempts", "initial_delay", "max_delay", "total_timeout", "cache_ttl", "continue_on_error"] {
            #expect(text.contains("\"\(key)\""), "\(key) in \(text)")
        }
    }

    @Test func theRunnerRefusesAnInvalidConfigurationBeforeRunning() async throws {
        let log = ExecutionLog()
        // Built in code, so the ranges are first checked by the runner.
        let runner = makeRunner(
            pipeline: PipelineConfiguration(stages: ["increment": StageConfiguration(timeout: 0, cacheTTL: 3)]))
        let error = await #expect(throws: PipelineError.self) {
            try await runner.run(
                Pipeline<String, Int>("config") {
                    Length(log: log)
                    Increment(log: log)
                }, input: "a")
        }
        let issues = (error?.underlying as? ConfigurationError)?.issues.map(\.path)
        #expect(issues == ["stages.increment.timeout", "stages.increment.cache_ttl"])
        #expect(log.total == 0)
    }

    @Test func aConfigurationFileIsReadOnlyWhenItIsASmallRegularFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pk-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("fifo.json")
        #expect(mkfifo(fifo.path, 0o600) == 0)
        let notRegular = #expect(throws: PipelineError.self) { try PipelineConfiguration.load(contentsOf: fifo) }
        #expect(notRegular?.message == "\(fifo.path) is not a regular file")
        let big = directory.appendingPathComponent("big.json")
        try Data(count: (4 << 20) + 1).write(to: big)
        let tooBig = #expect(throws: PipelineError.self) { try PipelineConfiguration.load(contentsOf: big) }
        #expect(tooBig?.message.contains("at most 4194304") == true)
        let broken = directory.appendingPathComponent("broken.json")
        try Data("{\"stages\": {\"voice\": {\"retry\": {\"max_attempts\": 3,}}, }".utf8).write(to: broken)
        let syntax = #expect(throws: PipelineError.self) { try PipelineConfiguration.load(contentsOf: broken) }
        #expect(
            syntax?.message
                == "broken.json: stages: line 1, column 56: expected ',' or '}' after the value of \"stages\", found the end of the file"
        )
    }

    @Test func configurationOverridesRetryAndTimeout() async throws {
        let log = ExecutionLog()
        let configuration = try decode(
            #"{"stages": {"flaky": {"retry": {"max_attempts": 3, "initial_delay": 0, "jitter": 0}}}}"#
        )
        let pipeline: Pipeline<Int, Int> = Pipeline("config") { Flaky(log: log, failures: 2) }
        #expect(try await makeRunner(pipeline: configuration).run(pipeline, input: 1) == 2)
        #expect(log.count("flaky") == 3)
    }

    @Test func configurationRoundTripsThroughJSON() throws {
        let configuration = PipelineConfiguration(
            durability: .onExit,
            stages: [
                "increment": StageConfiguration(
                    enabled: false, timeout: 2, parameters: StageParameters(["k": .bool(true)]))
            ]
        )
        let data = try JSONEncoder().encode(configuration)
        #expect(try PipelineConfiguration.decode(json: data) == configuration)
    }
}
