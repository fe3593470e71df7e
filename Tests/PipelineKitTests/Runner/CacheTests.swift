import Foundation
import PipelineKit
import PipelineKitTesting
import Testing

@Suite struct CacheTests {
    @Test func sameInputsAcrossRunsReuseResults() async throws {
        let log = ExecutionLog()
        let sink = RecordingEventSink()
        let store = InMemoryCheckpointStore()
        let pipeline: Pipeline<String, Int> = Pipeline("cache") {
            Length(log: log)
            DoubleV1(log: log)
        }
        let runner = makeRunner(store: store, sink: sink)
        #expect(try await runner.run(pipeline, input: "abc") == 6)
        #expect(try await runner.run(pipeline, input: "abc") == 6)
        #expect(log.count("length") == 1)
        #expect(log.count("double") == 1)
        #expect(sink.reusedStages == ["length", "double"])
    }

    @Test func changedInputInvalidatesTheStageAndDownstream() async throws {
        let log = ExecutionLog()
        let runner = makeRunner()
        let pipeline: Pipeline<String, Int> = Pipeline("cache") {
            Length(log: log)
            DoubleV1(log: log)
        }
        #expect(try await runner.run(pipeline, input: "abc") == 6)
        #expect(try await runner.run(pipeline, input: "abcd") == 8)
        #expect(log.count("length") == 2)
        #expect(log.count("double") == 2)
    }

    @Test func versionBumpInvalidatesTheStageAndEverythingDownstream() async throws {
        let log = ExecutionLog()
        let runner = makeRunner()
        let v1: Pipeline<String, Int> = Pipeline("cache") {
            Length(log: log)
            DoubleV1(log: log)
            Increment(log: log)
        }
        let v2: Pipeline<String, Int> = Pipeline("cache") {
            Length(log: log)
            DoubleV2(log: log)
            Increment(log: log)
        }
        #expect(try await runner.run(v1, input: "abc") == 7)
        // Same output from `double` at version 2, yet `increment` downstream must rerun too.
        #expect(try await runner.run(v2, input: "abc") == 7)
        #expect(log.count("length") == 1)
        #expect(log.count("double") == 2)
        #expect(log.count("increment") == 2)
        // And both versions stay cached side by side.
        #expect(try await runner.run(v1, input: "abc") == 7)
        #expect(log.total == 5)
    }

    @Test func changedParametersInvalidateTheStage() async throws {
        let log = ExecutionLog()
        let store = InMemoryCheckpointStore()
        let pipeline: Pipeline<String, String> = Pipeline("cache") {
            Length(log: log)
            Describe(log: log)
        }
        func runner(prefix: String) -> PipelineRunner {
            makeRunner(
                store: store,
                pipeline: PipelineConfiguration(stages: [
                    "describe": StageConfiguration(parameters: StageParameters(["prefix": .string(prefix)]))
                ])
            )
        }
        #expect(try await runner(prefix: "n").run(pipeline, input: "ab") == "n=2")
        #expect(try await runner(prefix: "n").run(pipeline, input: "ab") == "n=2")
        #expect(try await runner(prefix: "count").run(pipeline, input: "ab") == "count=2")
        #expect(log.count("describe") == 2)
        #expect(log.count("length") == 1)  // its configuration did not change
    }

    @Test func policiesNoneRefreshAndTTL() async throws {
        let log = ExecutionLog()
        let store = InMemoryCheckpointStore()
        let runner = makeRunner(store: store)
        let uncached: Pipeline<String, Int> = Pipeline("none") { Length(log: log).cache(.none) }
        _ = try await runner.run(uncached, input: "a")
        _ = try await runner.run(uncached, input: "a")
        #expect(log.count("length") == 2)
        #expect(store.cacheEntries.isEmpty)

        let cached: Pipeline<String, Int> = Pipeline("default") { Length(log: log) }
        _ = try await runner.run(cached, input: "a")
        #expect(log.count("length") == 3)
        let refresh: Pipeline<String, Int> = Pipeline("refresh") { Length(log: log).cache(.refresh) }
        _ = try await runner.run(refresh, input: "a")
        #expect(log.count("length") == 4)  // forced, although cached

        let fresh: Pipeline<String, Int> = Pipeline("ttl") { Length(log: log).cache(.ttl(.seconds(3600))) }
        _ = try await runner.run(fresh, input: "a")
        #expect(log.count("length") == 4)
        let expired: Pipeline<String, Int> = Pipeline("ttl") { Length(log: log).cache(.ttl(.zero)) }
        try await Task.sleep(for: .milliseconds(5))
        _ = try await runner.run(expired, input: "a")
        #expect(log.count("length") == 5)
    }

    @Test func fanOutChildrenAreCachedOneByOne() async throws {
        let log = ExecutionLog()
        let runner = makeRunner()
        let pipeline: Pipeline<[Int], [Int]> = Pipeline("fan") {
            ForEach(Square(log: log), maxConcurrency: 2)
        }
        #expect(try await runner.run(pipeline, input: [1, 2, 3]) == [1, 4, 9])
        #expect(try await runner.run(pipeline, input: [1, 2, 3, 4]) == [1, 4, 9, 16])
        #expect(log.total == 4)  // only child 4 ran the second time
    }

    @Test func dryRunShowsWhatIsCachedAndWhatWillRun() async throws {
        let log = ExecutionLog()
        let store = InMemoryCheckpointStore()
        let short: Pipeline<String, [Int]> = Pipeline("plan") {
            Length(log: log)
            Explode(log: log)
        }
        _ = try await makeRunner(store: store).run(short, input: "abc")
        let runner = makeRunner(
            store: store,
            pipeline: PipelineConfiguration(stages: ["increment": StageConfiguration(enabled: false)])
        )
        let pipeline: Pipeline<String, Int> = Pipeline("plan") {
            Length(log: log)
            Explode(log: log)
            ForEach(Square(log: log), maxConcurrency: 2)
            Sum(log: log)
            Increment(log: log)
        }
        let before = log.total
        let plan = try await runner.plan(pipeline, input: "abc")
        #expect(log.total == before)  // nothing ran
        #expect(
            plan.steps.map(\.action) == [.cached, .cached, .fanOut(cached: 0, total: 3), .runsAfterUpstream, .skipped])
        #expect(plan.description.contains("2. square@1: fan-out: 0/3 children cached, 3 will run"))
    }
}
