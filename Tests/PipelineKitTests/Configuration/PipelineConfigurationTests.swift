import Foundation
import PipelineKit
import Testing

@Suite struct PipelineConfigurationTests {
    private let stages: [AnyPipelineStage] = {
        let log = ExecutionLog()
        return Pipeline<String, Int>("config") {
            Length(log: log)
            Increment(log: log)
        }.stages
    }()

    private func decode(_ json: String) throws -> PipelineConfiguration {
        try PipelineConfiguration.decode(json: Data(json.utf8))
    }

    @Test func decodesEveryField() throws {
        let configuration = try decode(
            """
            {"durability": "async", "stages": {"increment": {
                "enabled": true, "retry": {"maxAttempts": 3, "initialDelay": 0.5, "maxDelay": 4, "jitter": 0},
                "timeout": 30, "totalTimeout": 90, "cache": "ttl", "cacheTTL": 60, "continueOnError": true,
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
        (#"{"stages": {"voice": {}}}"#, "stages.voice: unknown stage id (the pipeline has: increment, length)"),
        (#"{"stages": {"increment": {"timeout": 0}}}"#, "stages.increment.timeout: must be > 0"),
        (#"{"stages": {"increment": {"totalTimeout": -1}}}"#, "stages.increment.totalTimeout: must be > 0"),
        (
            #"{"stages": {"increment": {"retry": {"maxAttempts": 0}}}}"#,
            "stages.increment.retry.maxAttempts: must be >= 1"
        ),
        (
            #"{"stages": {"increment": {"retry": {"maxAttempts": 2, "initialDelay": 5, "maxDelay": 1}}}}"#,
            "stages.increment.retry.maxDelay: must be >= retry.initialDelay"
        ),
        (
            #"{"stages": {"increment": {"cache": "ttl"}}}"#,
            "stages.increment.cacheTTL: must be > 0 when cache is \"ttl\""
        ),
        (
            #"{"stages": {"length": {"enabled": false}}}"#,
            "stages.length.enabled: cannot skip: the stage has no fallback output (give it .fallback { … })"
        ),
    ])
    func invalidValuesAreReportedWithTheirPath(json: String, expected: String) throws {
        let issues = try decode(json).issues(for: stages)
        #expect(issues.map(\.description) == [expected])
    }

    @Test(arguments: [
        (#"{"stages": {"increment": {"timout": 3}}}"#, "stages.increment.timout: unknown key"),
        (#"{"stages": {"increment": {"timeout": "soon"}}}"#, "stages.increment.timeout: expected Double"),
        (#"{"stages": {"increment": {"retry": {}}}}"#, "stages.increment.retry.maxAttempts: is required"),
        (#"{"stagez": {}}"#, "stagez: unknown key"),
    ])
    func malformedFilesAreReportedWithTheirPath(json: String, expected: String) throws {
        let error = #expect(throws: PipelineError.self) { try decode(json) }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message == expected)
    }

    @Test func theRunnerRefusesAnInvalidConfigurationBeforeRunning() async throws {
        let log = ExecutionLog()
        let runner = makeRunner(pipeline: try decode(#"{"stages": {"increment": {"timeout": 0, "cacheTTL": 3}}}"#))
        let error = await #expect(throws: PipelineError.self) {
            try await runner.run(
                Pipeline<String, Int>("config") {
                    Length(log: log)
                    Increment(log: log)
                }, input: "a")
        }
        let issues = (error?.underlying as? ConfigurationError)?.issues.map(\.path)
        #expect(issues == ["stages.increment.timeout", "stages.increment.cacheTTL"])
        #expect(log.total == 0)
    }

    @Test func configurationOverridesRetryAndTimeout() async throws {
        let log = ExecutionLog()
        let configuration = try decode(
            #"{"stages": {"flaky": {"retry": {"maxAttempts": 3, "initialDelay": 0, "jitter": 0}}}}"#
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
