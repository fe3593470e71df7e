import Foundation
import Logging
import ProviderKitTesting
import QueueKit
import ServiceLifecycle
import StoryServer
import Synchronization
import Testing

/// `story.webhook` jobs on a real SQLite queue, run by a real `JobWorker`, delivering to a real loopback receiver.
@Suite struct WebhookJobsTests {
    private let secret: WebhookSecret
    private let status = StoryStatus(
        id: "story-9", status: .failed, topic: "storms", attempt: 3,
        createdAt: Date(timeIntervalSince1970: 1_700_000_000),
        finishedAt: Date(timeIntervalSince1970: 1_700_000_500),
        error: .init(code: "qc_failed", message: "the video is silent"))

    init() throws { secret = try WebhookSecret("jobs-secret-0123456789") }

    private static func temporaryQueue() throws -> (SQLiteJobQueue, URL) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webhook-jobs-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        // 20 ms backoff without jitter: the queue's retries, fast enough for a test.
        let queue = try SQLiteJobQueue(
            path: directory.appendingPathComponent("queue.sqlite").path,
            configuration: .init(backoff: RetryBackoff(base: .milliseconds(20), jitter: 0)))
        return (queue, directory)
    }

    /// Runs a webhook worker until `until` holds (checked every 20 ms; 30 s at most, a bound for a starved machine),
    /// then shuts it down.
    private func runWorker(
        _ queue: SQLiteJobQueue, policy: WebhookTargetPolicy, until: @escaping @Sendable () async throws -> Bool
    ) async throws {
        let sender = WebhookSender(secret: secret, configuration: .init(policy: policy, timeout: .seconds(5)))
        let worker = JobWorker(
            queue: queue,
            configuration: .init(kinds: [WebhookJobs.kind], name: "webhooks", pollInterval: .milliseconds(20)),
            handler: WebhookJobs.handler(sender: sender))
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: worker)], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now + .seconds(30)
            while try await !until(), ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
    }

    @Test func aReceiverThatFailsTwiceGetsTheSameSignedBodyThreeTimes() async throws {
        let (queue, directory) = try Self.temporaryQueue()
        defer { try? FileManager.default.removeItem(at: directory) }
        let calls = Mutex(0)
        let receiver = try LoopbackHTTPServer { _ in
            calls.withLock {
                $0 += 1
                return $0
            } <= 2 ? .json("{}", status: 500) : .json("{}", status: 204)
        }
        defer { receiver.shutdown() }
        let id = try await WebhookJobs.enqueue(status, url: "\(receiver.baseURL)/hook", on: queue).job.id
        try await runWorker(queue, policy: WebhookTargetPolicy(allowPrivateAddresses: true)) {
            try await queue.job(id)?.state.isFinal == true
        }
        let job = try #require(try await queue.job(id))
        #expect(job.state == .succeeded)
        #expect(job.attempt == 3)
        let result = try JSONDecoder().decode(WebhookJobs.Result.self, from: try #require(job.result))
        #expect(result == .init(outcome: "delivered", status: 204))
        let requests = receiver.requests
        #expect(requests.count == 3)
        #expect(Set(requests.map(\.body)).count == 1)
        for request in requests {
            #expect(
                WebhookSignature.verify(
                    header: request.header(WebhookSignature.headerName), body: request.body, secret: secret))
            #expect(request.header(WebhookSender.eventHeader) == "story.failed")
        }
    }

    @Test func aRefusedTargetFinishesTheJobWithoutRetrying() async throws {
        let (queue, directory) = try Self.temporaryQueue()
        defer { try? FileManager.default.removeItem(at: directory) }
        let receiver = try LoopbackHTTPServer { _ in .json("{}") }
        defer { receiver.shutdown() }
        let id = try await WebhookJobs.enqueue(status, url: "\(receiver.baseURL)/hook", on: queue).job.id
        try await runWorker(queue, policy: WebhookTargetPolicy()) { try await queue.job(id)?.state.isFinal == true }
        let job = try #require(try await queue.job(id))
        #expect(job.state == .succeeded)
        #expect(job.attempt == 1)
        let result = try JSONDecoder().decode(WebhookJobs.Result.self, from: try #require(job.result))
        #expect(result.outcome == "refused")
        #expect(result.reason?.contains("loopback") == true)
        #expect(receiver.requests.isEmpty)
    }

    @Test func theSameTransitionIsQueuedOnce() async throws {
        let (queue, directory) = try Self.temporaryQueue()
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = try await WebhookJobs.enqueue(status, url: "https://example.com/hook", on: queue)
        let second = try await WebhookJobs.enqueue(status, url: "https://example.com/hook", on: queue)
        #expect(first.created && !second.created)
        #expect(first.job.id == second.job.id)
    }
}
