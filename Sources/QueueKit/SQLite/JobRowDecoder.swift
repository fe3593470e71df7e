import Foundation
import GRDB

/// Reads job rows back with a check on every value: a row another program wrote (a wrong type, a number out of
/// range, an unknown state) is a ``JobQueueError/Code/corruptRecord``, never a trap.
enum JobRowDecoder {
    /// A row of `SQLiteJobQueue.columns`.
    static func record(_ row: Row) throws -> JobRecord {
        let rawID = try int64(row, 0, "id", job: nil)
        let id = JobID(rawValue: rawID)
        return JobRecord(
            id: id,
            kind: try text(row, 1, "kind", job: id),
            payload: try blob(row, 2, "payload", job: id) ?? Data(),
            uniqueKey: try optionalText(row, 3, "unique_key", job: id),
            priority: try int(row, 4, "priority", in: Int.min...Int.max, job: id),
            state: try state(row, 5, job: id),
            attempt: try int(row, 6, "attempt", in: 0...Int.max, job: id),
            maxAttempts: try int(row, 7, "max_attempts", in: 1...JobQueueLimits.maximumAttempts, job: id),
            runAfter: try date(row, 8, "run_after", job: id),
            worker: try optionalText(row, 9, "worker", job: id),
            leaseExpiresAt: try optionalDate(row, 10, "lease_expires_at", job: id),
            cancelRequested: try int(row, 11, "cancel_requested", in: 0...1, job: id) != 0,
            progress: try blob(row, 12, "progress", job: id),
            result: try blob(row, 13, "result", job: id),
            lastError: try optionalText(row, 14, "last_error", job: id),
            createdAt: try date(row, 15, "created_at", job: id),
            updatedAt: try date(row, 16, "updated_at", job: id),
            finishedAt: try optionalDate(row, 17, "finished_at", job: id)
        )
    }

    static func state(_ row: Row, _ index: Int, job: JobID?) throws -> JobState {
        let raw = try text(row, index, "state", job: job)
        guard let state = JobState(rawValue: raw) else {
            throw corrupt(job, "state", "unknown state \"\(raw.prefix(40))\"")
        }
        return state
    }

    static func int(_ row: Row, _ index: Int, _ column: String, in range: ClosedRange<Int>, job: JobID?) throws
        -> Int
    {
        let value = try int64(row, index, column, job: job)
        guard let number = Int(exactly: value), range.contains(number) else {
            throw corrupt(job, column, "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    static func int64(_ row: Row, _ index: Int, _ column: String, job: JobID?) throws -> Int64 {
        let value: DatabaseValue = row[index]
        guard case .int64(let number) = value.storage else { throw corrupt(job, column, "not an integer") }
        return number
    }

    static func text(_ row: Row, _ index: Int, _ column: String, job: JobID?) throws -> String {
        guard let value = try optionalText(row, index, column, job: job) else {
            throw corrupt(job, column, "missing")
        }
        return value
    }

    static func optionalText(_ row: Row, _ index: Int, _ column: String, job: JobID?) throws -> String? {
        let value: DatabaseValue = row[index]
        switch value.storage {
        case .null: return nil
        case .string(let text): return text
        default: throw corrupt(job, column, "not text")
        }
    }

    static func blob(_ row: Row, _ index: Int, _ column: String, job: JobID?) throws -> Data? {
        let value: DatabaseValue = row[index]
        switch value.storage {
        case .null: return nil
        case .blob(let data): return data
        // SQLite turns a zero-length blob bound from an empty buffer into text or NULL depending on the binding;
        // an empty string is the same empty value.
        case .string(let text) where text.isEmpty: return Data()
        default: throw corrupt(job, column, "not a blob")
        }
    }

    static func date(_ row: Row, _ index: Int, _ column: String, job: JobID?) throws -> Date {
        guard let value = try optionalDate(row, index, column, job: job) else {
            throw corrupt(job, column, "missing")
        }
        return value
    }

    static func optionalDate(_ row: Row, _ index: Int, _ column: String, job: JobID?) throws -> Date? {
        let value: DatabaseValue = row[index]
        let seconds: Double
        switch value.storage {
        case .null: return nil
        case .double(let number): seconds = number
        case .int64(let number): seconds = Double(number)
        default: throw corrupt(job, column, "not a time")
        }
        // ±10^11 s: about 3,000 years either side of 1970, beyond which no time here is real.
        guard seconds.isFinite, abs(seconds) < 1e11 else { throw corrupt(job, column, "\(seconds) is not a time") }
        return Date(timeIntervalSince1970: seconds)
    }

    private static func corrupt(_ job: JobID?, _ column: String, _ detail: String) -> JobQueueError {
        JobQueueError.corruptRecord(
            "\(job.map { "job \($0)" } ?? "a job")'s \(column) cannot be read: \(detail); the queue file was changed "
                + "by another program or damaged")
    }
}
