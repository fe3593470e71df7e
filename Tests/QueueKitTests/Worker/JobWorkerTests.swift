import Foundation
import Logging
import PipelineKit
import QueueKit
import ServiceLifecycle
import Synchronization
import Testing

/// The worker runtime against a real SQLite queue, in this process.
@Suite struct JobWorkerTests {
    private static func worker(
        _ queue: any JobQueue, concurrency: Int = 2, lease: Duration = .seconds(3),
        shutdownDeadline: Duration = .seconds(5), handler: @escaping JobWorker.Handler
    ) -> JobWorker {
        JobWorker(
            queue: queue,
            configuration: .init(
                kinds: ["work"], name: "test", concurrency: concurrency, lease: lease, pollInterval: .milliseconds(50),
                shutdownDeadline: shutdownDeadline),
            handler: handler)
    }

    /// Runs `worker` in a service group until `until` holds (checked every 20 ms; 60 s at most, a bound for a starved
    /// machine, not a duration), then shuts it down
    /// gracefully and waits for it to return.
    private static func run(_ worker: JobWorker, until: @escaping @Sendable () async throws -> Bool) async throws {
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: worker)], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now + .seconds(60)
            while try await !until(), ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(20))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    private static func states(_ queue: any JobQueue) async throws -> [JobState] {
        try await queue.jobs(JobFilter()).map(\.state)
    }

    @Test func runsEveryJobAtMostConcurrencyAtATime() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let queue = try SQLiteJobQueue(path: directory.appendingPathComponent("q.sqlite").path)
        for index in 0..<12 {
            _ = try await queue.enqueue(NewJob(kind: "work", payload: Data("\(index)".utf8)))
        }
        let gauge = Mutex((now: 0, most: 0))
        let worker = Self.worker(queue, concurrency: 3) { context in
            gauge.withLock {
                $0.now += 1
                $0.most = max($0.most, $0.now)
            }
            try await Task.sleep(for: .milliseconds(30))
            gauge.withLock { $0.now -= 1 }
            return context.job.payload
        }
        try await Self.run(worker) { try await Self.states(queue).allSatisfy { $0 == .succeeded } }
        let jobs = try await queue.jobs(JobFilter())
        #expect(jobs.count == 12)
        #expect(jobs.allSatisfy { $0.state == .succeeded && $0.result == $0.payload })
        #expect(gauge.withLock { $0.most } == 3)
    }

    @Test func aFailingHandlerIsRetriedThenDead() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let queue = try SQLiteJobQueue(
            path: directory.appendingPathComponent("q.sqlite").path,
            configuration: .init(backoff: RetryBackoff(base: .milliseconds(20), jitter: 0)))
        let id = try await queue.enqueue(NewJob(kind: "work", payload: Data(), maxAttempts: 3)).job.id
        let calls = Mutex(0)
        let worker = Self.worker(queue) { _ in
            calls.withLock { $0 += 1 }
            throw JobQueueError.invalidRequest("the handler's own failure")
        }
        try await Self.run(worker) { try await queue.job(id)?.state == .dead }
        #expect(calls.withLock { $0 } == 3)
        #expect(try await queue.job(id)?.lastError?.contains("the handler's own failure") == true)
    }

    @Test func cancellingARunningJobCancelsItsTask() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let queue = try SQLiteJobQueue(path: directory.appendingPathComponent("q.sqlite").path)
        let id = try await queue.enqueue(NewJob(kind: "work", payload: Data())).job.id
        let sawCancellation = Mutex(false)
        // A lease of 1.5 s: a heartbeat, which brings the cancel, every 500 ms.
        let worker = Self.worker(queue, lease: .milliseconds(1_500)) { _ in
            do {
                try await Task.sleep(for: .seconds(30))
            } catch {
                sawCancellation.withLock { $0 = true }
                throw error
            }
            return nil
        }
        try await Self.run(worker) {
            if try await queue.job(id)?.state == .running { _ = try await queue.cancel(id) }
            return try await queue.job(id)?.state == .cancelled
        }
        #expect(try await queue.job(id)?.state == .cancelled)
        #expect(sawCancellation.withLock { $0 })
    }

    @Test func gracefulShutdownReleasesJobsStillRunningAtTheDeadline() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let queue = try SQLiteJobQueue(path: directory.appendingPathComponent("q.sqlite").path)
        let slow = try await queue.enqueue(NewJob(kind: "work", payload: Data("slow".utf8), maxAttempts: 1)).job.id
        let quick = try await queue.enqueue(NewJob(kind: "work", payload: Data("quick".utf8))).job.id
        let worker = Self.worker(queue, shutdownDeadline: .milliseconds(400)) { context in
            if context.job.payload == Data("slow".utf8) {
                try await Task.sleep(for: .seconds(30))
            } else {
                // Still running when shutdown starts, done well before the deadline.
                try await Task.sleep(for: .milliseconds(150))
            }
            return nil
        }
        let clock = ContinuousClock()
        let start = clock.now
        try await Self.run(worker) { try await queue.jobs(JobFilter(states: [.running])).count == 2 }
        // Well before the slow handler's 30 s: the deadline released it.
        #expect(clock.now - start < .seconds(25))
        #expect(try await queue.job(quick)?.state == .succeeded)
        let released = try #require(try await queue.job(slow))
        #expect(released.state == .available)
        #expect(released.worker == nil)
        // maxAttempts 1, yet it can run again: the release did not use the attempt.
        let again = try #require(try await queue.claim(kinds: ["work"], worker: "next", lease: .seconds(5)))
        #expect(again.token.jobID == slow)
        try await queue.complete(again.token, result: nil)
    }

    @Test func cancellingTheWorkerReleasesItsRunningJobsWithoutUsingTheirAttempt() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let queue = try SQLiteJobQueue(path: directory.appendingPathComponent("q.sqlite").path)
        let id = try await queue.enqueue(NewJob(kind: "work", payload: Data(), maxAttempts: 1)).job.id
        let worker = Self.worker(queue) { _ in
            try await Task.sleep(for: .seconds(30))
            return nil
        }
        let running = Task { try await worker.run() }
        let deadline = ContinuousClock.now + .seconds(60)
        while try await queue.job(id)?.state != .running, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        running.cancel()
        _ = await running.result
        let job = try #require(try await queue.job(id))
        #expect(job.state == .available)
        #expect(job.lastError == nil)
        let again = try #require(try await queue.claim(kinds: ["work"], worker: "next", lease: .seconds(5)))
        #expect(again.token.jobID == id)
    }

    @Test func aStaleTokenMakesTheWorkerGiveTheJobUpWritingNothing() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let queue = try SQLiteJobQueue(path: directory.appendingPathComponent("q.sqlite").path)
        let id = try await queue.enqueue(NewJob(kind: "work", payload: Data())).job.id
        let refused = Mutex(false)
        // One at a time: this worker must not claim the job back itself while its handler runs.
        let worker = Self.worker(queue, concurrency: 1, lease: .seconds(3)) { context in
            // Another worker takes the job from under this one (as after a pause past the lease).
            try await Self.steal(id, from: context.claim, queue: queue)
            do {
                try await context.checkpoints.createRun(
                    RunRecord(
                        id: RunID("job-\(id)"), pipeline: "p", status: .running, input: Data(), createdAt: Date(),
                        updatedAt: Date()))
            } catch {
                refused.withLock { $0 = JobWorker.carriesStaleToken(error) }
                throw error
            }
            return Data("must not be stored".utf8)
        }
        try await Self.run(worker) { refused.withLock { $0 } }
        try await Task.sleep(for: .milliseconds(100))
        let job = try #require(try await queue.job(id))
        #expect(refused.withLock { $0 })
        #expect(job.state == .running)
        #expect(job.worker == "thief")
        #expect(job.result == nil)
        // The only error recorded is the take-over's, none from the worker that gave the job up.
        #expect(job.lastError?.hasPrefix("the lease of attempt 1") == true)
        #expect(try await queue.checkpointStore.run(RunID("job-\(id)")) == nil)
    }

    @Test func anIdleWorkerWaitsForThePollInsteadOfClaimingInALoop() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let queue = ClaimCountingQueue(try SQLiteJobQueue(path: directory.appendingPathComponent("q.sqlite").path))
        let worker = JobWorker(
            queue: queue,
            configuration: .init(kinds: ["work"], name: "idle", concurrency: 2, pollInterval: .milliseconds(200)),
            handler: { context in context.job.payload })
        let started = ContinuousClock.now
        try await Self.run(worker) { ContinuousClock.now - started > .seconds(1) }
        let polls = Int((ContinuousClock.now - started) / .milliseconds(200)) + 1
        // One claim at the start and one a poll (200 ms) after: about 6 in a second. A loop that woke itself
        // claimed thousands of times a second and kept two cores busy on an empty queue.
        #expect(queue.claims >= 1)
        #expect(queue.claims <= 2 * polls + 5, "\(queue.claims) claims in \(polls) polls")
    }

    /// Makes `claim`'s job look abandoned and claims it as worker `thief`.
    private static func steal(_ id: JobID, from claim: JobClaim, queue: SQLiteJobQueue) async throws {
        // A 1 ms heartbeat lease ends the current lease at once, then a claim takes the job over.
        _ = try await queue.heartbeat(claim.token, lease: .milliseconds(1))
        try await Task.sleep(for: .milliseconds(10))
        let stolen = try #require(try await queue.claim(kinds: ["work"], worker: "thief", lease: .seconds(60)))
        #expect(stolen.token.jobID == id)
    }
}

/// A queue that counts the claims made through it and forwards everything to a real queue.
private final class ClaimCountingQueue: JobQueue {
    private let queue: any JobQueue
    private let count = Mutex(0)

    init(_ queue: any JobQueue) { self.queue = queue }

    var claims: Int { count.withLock { $0 } }

    func enqueue(_ job: NewJob) async throws -> Enqueued { try await queue.enqueue(job) }
    func claim(kinds: Set<String>, worker: String, lease: Duration) async throws -> JobClaim? {
        count.withLock { $0 += 1 }
        return try await queue.claim(kinds: kinds, worker: worker, lease: lease)
    }
    func heartbeat(_ token: FencingToken, lease: Duration) async throws -> Heartbeat {
        try await queue.heartbeat(token, lease: lease)
    }
    func reportProgress(_ progress: Data, for token: FencingToken) async throws {
        try await queue.reportProgress(progress, for: token)
    }
    func complete(_ token: FencingToken, result: Data?) async throws { try await queue.complete(token, result: result) }
    func fail(_ token: FencingToken, error: String) async throws -> JobRecord {
        try await queue.fail(token, error: error)
    }
    func release(_ token: FencingToken) async throws { try await queue.release(token) }
    func cancel(_ id: JobID) async throws -> JobRecord? { try await queue.cancel(id) }
    func acknowledgeCancel(_ token: FencingToken) async throws { try await queue.acknowledgeCancel(token) }
    func retry(_ id: JobID) async throws -> JobRecord? { try await queue.retry(id) }
    func job(_ id: JobID) async throws -> JobRecord? { try await queue.job(id) }
    func jobs(_ filter: JobFilter) async throws -> [JobRecord] { try await queue.jobs(filter) }
    func waitForJobs(kinds: Set<String>, timeout: Duration) async throws {
        try await queue.waitForJobs(kinds: kinds, timeout: timeout)
    }
    func checkpointStore(fencedBy token: FencingToken) -> any CheckpointStore {
        queue.checkpointStore(fencedBy: token)
    }
}
