import Foundation
import Logging
import PipelineKit
import PostgresNIO
import QueueKit

/// Transactions and error translation shared by the queue and the checkpoint store.
enum PostgresAccess {
    /// Runs `body` between `BEGIN` and `COMMIT` on `connection`, rolling back when it throws, and rethrows the
    /// body's own error (PostgresNIO's `withTransaction` wraps it, which would hide a ``JobQueueError``).
    nonisolated(nonsending) static func transaction<T: Sendable>(
        on connection: PostgresConnection, logger: Logger,
        _ body: (PostgresConnection) async throws -> T
    ) async throws -> T {
        try await connection.query("BEGIN", logger: logger)
        let value: T
        do {
            value = try await body(connection)
        } catch {
            do {
                try await connection.query("ROLLBACK", logger: logger)
            } catch {
                // The connection is broken; the server rolls the transaction back when it notices.
                logger.debug("rollback failed", metadata: ["error": "\(describe(error))"])
            }
            throw error
        }
        try await connection.query("COMMIT", logger: logger)
        return value
    }

    /// A database error in words a person can act on: the server's message and SQLSTATE, or the client's failure.
    ///
    /// PostgresNIO's own description hides everything (it may hold a query's bound values); this keeps the server's
    /// message, which names no bound value, and drops the query. Passwords never reach it: PostgresNIO does not put
    /// them in errors, and URLs appear only redacted.
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let info = error.serverInfo, let message = info[.message] {
                let state = info[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return "PostgreSQL: \(message)\(state)"
            }
            var text = "PostgreSQL client: \(error.code)"
            if let underlying = error.underlying { text += " (\(underlying))" }
            return text
        }
        if let error = error as? JobQueueError { return error.description }
        if let error = error as? PipelineError { return error.description }
        return "\(type(of: error))"
    }

    /// The SQLSTATE of a server error, if it is one.
    static func sqlState(_ error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// Runs `body`, turning database failures into ``JobQueueError/backendFailure(_:underlying:)`` that says which
    /// operation on which server failed; queue errors and cancellation pass through.
    static func queueOperation<T: Sendable>(
        _ operation: String, target: String, _ body: () async throws -> T
    ) async throws -> T {
        do {
            return try await body()
        } catch let error as JobQueueError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch let error as PostgresDecodingError {
            // A column that does not hold what the schema says (a hand edit, a foreign writer): the row, not the
            // database, is at fault.
            throw JobQueueError.corruptRecord(
                "\(operation) on \(target): a stored job could not be read (\(error.code) in column \(error.columnName))"
            )
        } catch {
            throw JobQueueError.backendFailure(
                "\(operation) on \(target) failed: \(describe(error))", underlying: error)
        }
    }
}
