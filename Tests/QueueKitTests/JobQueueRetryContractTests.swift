import Foundation
import PipelineKit
import QueueKit
import Testing

/// `JobQueue.retry(_:)` and `JobFilter.before`, on every backend in ``QueueBackend/all``.
@Suite struct JobQueueRetryContractTests {
    private static func job(key: String? = nil, maxAttempts: Int = 1) -> NewJob {
        NewJob(kind: "work", payload: Data("{}".utf8), uniqueKey: key, maxAttempts: maxAttempts)
    }

    @Test(arguments: QueueBackend.all)
    func aDeadJobGetsOneMoreAttemptOfTheSameJob(backend: QueueBackend) async throws {
        try await withQueue(backend) { fixture in
            let queue = fixture.queue
            let id = try await queue.enqueue(Self.job()).job.id
            let first = try #require(try await queue.claim(kinds: ["work"], worker: "w", lease: .seconds(30)))
            // A checkpoint of the first attempt, which the retried attempt must still see.
            let store = queue.checkpointStore(fencedBy: first.token)
            try await store.createRun(
                RunRecord(
                    id: RunID("job-\(id)"), pipeline: "p", status: .running, input: Data("1".utf8), createdAt: Date(),
                    updatedAt: Date()))
            #expect(try await queue.fail(first.token, error: "boom").state == .dead)

            let retried = try #require(try await queue.retry(id))
            #expect(retried.id == id)
            #expect(retried.state == .available)
            #expect(retried.maxAttempts == 2)
            #expect(retried.finishedAt == nil)
            let second = try #require(try await queue.claim(kinds: ["work"], worker: "w", lease: .seconds(30)))
            #expect(second.token == FencingToken(jobID: id, attempt: 2))
            #expect(try await queue.checkpointStore(fencedBy: second.token).run(RunID("job-\(id)")) != nil)
            // The first attempt's token stays stale.
            #expect(await throwsQueueError(.staleToken) { try await queue.complete(first.token, result: nil) })
            try await queue.complete(second.token, result: nil)
            #expect(try await queue.job(id)?.state == .succeeded)
        }
    }

    @Test(arguments: QueueBackend.all)
    func aCancelledJobIsRetriedAndOthersAreRefused(backend: QueueBackend) async throws {
        try await withQueue(backend) { fixture in
            let queue = fixture.queue
            let id = try await queue.enqueue(Self.job(maxAttempts: 3)).job.id
            #expect(await throwsQueueError(.invalidState) { _ = try await queue.retry(id) })
            _ = try await queue.cancel(id)
            let retried = try #require(try await queue.retry(id))
            #expect(retried.state == .available)
            #expect(retried.cancelRequested == false)
            #expect(retried.maxAttempts == 3)
            let claim = try #require(try await queue.claim(kinds: ["work"], worker: "w", lease: .seconds(30)))
            #expect(await throwsQueueError(.invalidState) { _ = try await queue.retry(id) })
            try await queue.complete(claim.token, result: nil)
            #expect(await throwsQueueError(.invalidState) { _ = try await queue.retry(id) })
            #expect(try await queue.retry(JobID(rawValue: 987_654)) == nil)
        }
    }

    @Test(arguments: QueueBackend.all)
    func aRetryDoesNotTakeAUniqueKeyAnotherJobHolds(backend: QueueBackend) async throws {
        try await withQueue(backend) { fixture in
            let queue = fixture.queue
            let first = try await queue.enqueue(Self.job(key: "story-7")).job.id
            _ = try await queue.cancel(first)
            let second = try await queue.enqueue(Self.job(key: "story-7"))
            #expect(second.created)
            #expect(await throwsQueueError(.invalidState) { _ = try await queue.retry(first) })
            #expect(try await queue.job(first)?.state == .cancelled)
        }
    }

    @Test(arguments: QueueBackend.all)
    func jobsArePagedWithBefore(backend: QueueBackend) async throws {
        try await withQueue(backend) { fixture in
            let queue = fixture.queue
            var ids: [JobID] = []
            for _ in 0..<5 { ids.append(try await queue.enqueue(Self.job()).job.id) }
            let page = try await queue.jobs(JobFilter(limit: 2, before: ids[3]))
            #expect(page.map(\.id) == [ids[2], ids[1]])
            let rest = try await queue.jobs(JobFilter(states: [.available], kind: "work", before: ids[1]))
            #expect(rest.map(\.id) == [ids[0]])
            #expect(try await queue.jobs(JobFilter(before: ids[0])).isEmpty)
        }
    }
}
