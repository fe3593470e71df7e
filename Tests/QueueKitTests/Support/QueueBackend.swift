import Foundation
import GRDB
import QueueKit

/// A queue backend the contract tests run against: SQLite always; PostgreSQL when `STORYFORGE_POSTGRES_URL` is set
/// (its factory is added beside this one by the PostgreSQL backend's tests).
struct QueueBackend: Sendable, CustomStringConvertible {
    /// The backend's name, shown in the test's arguments.
    let name: String
    /// A fresh, empty queue with that backoff.
    let make: @Sendable (RetryBackoff) async throws -> QueueFixture

    var description: String { name }

    /// Every backend this test run can reach.
    static var all: [QueueBackend] { [.sqlite] + (PostgresBackend.enabled ? [.postgres] : []) }

    static let sqlite = QueueBackend(name: "sqlite") { backoff in
        let directory = try temporaryDirectory()
        let path = directory.appendingPathComponent("queue.sqlite").path
        let queue = try SQLiteJobQueue(path: path, configuration: .init(backoff: backoff))
        return QueueFixture(
            queue: queue,
            corrupt: { id, column, value in
                let database = try DatabaseQueue(path: path)
                try await database.write { db in
                    try db.execute(
                        sql: "UPDATE queue_jobs SET \(column) = ? WHERE id = ?",
                        arguments: [value.databaseValue, id.rawValue])
                }
            },
            cleanup: { try? FileManager.default.removeItem(at: directory) }
        )
    }
}

/// A value a test writes over a stored field, to corrupt it.
enum CorruptValue: Sendable {
    case text(String)
    case integer(Int64)
    case real(Double)

    var databaseValue: DatabaseValue {
        switch self {
        case .text(let text): text.databaseValue
        case .integer(let number): number.databaseValue
        case .real(let number): number.databaseValue
        }
    }
}

/// A queue under test and the means to damage its rows.
struct QueueFixture: Sendable {
    let queue: any JobQueue
    /// Overwrites a stored field of a job (`state`, `attempt`, `run_after`, …) with a value the queue never writes.
    let corrupt: @Sendable (JobID, String, CorruptValue) async throws -> Void
    let cleanup: @Sendable () -> Void
}

func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("queuekit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// Runs `body` with a fresh queue of `backend`, cleaning up after.
func withQueue(
    _ backend: QueueBackend, backoff: RetryBackoff = RetryBackoff(base: .milliseconds(50), jitter: 0),
    _ body: (QueueFixture) async throws -> Void
) async throws {
    let fixture = try await backend.make(backoff)
    defer { fixture.cleanup() }
    try await body(fixture)
}

/// Whether `body` throws a ``JobQueueError`` with `code`.
func throwsQueueError(_ code: JobQueueError.Code, _ body: () async throws -> Void) async -> Bool {
    do {
        try await body()
        return false
    } catch let error as JobQueueError {
        return error.code == code
    } catch {
        return false
    }
}
