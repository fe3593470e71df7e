public import QueueKit

/// Opening the queue a `--queue` URL names, for `story-worker` and `story-queue`.
public enum StoryQueues {
    /// Opens the queue `text` names: `sqlite:///path` here. A `postgres://` URL needs the `QueueKitPostgres` product,
    /// whose `QueueURL.withQueue(_:sqlite:logger:_:)` opens either backend for a scope (what `story-worker` and
    /// `story-queue` use), so this library never links NIO.
    ///
    /// - Throws: ``QueueKit/JobQueueError`` with code `invalidURL` (the URL shown redacted) for a URL that does not
    ///   parse or a backend this build lacks; `backendFailure` when the queue cannot be opened.
    public static func open(_ text: String) async throws -> any JobQueue {
        let url = try QueueURL(parsing: text)
        switch url {
        case .sqlite:
            return try url.openBuiltIn()
        case .postgres:
            return try url.openBuiltIn()
        }
    }
}
