public import Foundation

/// The checks every backend applies to a request before touching its database, so that all of them refuse the same
/// requests with the same ``JobQueueError/Code/invalidRequest``.
public enum JobRequestCheck {
    /// The longest lease: 7 days (a lease is renewed every third of it; a longer one only delays recovery).
    public static let maximumLease: Duration = .seconds(7 * 86_400)

    /// Checks a job to enqueue.
    public static func job(_ job: NewJob) throws {
        try name(job.kind, what: "kind")
        if let key = job.uniqueKey { try name(key, what: "unique key") }
        try size(job.payload, what: "payload")
        guard (1...JobQueueLimits.maximumAttempts).contains(job.maxAttempts) else {
            throw JobQueueError.invalidRequest(
                "maxAttempts \(job.maxAttempts) is outside 1...\(JobQueueLimits.maximumAttempts)")
        }
        if let runAfter = job.runAfter, !runAfter.timeIntervalSince1970.isFinite {
            throw JobQueueError.invalidRequest("runAfter is not a finite time")
        }
    }

    /// Checks a kind, unique key or worker name: 1 to ``JobQueueLimits/maximumNameBytes`` bytes of UTF-8.
    public static func name(_ value: String, what: String) throws {
        guard !value.isEmpty else { throw JobQueueError.invalidRequest("the \(what) is empty") }
        guard value.utf8.count <= JobQueueLimits.maximumNameBytes else {
            throw JobQueueError.invalidRequest(
                "the \(what) is \(value.utf8.count) bytes; at most \(JobQueueLimits.maximumNameBytes) are allowed")
        }
    }

    /// Checks the kinds a worker claims, returned sorted (one statement text per set).
    public static func kinds(_ kinds: Set<String>) throws -> [String] {
        guard !kinds.isEmpty else { throw JobQueueError.invalidRequest("no kinds to claim") }
        // 100 kinds: far more than any worker handles, and far below a database's bound-parameter limit.
        guard kinds.count <= 100 else {
            throw JobQueueError.invalidRequest("\(kinds.count) kinds to claim; at most 100 are allowed")
        }
        for kind in kinds { try name(kind, what: "kind") }
        return kinds.sorted()
    }

    /// Checks a payload, result or progress value against ``JobQueueLimits/maximumPayloadBytes``.
    public static func size(_ data: Data, what: String) throws {
        guard data.count <= JobQueueLimits.maximumPayloadBytes else {
            throw JobQueueError.invalidRequest(
                "the \(what) is \(data.count) bytes; at most \(JobQueueLimits.maximumPayloadBytes) are allowed")
        }
    }

    /// Checks a lease (more than zero, at most ``maximumLease``) and returns it in seconds.
    public static func lease(_ lease: Duration) throws -> Double {
        guard lease > .zero, lease <= maximumLease else {
            throw JobQueueError.invalidRequest("a lease of \(lease) is outside (0 s, \(maximumLease)]")
        }
        return RetryBackoff.seconds(lease)
    }

    /// An error text cut to ``JobQueueLimits/maximumErrorBytes`` at a character boundary.
    public static func truncated(_ text: String) -> String {
        guard text.utf8.count > JobQueueLimits.maximumErrorBytes else { return text }
        var result = ""
        var bytes = 0
        for character in text {
            let length = character.utf8.count
            if bytes + length > JobQueueLimits.maximumErrorBytes { break }
            result.append(character)
            bytes += length
        }
        return result
    }
}
