import Foundation
public import QueueKit

/// Webhooks as queue jobs of their own kind, `story.webhook`, so that a delivery survives a restart and is
/// retried with the queue's backoff (``RetryBackoff``: 1 s, 2 s, 4 s … plus jitter) like any job.
///
/// The server enqueues one when a story with a `webhook_url` reaches a final state (``enqueue(_:url:on:)``);
/// its in-process workers run ``handler(sender:)`` for the kind. A refused target completes the job with a
/// `refused` result instead of failing it, since no retry can change the policy's answer.
public enum WebhookJobs {
    /// The jobs' kind.
    public static let kind = "story.webhook"
    /// Attempts per delivery: 8, which with the queue's default backoff spans about 4 minutes of retries
    /// (1 + 2 + … + 64 s, plus jitter) before the job is dead.
    public static let maximumAttempts = 8

    /// What a finished `story.webhook` job's result says.
    public struct Result: Codable, Sendable, Hashable {
        /// `delivered` or `refused`.
        public var outcome: String
        /// The receiver's status code, when delivered.
        public var status: Int?
        /// Why it was refused.
        public var reason: String?

        /// Creates a result.
        public init(outcome: String, status: Int? = nil, reason: String? = nil) {
            self.outcome = outcome
            self.status = status
            self.reason = reason
        }
    }

    /// Queues the webhook of a story's final state. The unique key (story, attempt, state) makes a second call
    /// for the same transition, while the first delivery is pending, return that delivery instead of a new one.
    ///
    /// - Throws: ``StoryServerError`` `invalidRequest` when the story is not final; the queue's errors.
    @discardableResult
    public static func enqueue(_ status: StoryStatus, url: String, on queue: any JobQueue) async throws -> Enqueued {
        let delivery = try WebhookDelivery(status: status, url: url)
        let payload = try JSONEncoder().encode(delivery)
        return try await queue.enqueue(
            NewJob(
                kind: kind, payload: payload,
                uniqueKey: "webhook:\(status.id):\(status.attempt):\(status.status.rawValue)",
                maxAttempts: maximumAttempts))
    }

    /// The worker's handler for `story.webhook` jobs: one delivery attempt per claim; a thrown error fails the
    /// attempt, and the queue retries it after its backoff.
    public static func handler(sender: WebhookSender) -> JobWorker.Handler {
        { context in
            let delivery: WebhookDelivery
            do {
                delivery = try JSONDecoder().decode(WebhookDelivery.self, from: context.job.payload)
            } catch {
                // A payload that does not decode never will: finish the job rather than retry it.
                context.logger.error(
                    "a story.webhook job's payload does not decode", metadata: ["job.id": "\(context.job.id)"])
                return try JSONEncoder().encode(Result(outcome: "refused", reason: "the payload does not decode"))
            }
            do {
                let status = try await sender.deliver(delivery, logger: context.logger)
                return try JSONEncoder().encode(Result(outcome: "delivered", status: status))
            } catch let error as StoryServerError where error.code == .invalidRequest {
                context.logger.warning(
                    "webhook refused",
                    metadata: ["story.id": "\(delivery.storyID)", "webhook.reason": "\(error.message)"])
                return try JSONEncoder().encode(Result(outcome: "refused", reason: error.message))
            }
        }
    }
}
