import Foundation
import PipelineKit
import PipelineKitTesting
import Testing

@Suite struct RetryTimeoutCancellationTests {
    @Test func retriesWaitOnTheClockWithExponentialDelays() async throws {
        let log = ExecutionLog()
        let clock = TestClock()
        let sink = RecordingEventSink()
        let store = InMemoryCheckpointStore()
        let pipeline: Pipeline<Int, Int> = Pipeline("retry") {
            Flaky(log: log, failures: 2)
                .retry(.exponentialJitter(maxAttempts: 4, initialDelay: .seconds(1), maxDelay: .seconds(60), jitter: 0))
        }
        let runner = makeRunner(store: store, sink: sink, clock: clock)
        let running = Task { try await runner.run(pipeline, input: 1, runID: "retry") }
        #expect(await clock.waitForSleepers(1))
        #expect(log.count("flaky") == 1)
        clock.advance(by: .seconds(1))
        #expect(await clock.waitForSleepers(1))
        #expect(log.count("flaky") == 2)
        clock.advance(by: .seconds(2))
        #expect(try await running.value == 2)
        #expect(sink.retryDelays == [.seconds(1), .seconds(2)])
        #expect(try await store.stages(of: "retry").first?.attempts == 3)
    }

    @Test func retriesGiveUpAfterMaxAttempts() async throws {
        let log = ExecutionLog()
        let pipeline: Pipeline<Int, Int> = Pipeline("retry") {
            Flaky(log: log, failures: 10).retry(.exponentialJitter(maxAttempts: 3, initialDelay: .zero, jitter: 0))
        }
        let error = await #expect(throws: PipelineError.self) { try await makeRunner().run(pipeline, input: 1) }
        #expect(error?.code == .stageFailed)
        #expect(error?.underlying as? TestFailure == TestFailure(message: "attempt 3"))
        #expect(log.count("flaky") == 3)
    }

    @Test func nonRetryableErrorsAreNotRetried() async throws {
        let log = ExecutionLog()
        let pipeline: Pipeline<Int, Int> = Pipeline("retry") {
            Flaky(log: log, failures: 10, permanent: true).retry(
                .exponentialJitter(maxAttempts: 5, initialDelay: .zero))
        }
        await #expect(throws: PipelineError.self) { try await makeRunner().run(pipeline, input: 1) }
        #expect(log.count("flaky") == 1)
    }

    @Test func customClassifierDecidesWhatIsRetried() async throws {
        let log = ExecutionLog()
        let pipeline: Pipeline<Int, Int> = Pipeline("retry") {
            Flaky(log: log, failures: 10)
                .retry(.exponentialJitter(maxAttempts: 5, initialDelay: .zero, isRetryable: { _ in false }))
        }
        await #expect(throws: PipelineError.self) { try await makeRunner().run(pipeline, input: 1) }
        #expect(log.count("flaky") == 1)
    }

    @Test func attemptTimeoutFiresOnTheClockAndIsRetried() async throws {
        let log = ExecutionLog()
        let clock = TestClock()
        let pipeline: Pipeline<Int, Int> = Pipeline("timeout") {
            Slow(log: log, duration: .seconds(100))
                .timeout(.seconds(10))
                .retry(.exponentialJitter(maxAttempts: 2, initialDelay: .seconds(1), jitter: 0))
        }
        let running = Task { try await makeRunner(clock: clock).run(pipeline, input: 1) }
        // Attempt 1: the stage sleeps 100 s and its timeout 10 s.
        #expect(await clock.waitForSleepers(2, started: 2))
        clock.advance(by: .seconds(10))
        #expect(await clock.waitForSleepers(1, started: 3))  // the retry delay
        clock.advance(by: .seconds(1))
        #expect(await clock.waitForSleepers(2, started: 5))  // attempt 2
        clock.advance(by: .seconds(10))
        let error = await #expect(throws: PipelineError.self) { try await running.value }
        #expect(error?.code == .stageFailed)
        #expect((error?.underlying as? PipelineError)?.code == .attemptTimedOut)
        #expect(log.count("slow") == 2)
    }

    @Test func totalTimeoutBoundsAllAttempts() async throws {
        let log = ExecutionLog()
        let clock = TestClock()
        let pipeline: Pipeline<Int, Int> = Pipeline("timeout") {
            Flaky(log: log, failures: 100)
                .retry(
                    .exponentialJitter(maxAttempts: 100, initialDelay: .seconds(1), maxDelay: .seconds(1), jitter: 0)
                )
                .timeout(nil, total: .seconds(5))
        }
        let running = Task { try await makeRunner(clock: clock).run(pipeline, input: 1) }
        for _ in 0..<5 {
            #expect(await clock.waitForSleepers(2))  // the total timeout and one retry delay
            clock.advance(by: .seconds(1))
        }
        let error = await #expect(throws: PipelineError.self) { try await running.value }
        #expect((error?.underlying as? PipelineError)?.code == .totalTimedOut)
        #expect(log.count("flaky") <= 6)
    }

    @Test func cancellationMidStageIsNotRetriedAndLeavesTheRunResumable() async throws {
        let log = ExecutionLog()
        let clock = TestClock()
        let store = InMemoryCheckpointStore()
        let pipeline: Pipeline<String, Int> = Pipeline("cancel") {
            Length(log: log)
            Slow(log: log, duration: .seconds(60)).retry(.exponentialJitter(maxAttempts: 5, initialDelay: .zero))
            Increment(log: log)
        }
        let runner = makeRunner(store: store, clock: clock)
        let running = Task { try await runner.run(pipeline, input: "abcd", runID: "c") }
        #expect(await clock.waitForSleepers(1))
        running.cancel()
        await #expect(throws: CancellationError.self) { try await running.value }
        #expect(log.count("slow") == 1)  // cancellation is never retried
        #expect(try await store.run("c")?.status == .cancelled)
        #expect(try await store.stages(of: "c").map(\.status) == [.committed])

        let resumed = Task { try await runner.resume(pipeline, runID: "c") }
        #expect(await clock.waitForSleepers(1))
        clock.advance(by: .seconds(60))
        #expect(try await resumed.value == 6)
        #expect(log.count("length") == 1)
        #expect(try await store.run("c")?.status == .succeeded)
    }

    @Test func cancellationMidFanOutKeepsCommittedChildren() async throws {
        let log = ExecutionLog()
        let store = try SQLiteCheckpointStore(path: try temporaryDirectory().appendingPathComponent("c.sqlite").path)
        let pipeline: Pipeline<Int, Int> = Pipeline("cancel-fan") {
            Explode(log: log)
            ForEach(Square(log: log, delay: .milliseconds(5)), maxConcurrency: 2)
            Sum(log: log)
        }
        let runner = makeRunner(store: store)
        let running = Task { try await runner.run(pipeline, input: 200, runID: "cf") }
        while log.total < 12 { try await Task.sleep(for: .milliseconds(1)) }
        running.cancel()
        await #expect(throws: CancellationError.self) { try await running.value }
        #expect(try await store.run("cf")?.status == .cancelled)
        let committed = try await store.children(of: "cf", stageIndex: 1)
        #expect(committed.count >= 5)
        #expect(committed.count < 200)
        #expect(try await store.integrityCheck() == "ok")

        let before = log.total
        #expect(try await runner.resume(pipeline, runID: "cf") == (0..<200).map { $0 * $0 }.reduce(0, +))
        for child in committed {
            #expect(log.count("square-\(child.childIndex)") == 1, "committed child \(child.childIndex) ran again")
        }
        #expect(log.total - before == 200 - committed.count + 1)  // the rest of the children, and the sum
    }
}
