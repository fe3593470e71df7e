public import Logging
public import QueueKit

extension QueueURL {
    /// Runs `body` with the queue a `--queue` URL names, whichever backend: `sqlite:///path` opens a
    /// ``QueueKit/SQLiteJobQueue``; `postgres://user@host:port/db` a ``PostgresJobQueue`` whose connection pool and
    /// listener run, with its schema migrated, for as long as `body` does (the password from
    /// `STORYFORGE_POSTGRES_PASSWORD` or `PGPASSWORD`, see ``PostgresQueueURL``).
    ///
    /// This is the one place that knows every backend, for programs that take a queue URL (`story-worker`,
    /// `story-queue`); hosts on SQLite alone use ``QueueKit/QueueURL/openBuiltIn(sqlite:)`` and never build NIO.
    ///
    /// - Throws: ``QueueKit/JobQueueError`` (`invalidURL`, with the URL redacted; `backendFailure` when the database
    ///   cannot be reached), or what `body` throws.
    public static func withQueue<T: Sendable>(
        _ text: String, sqlite: SQLiteJobQueue.Configuration = .init(),
        logger: Logger = Logger(label: "storyforge.queue"), _ body: (any JobQueue) async throws -> T
    ) async throws -> T {
        let url = try QueueURL(parsing: text)
        switch url {
        case .sqlite:
            return try await body(url.openBuiltIn(sqlite: sqlite))
        case .postgres:
            let configuration = PostgresJobQueue.Configuration(url: try PostgresQueueURL(url))
            return try await PostgresJobQueue.withQueue(configuration, logger: logger) { queue in
                try await body(queue)
            }
        }
    }
}
