import Foundation
import Logging
import PostgresNIO
import QueueKit
import QueueKitPostgres

/// The PostgreSQL backend of the contract tests: `STORYFORGE_POSTGRES_URL` (`.ci/run` starts a throwaway cluster with
/// Scripts/postgres-throwaway.sh). Without it only SQLite runs, except under `CI=true`, where PostgreSQL is still
/// listed and its tests fail: CI must test it.
enum PostgresBackend {
    static let urlText = ProcessInfo.processInfo.environment["STORYFORGE_POSTGRES_URL"]
    static let enabled = urlText != nil || ProcessInfo.processInfo.environment["CI"] == "true"

    struct Missing: Error, CustomStringConvertible {
        var description: String { "CI=true but STORYFORGE_POSTGRES_URL is not set: .ci/run must start PostgreSQL" }
    }
}

/// Runs the queue's pool and listener for as long as the fixture lives.
private final class RunningQueue: Sendable {
    let queue: PostgresJobQueue
    let task: Task<Void, any Error>

    init(_ queue: PostgresJobQueue) {
        self.queue = queue
        self.task = Task { try await queue.run() }
    }
}

extension QueueBackend {
    static let postgres = QueueBackend(name: "postgres") { backoff in
        guard let text = PostgresBackend.urlText else { throw PostgresBackend.Missing() }
        let schema = "c_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let queue = try PostgresJobQueue(
            .init(url: try PostgresQueueURL(text), schema: schema, maximumConnections: 12, backoff: backoff),
            logger: Logger(label: "test") { _ in SwiftLogNoOpLogHandler() })
        let running = RunningQueue(queue)
        try await queue.checkConnection()
        try await queue.migrate()
        return QueueFixture(
            queue: queue,
            corrupt: { id, column, value in
                // The schema's types and CHECK constraints refuse these values, as they should; a test that damages
                // a row must first loosen the column, as a hand edit or a foreign writer with its own DDL would.
                let table = "\(schema).jobs"
                try await queue.client.query(
                    PostgresQuery(unsafeSQL: "ALTER TABLE \(table) DROP CONSTRAINT IF EXISTS jobs_\(column)_check"))
                let literal: String
                switch value {
                case .text(let text):
                    try await queue.client.query(
                        PostgresQuery(
                            unsafeSQL: "ALTER TABLE \(table) ALTER COLUMN \(column) TYPE text USING \(column)::text"))
                    literal = "'\(text.replacingOccurrences(of: "'", with: "''"))'"
                case .integer(let number): literal = "\(number)"
                case .real(let number):
                    literal = number.isFinite ? "to_timestamp(\(number))" : "'\(number > 0 ? "" : "-")infinity'"
                }
                try await queue.client.query(
                    PostgresQuery(unsafeSQL: "UPDATE \(table) SET \(column) = \(literal) WHERE id = \(id.rawValue)"))
            },
            cleanup: {
                Task {
                    _ = try? await queue.client.query(
                        PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE"))
                    running.task.cancel()
                }
            }
        )
    }
}
