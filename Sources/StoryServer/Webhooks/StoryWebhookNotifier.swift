public import Foundation
public import QueueKit
import StoryQueue

/// Queues a story's webhook when a worker's attempt ends it: wraps the `story` job handler, so that a story with a
/// `webhook_url` gets a `story.webhook` job (``WebhookJobs``) on the same queue as the attempt settles.
///
/// - Succeeded: the handler returned; the webhook carries the status the story will have once the worker records
///   the result (files from the export the handler just wrote).
/// - Failed: the handler threw on the story's last attempt (the queue makes it dead, which the API calls failed).
/// - Cancelled: the handler stopped because the story's owner cancelled it while it ran.
///
/// Delivery is at least once: a worker that dies after queueing the webhook and before recording the result runs
/// the story again, and its next attempt's end sends another. A story cancelled before any worker claimed it sends
/// none (no worker sees it end).
public struct StoryWebhookNotifier: Sendable {
    private let service: QueueStoryService
    private let now: @Sendable () -> Date

    /// Creates a notifier over the service whose stories it reports (and whose queue gets the webhook jobs).
    public init(service: QueueStoryService, now: @escaping @Sendable () -> Date = { Date() }) {
        self.service = service
        self.now = now
    }

    /// The story handler with webhooks.
    public func notifying(_ handler: @escaping JobWorker.Handler) -> JobWorker.Handler {
        { context in
            do {
                let result = try await handler(context)
                var record = context.job
                record.state = .succeeded
                record.result = result
                record.finishedAt = now()
                await enqueue(record, context: context)
                return result
            } catch {
                var record = context.job
                if let current = try? await context.queue.job(record.id), current.cancelRequested {
                    record = current
                    record.state = .cancelled
                    record.finishedAt = now()
                    await enqueue(record, context: context)
                } else if record.attempt >= record.maxAttempts, !(error is CancellationError) {
                    record.state = .dead
                    record.lastError = String(describing: error)
                    record.finishedAt = now()
                    await enqueue(record, context: context)
                }
                throw error
            }
        }
    }

    /// Queues the webhook of the record's final state, if its story has a webhook URL. A failure to queue it is
    /// logged, never the story's failure.
    private func enqueue(_ record: JobRecord, context: JobContext) async {
        guard let job = try? StoryJob(payload: record.payload), let url = job.webhookURL,
            let status = try? service.status(of: record, owner: StoryOwner(rawValue: job.owner ?? "")),
            status.status.isFinal
        else { return }
        do {
            try await WebhookJobs.enqueue(status, url: url, on: context.queue)
        } catch {
            context.logger.error(
                "the story's webhook could not be queued",
                metadata: ["story.id": "\(status.id)", "error": "\(error)"])
        }
    }
}
