import Foundation
import Logging
import PostgresNIO
import QueueKit
import QueueKitPostgres
import Testing

/// The PostgreSQL server the tests use: `STORYFORGE_POSTGRES_URL` (`.ci/run` starts a throwaway cluster with
/// Scripts/postgres-throwaway.sh and exports it; do the same locally). Without it the suites are skipped, except under
/// `CI=true`, where they run and fail: CI must test PostgreSQL.
enum PostgresTestDatabase {
    static let environment = ProcessInfo.processInfo.environment
    static let urlText = environment["STORYFORGE_POSTGRES_URL"]
    static let isCI = environment["CI"] == "true"

    /// Whether the suites run: a URL is set, or this is CI (where a missing URL fails them).
    static let enabled = urlText != nil || isCI

    /// Why they were skipped.
    static let skipMessage: Comment = """
        STORYFORGE_POSTGRES_URL is not set: start a throwaway server with         eval "$(bash Scripts/postgres-throwaway.sh start)" to run the PostgreSQL tests
        """

    static let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    /// The server's URL; throws under CI when it is missing.
    static func url() throws -> PostgresQueueURL {
        guard let urlText else {
            throw TestDatabaseMissing()
        }
        return try PostgresQueueURL(urlText)
    }

    struct TestDatabaseMissing: Error, CustomStringConvertible {
        var description: String { "CI=true but STORYFORGE_POSTGRES_URL is not set: .ci/run must start PostgreSQL" }
    }

    /// A schema of its own per test, so tests run in parallel without seeing each other's jobs.
    static func freshSchema() -> String {
        "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
    }

    /// Runs `body` with a migrated queue in a fresh schema, and drops the schema after.
    static func withQueue<T: Sendable>(
        schema: String = freshSchema(), maximumConnections: Int = 4, backoff: RetryBackoff = RetryBackoff(),
        listens: Bool = true, _ body: (PostgresJobQueue) async throws -> T
    ) async throws -> T {
        let configuration = PostgresJobQueue.Configuration(
            url: try url(), schema: schema, maximumConnections: maximumConnections, backoff: backoff,
            listens: listens)
        return try await PostgresJobQueue.withQueue(configuration, logger: quietLogger) { queue in
            do {
                let value = try await body(queue)
                try await drop(schema, on: queue.client)
                return value
            } catch {
                try? await drop(schema, on: queue.client)
                throw error
            }
        }
    }

    static func drop(_ schema: String, on client: PostgresClient) async throws {
        try await client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE"))
    }
}
