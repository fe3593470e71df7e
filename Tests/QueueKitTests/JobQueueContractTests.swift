import Foundation
import PipelineKit
import QueueKit
import Synchronization
import Testing

/// The `JobQueue` contract, run against every backend in ``QueueBackend/all``.
@Suite struct JobQueueContractTests {
    private static func job(
        _ kind: String = "work", key: String? = nil, priority: Int = 0, runAfter: Date? = nil, maxAttempts: Int = 5
    ) -> NewJob {
        NewJob(
            kind: kind, payload: Data("{}".utf8), uniqueKey: key, priority: priority, runAfter: runAfter,
            maxAttempts: maxAttempts)
    }

    @Test(arguments: QueueBackend.all)
    func fiftyConcurrentEnqueuesOfOneKeyMakeOneJob(backend: QueueBackend) async throws {
        try await withQueue(backend) { fixture in
            let queue = fixture.queue
            let results = try await withThrowingTaskGroup(of: Enqueued.self) { group in
                for _ in 0..<50 {
                    group.addTask { try await queue.enqueue(Self.job(key: "story-42")) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == 50)
            #expect(Set(results.map(\.job.id)).count == 1)
            #expect(results.filter(\.created).count == 1)
            #expect(try await queue.jobs(JobFilter()).count == 1)

            // A final job frees its key: the next enqueue makes a new job.
            let claim = try #require(try await queue.claim(kinds: ["work"], worker: "w", lease: .seconds(30)))
            try await queue.complete(claim.token, result: nil)
            let again = try await queue.enqueue(Self.job(key: "story-42"))
            #expect(again.created)
            #expect(again.job.id != claim.token.jobID)
        }
    }

    @Test(arguments: QueueBackend.all)
    func claimsGoByPriorityThenAgeAndWaitForRunAfter(backend: QueueBackend) async throws {
        try await withQueue(backend) { fixture in
            let queue = fixture.queue
            let low = try await queue.enqueue(Self.job(priority: 0)).job.id
            let later = try await queue.enqueue(Self.job(priority: 9, runAfter: Date().addingTimeInterval(3600))).job.id
            let highOld = try await queue.enqueue(Self.job(priority: 5)).job.id
            let highNew = try await queue.enqueue(Self.job(priority: 5)).job.id
            _ = try await queue.enqueue(Self.job("other", priority: 100))
            var order: [JobID] = []
            while let claim = try await queue.claim(kinds: ["work"], worker: "w", lease: .seconds(30)) {
                #expect(claim.job.state == .running)
                #expect(claim.token.attempt == 1)
                order.append(claim.token.jobID)
            }
            #expect(order == [highOld, highNew, low])
            #expect(try await queue.job(later)?.state == .available)
        }
    }

    @Test(arguments: QueueBackend.all)
    func anExpiredLeaseIsClaimedAgainAndTheOldTokenIsRefusedEverywhere(backend: QueueBackend) async throws {
        try await withQueue(backend) { fixture in
            let queue = fixture.queue
            let id = try await queue.enqueue(Self.job()).job.id
            let first = try #require(try await queue.claim(kinds: ["work"], worker: "a", lease: .milliseconds(600)))
            let oldStore = queue.checkpointStore(fencedBy: first.token)
            try await oldStore.createRun(Self.run("job-\(id)"))
            #expect(try await queue.claim(kinds: ["work"], worker: "b", lease: .seconds(30)) == nil)
            try await Task.sleep(for: .milliseconds(700))

            let second = try #require(try await queue.claim(kinds: ["work"], worker: "b", lease: .seconds(30)))
            #expect(second.token == FencingToken(jobID: id, attempt: 2))
            #expect(second.job.worker == "b")
            #expect(second.job.lastError?.contains("expired") == true)

            #expect(
                await throwsQueueError(.staleToken) { _ = try await queue.heartbeat(first.token, lease: .seconds(1)) })
            #expect(await throwsQueueError(.staleToken) { try await queue.complete(first.token, result: nil) })
            #expect(await throwsQueueError(.staleToken) { try await queue.reportProgress(Data(), for: first.token) })
            #expect(await throwsQueueError(.staleToken) { _ = try await queue.fail(first.token, error: "x") })
            #expect(await throwsQueueError(.staleToken) { try await queue.release(first.token) })
            #expect(
                await throwsQueueError(.staleToken) {
                    try await oldStore.commit(CheckpointBatch(stages: [Self.stage("job-\(id)", index: 0)]))
                })
            // The refused commit changed nothing; the new owner's commit lands.
            let newStore = queue.checkpointStore(fencedBy: second.token)
            #expect(try await newStore.stages(of: RunID("job-\(id)")).isEmpty)
            try await newStore.commit(CheckpointBatch(stages: [Self.stage("job-\(id)", index: 0)]))
            #expect(try await newStore.stages(of: RunID("job-\(id)")).count == 1)

            try await queue.complete(second.token, result: Data("done".utf8))
            let done = try #require(try await queue.job(id))
            #expect(done.state == .succeeded)
            #expect(done.result == Data("done".utf8))
            #expect(done.leaseExpiresAt == nil)
            #expect(done.finishedAt != nil)
            // After completion the winning token is stale too: nothing commits for a finished job.
            #expect(
                await throwsQueueError(.staleToken) {
                    try await newStore.commit(CheckpointBatch(stages: [Self.stage("job-\(id)", index: 1)]))
                })
        }
    }

    @Test(arguments: QueueBackend.all)
    func heartbeatsKeepTheLease(backend: QueueBackend) async throws {
        try await withQueue(backend) { fixture in
            let queue = fixture.queue
            _ = try await queue.enqueue(Self.job())
            // Leases of 2 s renewed every 80 ms: a heartbeat keeps it, with room for a slow machine.
            let claim = try #require(try await queue.claim(kinds: ["work"], worker: "a", lease: .seconds(2)))
            for _ in 0..<4 {
                try await Task.sleep(for: .milliseconds(80))
                guard case .renewed(let until) = try await queue.heartbeat(claim.token, lease: .seconds(2))
                else {
                    Issue.record("no renewal")
                    return
                }
                #expect(until > Date())
            }
            #expect(try await queue.claim(kinds: ["work"], worker: "b", lease: .seconds(1)) == nil)
        }
    }

    @Test(arguments: QueueBackend.all)
    func failedAttemptsBackOffThenTheJobIsDead(backend: QueueBackend) async throws {
        try await withQueue(backend, backoff: RetryBackoff(base: .milliseconds(300), jitter: 0)) { fixture in
            let queue = fixture.queue
            let id = try await queue.enqueue(Self.job(maxAttempts: 3)).job.id
            for attempt in 1...3 {
                var claim: JobClaim?
                // 60 s: a bound for a starved machine; the loop ends at the first successful claim.
                let deadline = Date().addingTimeInterval(60)
                while claim == nil, Date() < deadline {
                    claim = try await queue.claim(kinds: ["work"], worker: "w", lease: .seconds(30))
                    if claim == nil { try await Task.sleep(for: .milliseconds(20)) }
                }
                let held = try #require(claim)
                #expect(held.token.attempt == attempt)
                let after = try await queue.fail(held.token, error: "boom \(attempt)")
                #expect(after.lastError == "boom \(attempt)")
                if attempt < 3 {
                    #expect(after.state == .available)
                    // 300 ms × 2^(attempt − 1), no jitter.
                    // Measured from the failure's own time (updatedAt), so a slow machine does not blur it.
                    let wait = after.runAfter.timeIntervalSince(after.updatedAt)
                    let expected = 0.3 * Double(1 << (attempt - 1))
                    #expect(abs(wait - expected) < 0.01, "attempt \(attempt) waits \(wait) s")
                    #expect(try await queue.claim(kinds: ["work"], worker: "w", lease: .seconds(30)) == nil)
                } else {
                    #expect(after.state == .dead)
                    #expect(after.finishedAt != nil)
                }
            }
            #expect(try await queue.job(id)?.state == .dead)
            #expect(try await queue.claim(kinds: ["work"], worker: "w", lease: .seconds(30)) == nil)
        }
    }

    @Test(arguments: QueueBackend.all)
    func anExpiredLeaseOnTheLastAttemptMakesTheJobDead(backend: QueueBackend) async throws {
        try await withQueue(backend) { fixture in
            let queue = fixture.queue
            let id = try await queue.enqueue(Self.job(maxAttempts: 1)).job.id
            _ = try #require(try await queue.claim(kinds: ["work"], worker: "a", lease: .milliseconds(50)))
            try await Task.sleep(for: .milliseconds(120))
            #expect(try await queue.claim(kinds: ["work"], worker: "b", lease: .seconds(1)) == nil)
            let job = try #require(try await queue.job(id))
            #expect(job.state == .dead)
            #expect(job.lastError?.contains("expired") == true)
        }
    }

    @Test(arguments: QueueBackend.all)
    func cancelStopsAQueuedJobAtOnceAndARunningOneAtItsHeartbeat(backend: QueueBackend) async throws {
        try await withQueue(backend) { fixture in
            let queue = fixture.queue
            let running = try await queue.enqueue(Self.job(key: "a")).job.id
            let queued = try await queue.enqueue(Self.job(key: "b")).job.id
            let claim = try #require(try await queue.claim(kinds: ["work"], worker: "w", lease: .seconds(30)))
            #expect(claim.token.jobID == running)

            #expect(try await queue.cancel(queued)?.state == .cancelled)
            #expect(try await queue.claim(kinds: ["work"], worker: "w", lease: .seconds(30)) == nil)

            let flagged = try #require(try await queue.cancel(running))
            #expect(flagged.state == .running)
            #expect(flagged.cancelRequested)
            #expect(try await queue.heartbeat(claim.token, lease: .seconds(30)) == .cancelRequested)
            try await queue.acknowledgeCancel(claim.token)
            let cancelled = try #require(try await queue.job(running))
            #expect(cancelled.state == .cancelled)
            #expect(cancelled.finishedAt != nil)
            #expect(await throwsQueueError(.staleToken) { try await queue.complete(claim.token, result: nil) })

            // A final job stays as it is; an unknown one is nil; its key is free again.
            #expect(try await queue.cancel(running)?.state == .cancelled)
            #expect(try await queue.cancel(JobID(rawValue: 999_999)) == nil)
            #expect(try await queue.enqueue(Self.job(key: "a")).created)
        }
    }

    @Test(arguments: QueueBackend.all)
    func acknowledgingACancelNobodyRequestedIsRefused(backend: QueueBackend) async throws {
        try await withQueue(backend) { fixture in
            let queue = fixture.queue
            _ = try await queue.enqueue(Self.job())
            let claim = try #require(try await queue.claim(kinds: ["work"], worker: "w", lease: .seconds(30)))
            #expect(await throwsQueueError(.invalidState) { try await queue.acknowledgeCancel(claim.token) })
            #expect(try await queue.job(claim.token.jobID)?.state == .running)
        }
    }

    @Test(arguments: QueueBackend.all)
    func aReleasedJobRunsAgainAtOnceWithoutUsingAnAttempt(backend: QueueBackend) async throws {
        try await withQueue(backend) { fixture in
            let queue = fixture.queue
            let id = try await queue.enqueue(Self.job(maxAttempts: 1)).job.id
            let first = try #require(try await queue.claim(kinds: ["work"], worker: "a", lease: .seconds(30)))
            try await queue.release(first.token)
            #expect(try await queue.job(id)?.state == .available)
            let second = try #require(try await queue.claim(kinds: ["work"], worker: "b", lease: .seconds(30)))
            // A new token (fencing stays monotonic), though the release did not count against maxAttempts.
            #expect(second.token.attempt == 2)
            #expect(await throwsQueueError(.staleToken) { try await queue.complete(first.token, result: nil) })
            #expect(try await queue.fail(second.token, error: "the one counted attempt").state == .dead)
        }
    }

    @Test(arguments: QueueBackend.all)
    func progressOfARunningJobIsReadableByOthers(backend: QueueBackend) async throws {
        try await withQueue(backend) { fixture in
            let queue = fixture.queue
            let id = try await queue.enqueue(Self.job()).job.id
            let claim = try #require(try await queue.claim(kinds: ["work"], worker: "w", lease: .seconds(30)))
            try await queue.reportProgress(Data(#"{"stage":"voice"}"#.utf8), for: claim.token)
            try await queue.reportProgress(Data(#"{"stage":"render"}"#.utf8), for: claim.token)
            #expect(try await queue.job(id)?.progress == Data(#"{"stage":"render"}"#.utf8))
        }
    }

    @Test(arguments: QueueBackend.all)
    func requestsBeyondTheLimitsAreInvalid(backend: QueueBackend) async throws {
        try await withQueue(backend) { fixture in
            let queue = fixture.queue
            let big = Data(count: JobQueueLimits.maximumPayloadBytes + 1)
            #expect(
                await throwsQueueError(.invalidRequest) { _ = try await queue.enqueue(NewJob(kind: "w", payload: big)) }
            )
            #expect(
                await throwsQueueError(.invalidRequest) {
                    _ = try await queue.enqueue(NewJob(kind: "", payload: Data()))
                })
            let longKind = String(repeating: "k", count: JobQueueLimits.maximumNameBytes + 1)
            #expect(
                await throwsQueueError(.invalidRequest) {
                    _ = try await queue.enqueue(NewJob(kind: longKind, payload: Data()))
                })
            #expect(
                await throwsQueueError(.invalidRequest) {
                    _ = try await queue.enqueue(NewJob(kind: "w", payload: Data(), maxAttempts: 0))
                })
            #expect(
                await throwsQueueError(.invalidRequest) {
                    _ = try await queue.enqueue(NewJob(kind: "w", payload: Data(), uniqueKey: ""))
                })
            #expect(
                await throwsQueueError(.invalidRequest) {
                    _ = try await queue.claim(kinds: [], worker: "w", lease: .seconds(1))
                })
            #expect(
                await throwsQueueError(.invalidRequest) {
                    _ = try await queue.claim(kinds: ["w"], worker: "w", lease: .zero)
                })
            #expect(try await queue.jobs(JobFilter()).isEmpty)

            _ = try await queue.enqueue(NewJob(kind: "w", payload: Data(count: JobQueueLimits.maximumPayloadBytes)))
            let claim = try #require(try await queue.claim(kinds: ["w"], worker: "w", lease: .seconds(30)))
            #expect(claim.job.payload.count == JobQueueLimits.maximumPayloadBytes)
            #expect(await throwsQueueError(.invalidRequest) { try await queue.reportProgress(big, for: claim.token) })
            #expect(await throwsQueueError(.invalidRequest) { try await queue.complete(claim.token, result: big) })
            // A long error is kept, cut to the limit.
            let failed = try await queue.fail(claim.token, error: String(repeating: "é", count: 20_000))
            #expect((failed.lastError?.utf8.count ?? 0) <= JobQueueLimits.maximumErrorBytes)
            #expect((failed.lastError?.utf8.count ?? 0) > JobQueueLimits.maximumErrorBytes - 2)
        }
    }

    @Test(arguments: QueueBackend.all)
    func corruptRowsAreTypedErrorsNotTraps(backend: QueueBackend) async throws {
        let damages: [(String, CorruptValue)] = [
            ("state", .text("exploded")), ("attempt", .integer(-1)), ("max_attempts", .integer(1_000_000)),
            ("run_after", .real(.infinity)), ("priority", .text("high")), ("created_at", .text("yesterday")),
        ]
        for (column, value) in damages {
            try await withQueue(backend) { fixture in
                let queue = fixture.queue
                let id = try await queue.enqueue(Self.job()).job.id
                try await fixture.corrupt(id, column, value)
                #expect(await throwsQueueError(.corruptRecord) { _ = try await queue.job(id) }, "\(column)")
                #expect(await throwsQueueError(.corruptRecord) { _ = try await queue.jobs(JobFilter()) }, "\(column)")
            }
        }
    }

    @Test(arguments: QueueBackend.all)
    func anIdleWaitEndsWhenThisProcessEnqueues(backend: QueueBackend) async throws {
        try await withQueue(backend) { fixture in
            let queue = fixture.queue
            let clock = ContinuousClock()
            let start = clock.now
            let woke = Mutex(false)
            let waiter = Task {
                try await queue.waitForJobs(kinds: ["work"], timeout: .seconds(20))
                woke.withLock { $0 = true }
            }
            // Enqueue until the waiter wakes: it may not have started waiting when the first job came.
            var enqueued = 0
            while !woke.withLock({ $0 }), enqueued < 50 {
                try await Task.sleep(for: .milliseconds(100))
                _ = try await queue.enqueue(Self.job())
                enqueued += 1
            }
            try await waiter.value
            #expect(clock.now - start < .seconds(10))
            // With nothing available the wait is the poll. (Take the jobs first: the loop above may have enqueued
            // one more after the wake, and a backend that remembers notifications, as PostgreSQL's does, rightly
            // returns at once for it.)
            while let claim = try await queue.claim(kinds: ["work"], worker: "w", lease: .seconds(30)) {
                try await queue.complete(claim.token, result: nil)
            }
            let idle = clock.now
            try await queue.waitForJobs(kinds: ["work"], timeout: .milliseconds(100))
            #expect(clock.now - idle >= .milliseconds(90))
        }
    }

    private static func run(_ id: String) -> RunRecord {
        RunRecord(
            id: RunID(id), pipeline: "p", status: .running, input: Data("1".utf8), createdAt: Date(), updatedAt: Date())
    }

    private static func stage(_ run: String, index: Int) -> StageRecord {
        StageRecord(
            runID: RunID(run), index: index, stageID: StageID("s\(index)"), version: 1, inputHash: "h",
            status: .committed,
            output: Data("1".utf8), attempts: 1, duration: 0.01, finishedAt: Date())
    }
}
