import Foundation
import PipelineKit
import PipelineKitTesting
import Testing

@Suite struct PipelineRunnerTests {
    @Test func eventsFollowTheRunInOrder() async throws {
        let log = ExecutionLog()
        let sink = RecordingEventSink()
        let runner = makeRunner(sink: sink)
        let stream = runner.events()
        let pipeline: Pipeline<String, Int> = Pipeline("events") {
            Length(log: log)
            Increment(log: log)
        }
        let runID: RunID = "events-run"
        #expect(try await runner.run(pipeline, input: "abc", runID: runID) == 4)
        let kinds = sink.events.map { event -> String in
            switch event.kind {
            case .runStarted: return "runStarted"
            case .stageStarted: return "started:\(event.stage!)"
            case .stageFinished: return "finished:\(event.stage!):\(event.attempts!)"
            case .runFinished: return "runFinished:\(event.status!)"
            default: return "other"
            }
        }
        #expect(
            kinds == [
                "runStarted", "started:length", "finished:length:1", "started:increment", "finished:increment:1",
                "runFinished:succeeded",
            ]
        )
        // The AsyncStream got the same events.
        var streamed: [PipelineEvent] = []
        for await event in stream {
            streamed.append(event)
            if streamed.count == sink.events.count { break }
        }
        #expect(streamed == sink.events)
        #expect(streamed.allSatisfy { $0.runID == runID })
    }

    @Test func runRecordsAreWritten() async throws {
        let log = ExecutionLog()
        let store = InMemoryCheckpointStore()
        let pipeline: Pipeline<String, Int> = Pipeline("records") {
            Length(log: log)
            Increment(log: log)
        }
        _ = try await makeRunner(store: store).run(pipeline, input: "hello", runID: "r1")
        let run = try #require(try await store.run("r1"))
        #expect(run.status == .succeeded)
        #expect(run.pipeline == "records")
        #expect(run.output == Data("6".utf8))
        #expect(run.finishedAt != nil)
        let stages = try await store.stages(of: "r1")
        #expect(stages.map(\.stageID) == ["length", "increment"])
        #expect(stages.map(\.status) == [.committed, .committed])
        #expect(stages.map(\.output) == [Data("5".utf8), Data("6".utf8)])
        #expect(stages.allSatisfy { $0.attempts == 1 && $0.inputHash.count == 64 })
    }

    @Test func resumeRerunsOnlyTheFailedStage() async throws {
        let log = ExecutionLog()
        let store = InMemoryCheckpointStore()
        let pipeline: Pipeline<String, Int> = Pipeline("resume") {
            Length(log: log)
            Flaky(log: log, failures: 1)
            Increment(log: log)
        }
        let runner = makeRunner(store: store)
        let error = await #expect(throws: PipelineError.self) {
            try await runner.run(pipeline, input: "abc", runID: "r")
        }
        #expect(error?.code == .stageFailed)
        #expect(error?.stageID == "flaky")
        #expect(try await store.run("r")?.status == .failed)
        #expect(try await store.stages(of: "r").map(\.status) == [.committed, .failed])

        #expect(try await runner.resume(pipeline, runID: "r") == 5)
        #expect(log.count("length") == 1)  // committed: never ran again
        #expect(log.count("flaky") == 2)
        #expect(log.count("increment") == 1)
        #expect(try await store.run("r")?.status == .succeeded)

        // Resuming a finished run returns its output and runs nothing.
        #expect(try await runner.resume(pipeline, runID: "r") == 5)
        #expect(log.total == 4)
    }

    @Test func resumeChecksTheRunAndThePipeline() async throws {
        let log = ExecutionLog()
        let runner = makeRunner()
        let pipeline: Pipeline<String, Int> = Pipeline("one") { Length(log: log) }
        let other: Pipeline<String, Int> = Pipeline("two") { Length(log: log) }
        await #expect(throws: PipelineError.runNotFound("no run missing in the checkpoint store")) {
            try await runner.resume(pipeline, runID: "missing")
        }
        _ = try await runner.run(pipeline, input: "x", runID: "a")
        let mismatch = await #expect(throws: PipelineError.self) { try await runner.resume(other, runID: "a") }
        #expect(mismatch?.code == .pipelineMismatch)
        let duplicate = await #expect(throws: PipelineError.self) {
            try await runner.run(pipeline, input: "x", runID: "a")
        }
        #expect(duplicate?.code == .runExists)
    }

    @Test func fanOutNeverExceedsItsConcurrencyLimit() async throws {
        let log = ExecutionLog()
        let pipeline: Pipeline<Int, Int> = Pipeline("fan") {
            Explode(log: log)
            ForEach(Square(log: log, delay: .milliseconds(2)), maxConcurrency: 3)
            Sum(log: log)
        }
        let output = try await makeRunner().run(pipeline, input: 40)
        #expect(output == (0..<40).map { $0 * $0 }.reduce(0, +))
        #expect(log.peak == 3)  // reached, never exceeded
    }

    @Test func fanOutResumeRerunsOnlyUnfinishedChildren() async throws {
        let log = ExecutionLog()
        let store = InMemoryCheckpointStore()
        let failing: Pipeline<Int, Int> = Pipeline("fan") {
            Explode(log: log)
            ForEach(Square(log: log, failing: [3, 7]), maxConcurrency: 1)
            Sum(log: log)
        }
        let runner = makeRunner(store: store)
        await #expect(throws: PipelineError.self) { try await runner.run(failing, input: 10, runID: "f") }
        // maxConcurrency 1: children 0, 1, 2 committed, then 3 failed and the fan-out stopped.
        #expect(try await store.children(of: "f", stageIndex: 1).map(\.childIndex) == [0, 1, 2])

        let healthy: Pipeline<Int, Int> = Pipeline("fan") {
            Explode(log: log)
            ForEach(Square(log: log), maxConcurrency: 4)
            Sum(log: log)
        }
        #expect(try await runner.resume(healthy, runID: "f") == 285)
        for child in 0..<10 {
            #expect(log.count("square-\(child)") == 1, "child \(child)")
        }
        #expect(log.count("explode") == 1)
    }

    @Test func fanOutChildrenContinueOnErrorWithTheirFallback() async throws {
        let log = ExecutionLog()
        let pipeline: Pipeline<Int, [Int]> = Pipeline("fan") {
            Explode(log: log)
            ForEach(Square(log: log, failing: [2]).continueOnError().fallback { _ in -1 }, maxConcurrency: 2)
        }
        #expect(try await makeRunner().run(pipeline, input: 4) == [0, 1, -1, 9])
    }

    @Test func aFanOutFallbackReplacesTheWholeArray() async throws {
        let log = ExecutionLog()
        let pipeline: Pipeline<Int, [Int]> = Pipeline("fan") {
            Explode(log: log)
            ForEach(Square(log: log, failing: [1]), maxConcurrency: 2).fallback { $0.map { _ in 0 } }.continueOnError()
        }
        // continueOnError applies per child, and Square (Int -> Int) recovers a child with its identity fallback.
        #expect(try await makeRunner().run(pipeline, input: 3) == [0, 1, 4])
        let skipped = makeRunner(
            pipeline: PipelineConfiguration(stages: ["square": StageConfiguration(enabled: false)]))
        #expect(try await skipped.run(pipeline, input: 2) == [0, 0])
    }

    @Test func disabledStageUsesItsFallback() async throws {
        let log = ExecutionLog()
        let sink = RecordingEventSink()
        let configuration = PipelineConfiguration(stages: ["increment": StageConfiguration(enabled: false)])
        let pipeline: Pipeline<String, Int> = Pipeline("skip") {
            Length(log: log)
            Increment(log: log)  // Int -> Int: skipping passes the input on
        }
        let store = InMemoryCheckpointStore()
        let runner = makeRunner(store: store, sink: sink, pipeline: configuration)
        #expect(try await runner.run(pipeline, input: "abc", runID: "s") == 3)
        #expect(log.count("increment") == 0)
        #expect(try await store.stages(of: "s").map(\.status) == [.committed, .skipped])
        #expect(sink.events.contains(.stageSkipped(runID: "s", stage: "increment", index: 1)))
    }

    @Test func disablingAStageWithoutFallbackIsAConfigurationError() async throws {
        let log = ExecutionLog()
        let configuration = PipelineConfiguration(stages: ["length": StageConfiguration(enabled: false)])
        let pipeline: Pipeline<String, Int> = Pipeline("skip") { Length(log: log) }
        let error = await #expect(throws: PipelineError.self) {
            try await makeRunner(pipeline: configuration).run(pipeline, input: "abc")
        }
        #expect(error?.code == .invalidConfiguration)
        #expect(error?.message.hasPrefix("stages.length.enabled: cannot skip") == true)

        let withFallback: Pipeline<String, Int> = Pipeline("skip") { Length(log: log).fallback { _ in 0 } }
        #expect(try await makeRunner(pipeline: configuration).run(withFallback, input: "abc") == 0)
    }

    @Test func continueOnErrorRecordsTheFailureAndGoesOn() async throws {
        let log = ExecutionLog()
        let sink = RecordingEventSink()
        let store = InMemoryCheckpointStore()
        let pipeline: Pipeline<String, Int> = Pipeline("optional") {
            Length(log: log)
            Flaky(log: log, failures: 5).continueOnError()
            Increment(log: log)
        }
        #expect(try await makeRunner(store: store, sink: sink).run(pipeline, input: "ab", runID: "o") == 3)
        let stages = try await store.stages(of: "o")
        #expect(stages.map(\.status) == [.committed, .recovered, .committed])
        #expect(stages[1].error?.contains("attempt 1") == true)
        #expect(
            sink.events.contains {
                $0.kind == .stageFailed && $0.stage == "flaky" && $0.index == 1 && $0.willContinue == true
            }
        )
    }

    @Test(arguments: [Durability.sync, .async, .onExit])
    func everyDurabilityCommitsTheSameRecords(durability: Durability) async throws {
        let log = ExecutionLog()
        let store = InMemoryCheckpointStore()
        let pipeline: Pipeline<Int, Int> = Pipeline("durability") {
            Explode(log: log)
            ForEach(Square(log: log), maxConcurrency: 4)
            Sum(log: log)
            Increment(log: log)
        }
        let runner = makeRunner(store: store, durability: durability)
        #expect(try await runner.run(pipeline, input: 20, runID: "d") == 2471)
        #expect(try await store.stages(of: "d").count == 4)
        #expect(try await store.children(of: "d", stageIndex: 1).count == 20)
        #expect(try await store.run("d")?.status == .succeeded)
        if durability == .onExit {
            #expect(store.commits == 2)  // the deferred batch, then the run's end (creation is not a commit)
        }
    }

    @Test func stagesReportProgress() async throws {
        struct Steps: PipelineStage {
            static let id: StageID = "steps"
            static let version = 1
            func run(_ input: Int, context: StageContext) async throws -> Int {
                for step in 1...4 { context.reportProgress(fraction: Double(step) / 4, detail: "step \(step)") }
                context.reportProgress(fraction: 7)  // clamped
                return input
            }
        }
        let sink = RecordingEventSink()
        let pipeline: Pipeline<Int, Int> = Pipeline("progress") { Steps() }
        _ = try await makeRunner(sink: sink).run(pipeline, input: 1, runID: "p")
        let fractions = sink.events.compactMap { event -> Double? in
            event.kind == .progress && event.stage == "steps" && event.index == 0 ? event.fraction : nil
        }
        #expect(fractions == [0.25, 0.5, 0.75, 1, 1])
    }
}
