public import Foundation
public import PipelineKit

/// A job's identifier: the row id the queue gave it, unique within one queue.
public struct JobID: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// The number.
    public let rawValue: Int64

    /// Wraps a number.
    public init(rawValue: Int64) { self.rawValue = rawValue }

    /// The number in decimal.
    public var description: String { String(rawValue) }
}

/// Where a job stands.
public enum JobState: String, Sendable, Codable, Hashable, CaseIterable {
    /// Waiting to be claimed: new, retrying after a failure (not before ``JobRecord/runAfter``), released by a
    /// worker that shut down, or taken back from a worker whose lease expired.
    case available
    /// Claimed by a worker whose lease has not expired.
    case running
    /// Completed by its worker.
    case succeeded
    /// Failed on its last allowed attempt; ``JobRecord/lastError`` says why.
    case dead
    /// Cancelled before it finished.
    case cancelled

    /// Whether the job will never run again.
    public var isFinal: Bool { self == .succeeded || self == .dead || self == .cancelled }
}

/// Proof that a worker holds a job: the job and the attempt that claimed it.
///
/// Every claim increments the job's attempt, so a worker that paused past its lease (a GC pause, SIGSTOP, a
/// network partition) holds an older token than the job's new owner, and the queue refuses its heartbeats,
/// completion and checkpoint commits with ``JobQueueError/Code/staleToken``.
public struct FencingToken: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The job.
    public var jobID: JobID
    /// The attempt that claimed it, from 1.
    public var attempt: Int

    /// Creates a token.
    public init(jobID: JobID, attempt: Int) {
        self.jobID = jobID
        self.attempt = attempt
    }

    /// `job 42 attempt 3`.
    public var description: String { "job \(jobID) attempt \(attempt)" }
}

/// A job to put on the queue.
public struct NewJob: Sendable, Hashable {
    /// The kind of work, which workers claim by (`"story"`); 1 to 200 bytes of UTF-8.
    public var kind: String
    /// The worker's input, opaque to the queue (JSON by convention); at most ``JobQueueLimits/maximumPayloadBytes``.
    public var payload: Data
    /// Enqueueing a key that a job not yet final holds returns that job instead of a new one.
    public var uniqueKey: String?
    /// Higher runs first; ties go to the older job.
    public var priority: Int
    /// Not claimed before this time; `nil` is now.
    public var runAfter: Date?
    /// Claims allowed before a failure makes the job dead, from 1 to ``JobQueueLimits/maximumAttempts``.
    public var maxAttempts: Int

    /// Creates a job.
    public init(
        kind: String, payload: Data, uniqueKey: String? = nil, priority: Int = 0, runAfter: Date? = nil,
        maxAttempts: Int = 5
    ) {
        self.kind = kind
        self.payload = payload
        self.uniqueKey = uniqueKey
        self.priority = priority
        self.runAfter = runAfter
        self.maxAttempts = maxAttempts
    }
}

/// The sizes a queue accepts; requests beyond them are rejected with ``JobQueueError/Code/invalidRequest``.
public enum JobQueueLimits {
    /// The largest payload, result or progress value: 1 MiB (a job carries references, not media).
    public static let maximumPayloadBytes = 1 << 20
    /// The most attempts a job may be given.
    public static let maximumAttempts = 1000
    /// The longest kind, unique key or worker name, in UTF-8 bytes.
    public static let maximumNameBytes = 200
    /// The longest error text kept; longer ones are cut at a character boundary.
    public static let maximumErrorBytes = 16 * 1024
}

/// A job as the queue holds it.
public struct JobRecord: Sendable, Hashable, Codable {
    /// The job's identifier.
    public var id: JobID
    /// The kind of work.
    public var kind: String
    /// The worker's input.
    public var payload: Data
    /// The unique key it was enqueued with.
    public var uniqueKey: String?
    /// Its priority.
    public var priority: Int
    /// Where it stands.
    public var state: JobState
    /// Claims so far (the current or last fencing attempt); 0 before the first claim.
    public var attempt: Int
    /// Claims allowed.
    public var maxAttempts: Int
    /// Not claimed before this time.
    public var runAfter: Date
    /// The worker holding it, while running.
    public var worker: String?
    /// When the running worker's lease ends, while running.
    public var leaseExpiresAt: Date?
    /// Set when ``JobQueue/cancel(_:)`` was called on a running job: its worker stops at its next heartbeat.
    public var cancelRequested: Bool
    /// The latest progress its worker reported (opaque, JSON by convention).
    public var progress: Data?
    /// What its worker returned on completion.
    public var result: Data?
    /// The error of the last failed attempt.
    public var lastError: String?
    /// When it was enqueued.
    public var createdAt: Date
    /// When it last changed.
    public var updatedAt: Date
    /// When it became final.
    public var finishedAt: Date?

    /// Creates a record.
    public init(
        id: JobID, kind: String, payload: Data, uniqueKey: String?, priority: Int, state: JobState, attempt: Int,
        maxAttempts: Int, runAfter: Date, worker: String?, leaseExpiresAt: Date?, cancelRequested: Bool,
        progress: Data?, result: Data?, lastError: String?, createdAt: Date, updatedAt: Date, finishedAt: Date?
    ) {
        self.id = id
        self.kind = kind
        self.payload = payload
        self.uniqueKey = uniqueKey
        self.priority = priority
        self.state = state
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.runAfter = runAfter
        self.worker = worker
        self.leaseExpiresAt = leaseExpiresAt
        self.cancelRequested = cancelRequested
        self.progress = progress
        self.result = result
        self.lastError = lastError
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.finishedAt = finishedAt
    }
}

/// What ``JobQueue/enqueue(_:)`` did.
public struct Enqueued: Sendable, Hashable {
    /// The job: the new one, or the one already holding the unique key.
    public var job: JobRecord
    /// `false` when an existing job with the same unique key was returned.
    public var created: Bool

    /// Creates a result.
    public init(job: JobRecord, created: Bool) {
        self.job = job
        self.created = created
    }
}

/// A job a worker holds until its lease expires.
public struct JobClaim: Sendable, Hashable {
    /// The job, as claimed (state running, attempt incremented).
    public var job: JobRecord
    /// The token every later call for this job must carry.
    public var token: FencingToken
    /// When the lease ends unless renewed by ``JobQueue/heartbeat(_:lease:)``.
    public var leaseExpiresAt: Date

    /// Creates a claim.
    public init(job: JobRecord, token: FencingToken, leaseExpiresAt: Date) {
        self.job = job
        self.token = token
        self.leaseExpiresAt = leaseExpiresAt
    }
}

/// What a heartbeat learned.
public enum Heartbeat: Sendable, Hashable {
    /// The lease now ends at this time.
    case renewed(until: Date)
    /// The lease was renewed, but the job was cancelled: stop and call ``JobQueue/acknowledgeCancel(_:)``.
    case cancelRequested
}

/// Which jobs ``JobQueue/jobs(_:)`` lists.
public struct JobFilter: Sendable, Hashable {
    /// Only these states; `nil` is all.
    public var states: Set<JobState>?
    /// Only this kind; `nil` is all.
    public var kind: String?
    /// At most this many, newest first (clamped to 1...10 000).
    public var limit: Int
    /// Only jobs with a smaller id (older ones): the last id of a page, to list the next; `nil` starts at the newest.
    public var before: JobID?

    /// Creates a filter.
    public init(states: Set<JobState>? = nil, kind: String? = nil, limit: Int = 100, before: JobID? = nil) {
        self.states = states
        self.kind = kind
        self.limit = limit
        self.before = before
    }
}

/// How long a failed job waits before its next attempt: `base × 2^(attempt − 1)`, at most `maximum`, then
/// lengthened by up to `jitter` of itself (drawn from the job id and attempt, so it is reproducible).
public struct RetryBackoff: Sendable, Hashable {
    /// The wait after the first failure.
    public var base: Duration
    /// The longest wait.
    public var maximum: Duration
    /// The fraction of the wait added at most, 0...1.
    public var jitter: Double

    /// Creates a backoff; the defaults wait 1 s, 2 s, 4 s … up to 10 minutes, plus up to 10 %.
    public init(base: Duration = .seconds(1), maximum: Duration = .seconds(600), jitter: Double = 0.1) {
        self.base = base
        self.maximum = maximum
        self.jitter = jitter
    }
}

/// A durable queue of jobs that many workers, in one process or on many machines, share safely.
///
/// Delivery is at least once: a job whose worker dies is claimed again when its lease expires, so a job may
/// *run* more than once, but fencing makes its completion and its checkpoint commits happen at most once.
/// Implementations: `SQLiteJobQueue` (embedded, one machine) and `PostgresJobQueue` (product `QueueKitPostgres`).
public protocol JobQueue: Sendable {
    /// Adds a job, or returns the job not yet final that holds the same unique key.
    func enqueue(_ job: NewJob) async throws -> Enqueued

    /// Claims the best available job of these kinds (highest priority, then oldest; `runAfter` passed) for
    /// `worker`, with a lease of `lease`, or returns `nil` when none is available. A running job whose lease
    /// expired counts as available (its attempt is used up; a job out of attempts becomes dead instead).
    func claim(kinds: Set<String>, worker: String, lease: Duration) async throws -> JobClaim?

    /// Renews the lease. Throws ``JobQueueError/Code/staleToken`` when the token is no longer the job's.
    func heartbeat(_ token: FencingToken, lease: Duration) async throws -> Heartbeat

    /// Records the latest progress of a running job, readable by others through ``job(_:)``.
    func reportProgress(_ progress: Data, for token: FencingToken) async throws

    /// Marks the job succeeded, with an optional result. Throws ``JobQueueError/Code/staleToken`` for a stale token.
    func complete(_ token: FencingToken, result: Data?) async throws

    /// Records a failed attempt: the job becomes available again after the queue's ``RetryBackoff``, or dead
    /// when it has used all its attempts. Returns the job as it now stands.
    func fail(_ token: FencingToken, error: String) async throws -> JobRecord

    /// Gives a running job back (a worker shutting down): available at once, and the attempt is not counted
    /// against ``JobRecord/maxAttempts``.
    func release(_ token: FencingToken) async throws

    /// Cancels a job: one not yet running becomes cancelled at once; a running one is flagged and its worker
    /// learns it at its next heartbeat. Returns the job as it now stands, or `nil` when there is no such job.
    func cancel(_ id: JobID) async throws -> JobRecord?

    /// Marks a running job whose cancel was requested as cancelled (its worker stopped).
    func acknowledgeCancel(_ token: FencingToken) async throws

    /// Gives a dead or cancelled job one more attempt: available at once, its ``JobRecord/maxAttempts`` raised to
    /// the attempts it has used plus one (its last error stays until that attempt ends). A worker's checkpoints
    /// for the job (fenced by its new token) are still there, so a resumable run continues where it stopped.
    /// Returns the job as it now stands, or `nil` when there is no such job.
    ///
    /// - Throws: ``JobQueueError`` with code `invalidState` when the job is not dead or cancelled, has used
    ///   ``JobQueueLimits/maximumAttempts``, or its unique key is now held by another job not yet final.
    func retry(_ id: JobID) async throws -> JobRecord?

    /// The job with that id, if any.
    func job(_ id: JobID) async throws -> JobRecord?

    /// Jobs matching the filter, newest first.
    func jobs(_ filter: JobFilter) async throws -> [JobRecord]

    /// Returns when a job of these kinds may have become available (a notification, where the backend has
    /// them), or after `timeout` at the latest: the safety-net poll.
    func waitForJobs(kinds: Set<String>, timeout: Duration) async throws

    /// A checkpoint store whose writes (`createRun`, `commit`) succeed only while `token` holds its job,
    /// checked in the same transaction as the write; a stale token's write throws
    /// ``JobQueueError/Code/staleToken`` and changes nothing. Reads are not fenced.
    func checkpointStore(fencedBy token: FencingToken) -> any CheckpointStore
}
