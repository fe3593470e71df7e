import Foundation
import PostgresNIO
import QueueKit
import QueueKitPostgres
import Synchronization
import Testing

/// The PostgreSQL-specific behaviour of the queue, on a real server (see ``PostgresTestDatabase``); the contract
/// every backend keeps is tested in QueueKitTests.
@Suite(.enabled(if: PostgresTestDatabase.enabled, PostgresTestDatabase.skipMessage))
struct PostgresJobQueueTests {
    private func job(_ kind: String = "test", key: String? = nil, maxAttempts: Int = 5) -> NewJob {
        NewJob(kind: kind, payload: Data("{}".utf8), uniqueKey: key, maxAttempts: maxAttempts)
    }

    @Test func aJobGoesFromEnqueueToClaimToCompletion() async throws {
        try await PostgresTestDatabase.withQueue { queue in
            let enqueued = try await queue.enqueue(NewJob(kind: "test", payload: Data([1, 2, 3]), priority: 7))
            #expect(enqueued.created)
            #expect(enqueued.job.state == .available)
            let claim = try #require(try await queue.claim(kinds: ["test"], worker: "w1", lease: .seconds(30)))
            #expect(claim.token == FencingToken(jobID: enqueued.job.id, attempt: 1))
            #expect(claim.job.payload == Data([1, 2, 3]))
            #expect(claim.job.worker == "w1")
            // The lease is measured on the server's clock: about 30 s from now, whatever this machine says.
            #expect(abs(claim.leaseExpiresAt.timeIntervalSinceNow - 30) < 10)
            try await queue.reportProgress(Data("\"half\"".utf8), for: claim.token)
            #expect(try await queue.job(enqueued.job.id)?.progress == Data("\"half\"".utf8))
            try await queue.complete(claim.token, result: Data("ok".utf8))
            let done = try #require(try await queue.job(enqueued.job.id))
            #expect(done.state == .succeeded)
            #expect(done.result == Data("ok".utf8))
            #expect(done.finishedAt != nil)
            let again = await #expect(throws: JobQueueError.self) { try await queue.complete(claim.token, result: nil) }
            #expect(again?.code == .staleToken)
            #expect(try await queue.claim(kinds: ["test"], worker: "w1", lease: .seconds(30)) == nil)
        }
    }

    @Test func eightConcurrentClaimersNeverTakeTheSameJob() async throws {
        try await PostgresTestDatabase.withQueue(maximumConnections: 10) { queue in
            let count = 240
            for index in 0..<count { _ = try await queue.enqueue(NewJob(kind: "c", payload: Data("\(index)".utf8))) }
            let claimed = try await withThrowingTaskGroup(of: [JobID].self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var mine: [JobID] = []
                        while let claim = try await queue.claim(kinds: ["c"], worker: "w\(worker)", lease: .seconds(60))
                        {
                            mine.append(claim.job.id)
                            try await queue.complete(claim.token, result: nil)
                        }
                        return mine
                    }
                }
                var all: [[JobID]] = []
                for try await ids in group { all.append(ids) }
                return all
            }
            let flat = claimed.flatMap { $0 }
            #expect(flat.count == count)
            #expect(Set(flat).count == count, "a job was claimed twice")
            // SKIP LOCKED spreads the work: more than one worker got jobs.
            #expect(claimed.filter { !$0.isEmpty }.count > 1)
            let succeeded = try await queue.jobs(JobFilter(states: [.succeeded], limit: 10_000))
            #expect(succeeded.count == count)
        }
    }

    @Test func batchClaimsAndCompletionsKeepTheTokenRules() async throws {
        try await PostgresTestDatabase.withQueue { queue in
            var ids: [JobID] = []
            for priority in [0, 0, 9, 0, 5] {
                ids.append(try await queue.enqueue(NewJob(kind: "b", payload: Data(), priority: priority)).job.id)
            }
            let first = try await queue.claim(kinds: ["b"], worker: "w", lease: .seconds(30), limit: 3)
            #expect(first.map(\.job.id) == [ids[2], ids[4], ids[0]])
            #expect(first.allSatisfy { $0.token.attempt == 1 && $0.job.state == .running })
            let rest = try await queue.claim(kinds: ["b"], worker: "w", lease: .seconds(30), limit: 10)
            #expect(rest.map(\.job.id) == [ids[1], ids[3]])
            #expect(try await queue.claim(kinds: ["b"], worker: "w", lease: .seconds(30), limit: 10).isEmpty)
            // One token goes stale (its job is completed on its own first): the batch completes the others.
            try await queue.complete(first[0].token, result: nil)
            let stale = try await queue.complete(first.map(\.token) + rest.map(\.token))
            #expect(stale == [first[0].token])
            #expect(try await queue.jobs(JobFilter(states: [.succeeded])).count == 5)
            let tooMany = await #expect(throws: JobQueueError.self) {
                _ = try await queue.claim(kinds: ["b"], worker: "w", lease: .seconds(30), limit: 0)
            }
            #expect(tooMany?.code == .invalidRequest)
        }
    }

    @Test func aNotificationWakesAWaitingWorkerLongBeforeThePoll() async throws {
        try await PostgresTestDatabase.withQueue { queue in
            #expect(try await queue.claim(kinds: ["wake"], worker: "w", lease: .seconds(5)) == nil)
            let clock = ContinuousClock()
            let started = clock.now
            async let waited: Void = queue.waitForJobs(kinds: ["wake"], timeout: .seconds(20))
            try await Task.sleep(for: .milliseconds(200))
            _ = try await queue.enqueue(job("wake"))
            try await waited
            let elapsed = clock.now - started
            // 20 s poll; the notification arrives in milliseconds. 5 s of margin for a loaded machine.
            #expect(elapsed < .seconds(5), "woke after \(elapsed)")
            #expect(try await queue.claim(kinds: ["wake"], worker: "w", lease: .seconds(5)) != nil)
        }
    }

    @Test func aNotificationForAnotherKindDoesNotWakeAWorker() async throws {
        try await PostgresTestDatabase.withQueue { queue in
            #expect(try await queue.claim(kinds: ["mine"], worker: "w", lease: .seconds(5)) == nil)
            // Let the listener's start-up wake pass.
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await queue.claim(kinds: ["mine"], worker: "w", lease: .seconds(5)) == nil)
            let clock = ContinuousClock()
            let started = clock.now
            async let waited: Void = queue.waitForJobs(kinds: ["mine"], timeout: .milliseconds(1_500))
            try await Task.sleep(for: .milliseconds(100))
            _ = try await queue.enqueue(job("theirs"))
            try await waited
            #expect(clock.now - started >= .milliseconds(1_400))
        }
    }

    @Test func anEnqueueInsideARolledBackTransactionLeavesNoJob() async throws {
        try await PostgresTestDatabase.withQueue { queue in
            struct Abort: Error {}
            await #expect(throws: Abort.self) {
                try await queue.client.withConnection { connection in
                    try await connection.query("BEGIN", logger: PostgresTestDatabase.quietLogger)
                    _ = try await queue.enqueue(job("tx"), on: connection)
                    try await connection.query("ROLLBACK", logger: PostgresTestDatabase.quietLogger)
                    throw Abort()
                }
            }
            #expect(try await queue.jobs(JobFilter()).isEmpty)
            // The committed case: the job exists once the caller commits, with the caller's own row beside it.
            let id = try await queue.client.withConnection { connection in
                try await connection.query("BEGIN", logger: PostgresTestDatabase.quietLogger)
                let enqueued = try await queue.enqueue(job("tx"), on: connection)
                try await connection.query("COMMIT", logger: PostgresTestDatabase.quietLogger)
                return enqueued.job.id
            }
            #expect(try await queue.job(id)?.state == .available)
        }
    }

    @Test func fourWorkersStartingAtOnceMigrateTheSchemaOnce() async throws {
        let url = try PostgresTestDatabase.url()
        let schema = PostgresTestDatabase.freshSchema()
        let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let queue = try PostgresJobQueue(
                        .init(url: url, schema: schema, maximumConnections: 1, listens: false),
                        logger: PostgresTestDatabase.quietLogger)
                    return try await withThrowingTaskGroup(of: [Int].self) { inner in
                        inner.addTask {
                            try await queue.run()
                            return []
                        }
                        defer { inner.cancelAll() }
                        return try await queue.migrate()
                    }
                }
            }
            var all: [[Int]] = []
            for try await versions in group { all.append(versions) }
            return all
        }
        #expect(applied.filter { !$0.isEmpty } == [[1]], "\(applied)")
        try await PostgresTestDatabase.withQueue(schema: schema) { queue in
            let rows = try await queue.client.query(
                PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(schema).schema_versions"))
            for try await count in rows.decode(Int64.self) { #expect(count == 1) }
            #expect(try await queue.migrate() == [])
        }
    }

    @Test func aSchemaFromANewerVersionIsRefused() async throws {
        try await PostgresTestDatabase.withQueue { queue in
            try await queue.client.query(
                PostgresQuery(unsafeSQL: "INSERT INTO \(queue.configuration.schema).schema_versions VALUES (99)"))
            let error = await #expect(throws: JobQueueError.self) { try await queue.migrate() }
            #expect(error?.code == .invalidState)
            #expect(error?.message.contains("newer") == true)
        }
    }

    @Test func fiftyConcurrentEnqueuesOfOneKeyMakeOneJob() async throws {
        try await PostgresTestDatabase.withQueue(maximumConnections: 10) { queue in
            let results = try await withThrowingTaskGroup(of: Enqueued.self) { group in
                for _ in 0..<50 { group.addTask { try await queue.enqueue(job("u", key: "same")) } }
                var all: [Enqueued] = []
                for try await result in group { all.append(result) }
                return all
            }
            #expect(results.filter(\.created).count == 1)
            #expect(Set(results.map(\.job.id)).count == 1)
            // Once the job is final, the key is free again.
            let claim = try #require(try await queue.claim(kinds: ["u"], worker: "w", lease: .seconds(5)))
            try await queue.complete(claim.token, result: nil)
            #expect(try await queue.enqueue(job("u", key: "same")).created)
        }
    }

    @Test func anExpiredLeaseIsTakenOverAndTheOldTokenIsFenced() async throws {
        try await PostgresTestDatabase.withQueue { queue in
            let id = try await queue.enqueue(job("lease")).job.id
            let first = try #require(
                try await queue.claim(kinds: ["lease"], worker: "paused", lease: .milliseconds(200)))
            try await Task.sleep(for: .milliseconds(400))
            let second = try #require(try await queue.claim(kinds: ["lease"], worker: "new", lease: .seconds(30)))
            #expect(second.token == FencingToken(jobID: id, attempt: 2))
            let heartbeat = await #expect(throws: JobQueueError.self) {
                _ = try await queue.heartbeat(first.token, lease: .seconds(5))
            }
            let completion = await #expect(throws: JobQueueError.self) {
                try await queue.complete(first.token, result: nil)
            }
            let progress = await #expect(throws: JobQueueError.self) {
                try await queue.reportProgress(Data(), for: first.token)
            }
            let failure = await #expect(throws: JobQueueError.self) {
                _ = try await queue.fail(first.token, error: "late")
            }
            let release = await #expect(throws: JobQueueError.self) { try await queue.release(first.token) }
            for refused in [heartbeat, completion, progress, failure, release] {
                #expect(refused?.code == .staleToken)
            }
            guard case .renewed = try await queue.heartbeat(second.token, lease: .seconds(30)) else {
                Issue.record("the new owner's heartbeat was not renewed")
                return
            }
            try await queue.complete(second.token, result: nil)
            #expect(try await queue.job(id)?.state == .succeeded)
        }
    }

    @Test func anExpiredLeaseOnTheLastAttemptMakesTheJobDead() async throws {
        try await PostgresTestDatabase.withQueue { queue in
            let id = try await queue.enqueue(job("lease", maxAttempts: 1)).job.id
            _ = try #require(try await queue.claim(kinds: ["lease"], worker: "gone", lease: .milliseconds(100)))
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await queue.claim(kinds: ["lease"], worker: "next", lease: .seconds(5)) == nil)
            let dead = try #require(try await queue.job(id))
            #expect(dead.state == .dead)
            #expect(dead.lastError?.contains("lease") == true)
            #expect(dead.lastError?.contains("gone") == true)
        }
    }

    @Test func failuresBackOffThenTheJobDies() async throws {
        let backoff = RetryBackoff(base: .milliseconds(300), maximum: .seconds(5), jitter: 0)
        try await PostgresTestDatabase.withQueue(backoff: backoff) { queue in
            let id = try await queue.enqueue(job("retry", maxAttempts: 2)).job.id
            let first = try #require(try await queue.claim(kinds: ["retry"], worker: "w", lease: .seconds(5)))
            let retrying = try await queue.fail(first.token, error: "boom 1")
            #expect(retrying.state == .available)
            #expect(retrying.lastError == "boom 1")
            // Not before the backoff has passed…
            #expect(try await queue.claim(kinds: ["retry"], worker: "w", lease: .seconds(5)) == nil)
            try await Task.sleep(for: .milliseconds(500))
            // …then claimable again, as attempt 2.
            let second = try #require(try await queue.claim(kinds: ["retry"], worker: "w", lease: .seconds(5)))
            #expect(second.token.attempt == 2)
            let dead = try await queue.fail(second.token, error: String(repeating: "é", count: 20_000))
            #expect(dead.state == .dead)
            #expect((dead.lastError?.utf8.count ?? 0) <= JobQueueLimits.maximumErrorBytes)
            #expect(try await queue.job(id)?.finishedAt != nil)
        }
    }

    @Test func cancellingWaitingAndRunningJobs() async throws {
        try await PostgresTestDatabase.withQueue { queue in
            let waiting = try await queue.enqueue(job("cancel")).job.id
            #expect(try await queue.cancel(waiting)?.state == .cancelled)
            let running = try await queue.enqueue(job("cancel")).job.id
            let claim = try #require(try await queue.claim(kinds: ["cancel"], worker: "w", lease: .seconds(5)))
            #expect(claim.job.id == running)
            let flagged = try #require(try await queue.cancel(running))
            #expect(flagged.state == .running)
            #expect(flagged.cancelRequested)
            #expect(try await queue.heartbeat(claim.token, lease: .seconds(5)) == .cancelRequested)
            try await queue.acknowledgeCancel(claim.token)
            #expect(try await queue.job(running)?.state == .cancelled)
            // A final job stays as it is; an unknown one is nil.
            #expect(try await queue.cancel(running)?.state == .cancelled)
            #expect(try await queue.cancel(JobID(rawValue: 999_999)) == nil)
        }
    }

    @Test func aReleasedJobIsAvailableAtOnceWithoutUsingAnAttempt() async throws {
        try await PostgresTestDatabase.withQueue { queue in
            let id = try await queue.enqueue(job("release", maxAttempts: 1)).job.id
            let first = try #require(try await queue.claim(kinds: ["release"], worker: "w1", lease: .seconds(5)))
            try await queue.release(first.token)
            let second = try #require(try await queue.claim(kinds: ["release"], worker: "w2", lease: .seconds(5)))
            // The fencing attempt still grows (the released token must stay stale)…
            #expect(second.token == FencingToken(jobID: id, attempt: 2))
            // …but the release did not use up the only attempt: failing now makes it dead, not a third try.
            #expect(try await queue.fail(second.token, error: "x").state == .dead)
        }
    }

    @Test func requestsOutsideTheLimitsAreRejected() async throws {
        try await PostgresTestDatabase.withQueue { queue in
            for bad in [
                NewJob(kind: "", payload: Data()),
                NewJob(kind: String(repeating: "k", count: 201), payload: Data()),
                NewJob(kind: "k", payload: Data(count: JobQueueLimits.maximumPayloadBytes + 1)),
                NewJob(kind: "k", payload: Data(), maxAttempts: 0),
                NewJob(kind: "k", payload: Data(), runAfter: Date(timeIntervalSince1970: .infinity)),
            ] {
                let error = await #expect(throws: JobQueueError.self) { try await queue.enqueue(bad) }
                #expect(error?.code == .invalidRequest)
            }
            let lease = await #expect(throws: JobQueueError.self) {
                try await queue.claim(kinds: ["k"], worker: "w", lease: .zero)
            }
            #expect(lease?.code == .invalidRequest)
            let remaining = try await queue.jobs(JobFilter())
            #expect(remaining.isEmpty)
        }
    }

    @Test func anUnreachableServerIsABackendFailureThatShowsNoPassword() async throws {
        // A port nothing listens on (1: tcpmux, never run by a test machine).
        let url = try PostgresQueueURL("postgres://u:NEVER-SHOWN@127.0.0.1:1/d?sslmode=disable", environment: [:])
        var configuration = PostgresJobQueue.Configuration(url: url, maximumConnections: 1, listens: false)
        configuration.connectTimeout = .seconds(2)
        let error = await #expect(throws: JobQueueError.self) {
            try await PostgresJobQueue.withQueue(configuration, logger: PostgresTestDatabase.quietLogger) { _ in }
        }
        #expect(error?.code == .backendFailure)
        let text = error.map { "\($0)" } ?? ""
        #expect(!text.contains("NEVER-SHOWN"))
        #expect(text.contains("postgres://u:***@127.0.0.1:1/d"))
    }
}
