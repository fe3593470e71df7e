public import Foundation
import GRDB
public import PipelineKit
import Synchronization

/// The embedded job queue: one SQLite file (WAL) shared by the worker processes of one machine, holding the jobs and
/// PipelineKit's checkpoint tables side by side, so that a fenced checkpoint commit checks its token in the same
/// transaction as the write.
///
/// Every write is one `BEGIN IMMEDIATE` transaction: a claim, a heartbeat or a fenced commit in another process waits
/// for the lock (at most ``Configuration/busyTimeout``) instead of reading a snapshot that a concurrent claim makes
/// stale. A job is claimed by priority, then age; a running job whose lease expired is taken back (or made dead when
/// out of attempts, or cancelled when its cancel was requested) by the next claim in any process.
///
/// A token holds its job while the job is running under that attempt: a worker whose lease expired but whose job
/// nobody claimed yet may still renew, commit and complete, since no one else owns the job. Idle workers of this
/// process wake when it enqueues or releases a job; workers in other processes find it at their next poll.
///
/// ```swift
/// let queue = try SQLiteJobQueue(path: "/var/lib/stories/queue.sqlite")
/// let job = try await queue.enqueue(NewJob(kind: "story", payload: payload, uniqueKey: "topic-42"))
/// ```
public final class SQLiteJobQueue: JobQueue {
    /// How the database is opened and failed jobs retried.
    public struct Configuration: Sendable {
        /// How long a write waits for the lock held by another connection or process before failing.
        public var busyTimeout: Duration
        /// `PRAGMA synchronous`: `.normal` survives a killed process, `.full` a power loss too.
        public var synchronous: SQLiteCheckpointStore.Configuration.Synchronous
        /// The wait between a failed attempt and the next.
        public var backoff: RetryBackoff
        /// The most concurrent readers.
        public var maximumReaderCount: Int

        /// Creates a configuration; every parameter has a default.
        public init(
            busyTimeout: Duration = .seconds(5),
            synchronous: SQLiteCheckpointStore.Configuration.Synchronous = .normal,
            backoff: RetryBackoff = RetryBackoff(), maximumReaderCount: Int = 4
        ) {
            self.busyTimeout = busyTimeout
            self.synchronous = synchronous
            self.backoff = backoff
            self.maximumReaderCount = maximumReaderCount
        }
    }

    /// The schema version this code writes; a file with a newer one is refused.
    public static let schemaVersion = 1

    /// The database file.
    public let path: String
    /// The configuration.
    public let configuration: Configuration
    private let pool: DatabasePool
    private let checkpoints: SQLiteCheckpointStore
    private let signal = JobSignal()
    /// When this instance last took back expired leases (seconds since 1970), under its lock.
    private let lastSweep = Mutex<Double>(0)

    /// How often a claim that finds work also takes back expired leases: every 100 ms. A claim that finds nothing
    /// always does (and then claims again), so an idle worker picks a dead worker's job up at once; a busy queue
    /// delays an expired job by at most this long.
    static let sweepInterval = 0.1

    /// Opens (creating if needed) the queue at `path`, with its job tables and the checkpoint tables.
    ///
    /// - Throws: ``JobQueueError`` with code `backendFailure` when the file cannot be opened, is not a database, or
    ///   was written by a newer version.
    public init(path: String, configuration: Configuration = Configuration()) throws {
        self.path = path
        self.configuration = configuration
        var config = GRDB.Configuration()
        config.busyMode = .timeout(RetryBackoff.seconds(configuration.busyTimeout))
        config.maximumReaderCount = max(1, configuration.maximumReaderCount)
        config.label = "storyforge.queue"
        let synchronous = configuration.synchronous.rawValue
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: path, configuration: config)
            try pool.write { db in try Self.prepareSchema(db, path: path) }
        } catch let error as JobQueueError {
            throw error
        } catch {
            throw JobQueueError.backendFailure("cannot open the job queue at \(path): \(error)", underlying: error)
        }
        self.pool = pool
        do {
            checkpoints = try SQLiteCheckpointStore(writer: pool)
        } catch {
            throw JobQueueError.backendFailure(
                "cannot prepare the checkpoint tables of the job queue at \(path): \(error)", underlying: error)
        }
    }

    /// The unfenced checkpoint store in the queue's file (for reading runs, and for hosts' own unfenced runs).
    public var checkpointStore: SQLiteCheckpointStore { checkpoints }

    /// Runs `PRAGMA integrity_check` and returns its verdict (`"ok"` when the file is sound).
    public func integrityCheck() throws -> String {
        try access {
            try pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n") }
        }
    }

    // MARK: - Schema

    private static func prepareSchema(_ db: Database, path: String) throws {
        // Its own version table, not GRDB's migrations table: the checkpoint store's migrator shares the file and
        // refuses a file holding migrations it does not know.
        try db.execute(sql: "CREATE TABLE IF NOT EXISTS queue_schema (version INTEGER NOT NULL)")
        let version = try Int.fetchOne(db, sql: "SELECT MAX(version) FROM queue_schema") ?? 0
        if version > schemaVersion {
            throw JobQueueError.backendFailure(
                "\(path) holds a job queue of schema \(version), written by a newer version of QueueKit "
                    + "(this one knows \(schemaVersion))")
        }
        if version < 1 {
            try db.execute(
                sql: """
                    CREATE TABLE queue_jobs (
                        id INTEGER PRIMARY KEY AUTOINCREMENT,
                        kind TEXT NOT NULL,
                        payload BLOB,
                        unique_key TEXT,
                        priority INTEGER NOT NULL,
                        state TEXT NOT NULL,
                        attempt INTEGER NOT NULL DEFAULT 0,
                        released INTEGER NOT NULL DEFAULT 0,
                        max_attempts INTEGER NOT NULL,
                        run_after REAL NOT NULL,
                        worker TEXT,
                        lease_expires_at REAL,
                        cancel_requested INTEGER NOT NULL DEFAULT 0,
                        progress BLOB,
                        result BLOB,
                        last_error TEXT,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        finished_at REAL
                    );
                    CREATE UNIQUE INDEX queue_jobs_unique_key ON queue_jobs(unique_key)
                        WHERE unique_key IS NOT NULL AND state IN ('available', 'running');
                    CREATE INDEX queue_jobs_available ON queue_jobs(kind, priority DESC, id)
                        WHERE state = 'available';
                    CREATE INDEX queue_jobs_leases ON queue_jobs(lease_expires_at) WHERE state = 'running';
                    INSERT INTO queue_schema (version) VALUES (1);
                    """
            )
        }
    }

    private static let columns = """
        id, kind, payload, unique_key, priority, state, attempt, max_attempts, run_after, worker, lease_expires_at,
        cancel_requested, progress, result, last_error, created_at, updated_at, finished_at
        """

    // MARK: - Enqueue and claim

    /// Adds a job, or returns the job not yet final that holds the same unique key.
    public func enqueue(_ job: NewJob) async throws -> Enqueued {
        try JobRequestCheck.job(job)
        let enqueued = try access {
            try pool.write { db -> Enqueued in
                if let key = job.uniqueKey,
                    let row = try Row.fetchOne(
                        db.cachedStatement(
                            sql: """
                                SELECT \(Self.columns) FROM queue_jobs
                                WHERE unique_key = ? AND state IN ('available', 'running')
                                """),
                        arguments: [key])
                {
                    return Enqueued(job: try JobRowDecoder.record(row), created: false)
                }
                let now = Date().timeIntervalSince1970
                let runAfter = job.runAfter?.timeIntervalSince1970 ?? now
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            INSERT INTO queue_jobs
                            (kind, payload, unique_key, priority, state, max_attempts, run_after, created_at, updated_at)
                            VALUES (?, ?, ?, ?, 'available', ?, ?, ?, ?)
                            RETURNING \(Self.columns)
                            """),
                    arguments: [
                        job.kind, job.payload, job.uniqueKey, job.priority, job.maxAttempts, runAfter, now, now,
                    ])
                guard let row else { throw JobQueueError.backendFailure("the insert of a job returned no row") }
                return Enqueued(job: try JobRowDecoder.record(row), created: true)
            }
        }
        if enqueued.created { signal.broadcast() }
        return enqueued
    }

    /// Claims the best available job of these kinds, taking back running jobs whose lease expired (see
    /// ``sweepInterval``).
    public func claim(kinds: Set<String>, worker: String, lease: Duration) async throws -> JobClaim? {
        let kindList = try JobRequestCheck.kinds(kinds)
        try JobRequestCheck.name(worker, what: "worker name")
        let leaseSeconds = try JobRequestCheck.lease(lease)
        return try access {
            try pool.write { db -> JobClaim? in
                let now = Date().timeIntervalSince1970
                let placeholders = Array(repeating: "?", count: kindList.count).joined(separator: ", ")
                let statement = try db.cachedStatement(
                    sql: """
                        UPDATE queue_jobs
                        SET state = 'running', attempt = attempt + 1, worker = ?, lease_expires_at = ?, updated_at = ?
                        WHERE id = (
                            SELECT id FROM queue_jobs
                            WHERE state = 'available' AND kind IN (\(placeholders)) AND run_after <= ?
                            ORDER BY priority DESC, id LIMIT 1)
                        RETURNING \(Self.columns)
                        """)
                var arguments: StatementArguments = [worker, now + leaseSeconds, now]
                arguments += StatementArguments(kindList)
                arguments += [now]
                let sweepDue = lastSweep.withLock { now - $0 >= Self.sweepInterval || now < $0 }
                if sweepDue { try sweep(db, now: now) }
                var row = try Row.fetchOne(statement, arguments: arguments)
                if row == nil, !sweepDue {
                    try sweep(db, now: now)
                    row = try Row.fetchOne(statement, arguments: arguments)
                }
                guard let row else { return nil }
                let job = try JobRowDecoder.record(row)
                guard let expires = job.leaseExpiresAt else {
                    throw JobQueueError.corruptRecord("job \(job.id) was claimed without a lease")
                }
                return JobClaim(
                    job: job, token: FencingToken(jobID: job.id, attempt: job.attempt), leaseExpiresAt: expires)
            }
        }
    }

    private func sweep(_ db: Database, now: Double) throws {
        try Self.takeBackExpiredLeases(db, now: now)
        lastSweep.withLock { $0 = now }
    }

    /// Running jobs whose lease ended: available again, or dead when out of attempts, or cancelled when asked to be.
    private static func takeBackExpiredLeases(_ db: Database, now: Double) throws {
        try db.cachedStatement(
            sql: """
                UPDATE queue_jobs SET
                    state = CASE WHEN cancel_requested != 0 THEN 'cancelled'
                                 WHEN attempt - released >= max_attempts THEN 'dead'
                                 ELSE 'available' END,
                    finished_at = CASE WHEN cancel_requested != 0 OR attempt - released >= max_attempts
                                       THEN ?1 ELSE NULL END,
                    last_error = 'the lease of attempt ' || attempt || ' (worker ' || COALESCE(worker, '?')
                                 || ') expired',
                    lease_expires_at = NULL, run_after = ?1, updated_at = ?1
                WHERE state = 'running' AND lease_expires_at <= ?1
                """
        ).execute(arguments: [now])
    }

    // MARK: - A claimed job

    /// Renews the lease.
    public func heartbeat(_ token: FencingToken, lease: Duration) async throws -> Heartbeat {
        let leaseSeconds = try JobRequestCheck.lease(lease)
        return try access {
            try pool.write { db -> Heartbeat in
                let now = Date().timeIntervalSince1970
                let row = try Row.fetchOne(
                    db.cachedStatement(
                        sql: """
                            UPDATE queue_jobs SET lease_expires_at = ?, updated_at = ?
                            WHERE id = ? AND state = 'running' AND attempt = ?
                            RETURNING cancel_requested
                            """),
                    arguments: [now + leaseSeconds, now, token.jobID.rawValue, token.attempt])
                guard let row else { throw try Self.refusal(token, db) }
                let cancelRequested = try JobRowDecoder.int(row, 0, "cancel_requested", in: 0...1, job: token.jobID)
                return cancelRequested != 0
                    ? .cancelRequested : .renewed(until: Date(timeIntervalSince1970: now + leaseSeconds))
            }
        }
    }

    /// Records the latest progress of a running job.
    public func reportProgress(_ progress: Data, for token: FencingToken) async throws {
        try JobRequestCheck.size(progress, what: "progress")
        try fencedUpdate(
            token,
            sql: """
                UPDATE queue_jobs SET progress = ?, updated_at = ?
                WHERE id = ? AND state = 'running' AND attempt = ?
                """
        ) { now in [progress, now] }
    }

    /// Marks the job succeeded.
    public func complete(_ token: FencingToken, result: Data?) async throws {
        if let result { try JobRequestCheck.size(result, what: "result") }
        try fencedUpdate(
            token,
            sql: """
                UPDATE queue_jobs SET state = 'succeeded', result = ?, lease_expires_at = NULL, updated_at = ?,
                    finished_at = ?
                WHERE id = ? AND state = 'running' AND attempt = ?
                """
        ) { now in [result, now, now] }
    }

    /// Runs one `UPDATE … WHERE id = ? AND state = 'running' AND attempt = ?` (the fencing check and the write in
    /// one statement), its leading arguments from `arguments`; no row changed is the token's refusal.
    private func fencedUpdate(
        _ token: FencingToken, sql: String, arguments: (Double) -> StatementArguments
    ) throws {
        try access {
            try pool.write { db in
                let now = Date().timeIntervalSince1970
                try db.cachedStatement(sql: sql).execute(
                    arguments: arguments(now) + [token.jobID.rawValue, token.attempt])
                if db.changesCount == 0 { throw try Self.refusal(token, db) }
            }
        }
    }

    /// Why a fenced write changed nothing: no such job, or the token is stale.
    private static func refusal(_ token: FencingToken, _ db: Database) throws -> JobQueueError {
        do {
            _ = try checkToken(token, db)
        } catch let error as JobQueueError {
            return error
        }
        // The check passes now, inside the same transaction: only a row the write could not match explains it.
        return JobQueueError.corruptRecord("job \(token.jobID) could not be updated although its token holds it")
    }

    /// Records a failed attempt: retried after the backoff, or dead when out of attempts (or cancelled when a
    /// cancel was requested meanwhile).
    public func fail(_ token: FencingToken, error: String) async throws -> JobRecord {
        let message = JobRequestCheck.truncated(error)
        let backoff = configuration.backoff
        return try access {
            try pool.write { db -> JobRecord in
                let cancelRequested = try Self.checkToken(token, db)
                guard
                    let counts = try Row.fetchOne(
                        db.cachedStatement(sql: "SELECT attempt - released, max_attempts FROM queue_jobs WHERE id = ?"),
                        arguments: [token.jobID.rawValue])
                else { throw JobQueueError.notFound(token.jobID) }
                let used = try JobRowDecoder.int(counts, 0, "attempts used", in: 0...Int.max, job: token.jobID)
                let allowed = try JobRowDecoder.int(
                    counts, 1, "max_attempts", in: 1...JobQueueLimits.maximumAttempts, job: token.jobID)
                let now = Date().timeIntervalSince1970
                let state: JobState = cancelRequested ? .cancelled : used >= allowed ? .dead : .available
                let delay = RetryBackoff.seconds(backoff.delay(afterAttempt: used, jobID: token.jobID))
                try db.cachedStatement(
                    sql: """
                        UPDATE queue_jobs SET state = ?, last_error = ?, worker = NULL, lease_expires_at = NULL,
                            run_after = ?, updated_at = ?, finished_at = ?
                        WHERE id = ?
                        """
                ).execute(arguments: [
                    state.rawValue, message, state == .available ? now + delay : now, now,
                    state.isFinal ? now : nil, token.jobID.rawValue,
                ])
                return try Self.fetchJob(token.jobID, db).unwrapped(token.jobID)
            }
        }
    }

    /// Gives a running job back: available at once, the attempt not counted.
    public func release(_ token: FencingToken) async throws {
        try access {
            try pool.write { db in
                let cancelRequested = try Self.checkToken(token, db)
                let now = Date().timeIntervalSince1970
                try db.cachedStatement(
                    sql: """
                        UPDATE queue_jobs SET state = ?, released = released + 1, worker = NULL,
                            lease_expires_at = NULL, run_after = ?, updated_at = ?, finished_at = ?
                        WHERE id = ?
                        """
                ).execute(arguments: [
                    cancelRequested ? JobState.cancelled.rawValue : JobState.available.rawValue, now, now,
                    cancelRequested ? now : nil, token.jobID.rawValue,
                ])
            }
        }
        signal.broadcast()
    }

    /// Cancels a job: at once when not running, at its worker's next heartbeat when running.
    public func cancel(_ id: JobID) async throws -> JobRecord? {
        try access {
            try pool.write { db -> JobRecord? in
                guard let job = try Self.fetchJob(id, db) else { return nil }
                let now = Date().timeIntervalSince1970
                switch job.state {
                case .available:
                    try db.execute(
                        sql: """
                            UPDATE queue_jobs SET state = 'cancelled', updated_at = ?, finished_at = ? WHERE id = ?
                            """, arguments: [now, now, id.rawValue])
                case .running:
                    try db.execute(
                        sql: "UPDATE queue_jobs SET cancel_requested = 1, updated_at = ? WHERE id = ?",
                        arguments: [now, id.rawValue])
                case .succeeded, .dead, .cancelled:
                    return job
                }
                return try Self.fetchJob(id, db)
            }
        }
    }

    /// Marks a running job whose cancel was requested as cancelled.
    public func acknowledgeCancel(_ token: FencingToken) async throws {
        try access {
            try pool.write { db in
                guard try Self.checkToken(token, db) else {
                    throw JobQueueError.invalidState("\(token): no cancel was requested")
                }
                let now = Date().timeIntervalSince1970
                try db.execute(
                    sql: """
                        UPDATE queue_jobs SET state = 'cancelled', lease_expires_at = NULL, updated_at = ?,
                            finished_at = ?
                        WHERE id = ?
                        """, arguments: [now, now, token.jobID.rawValue])
            }
        }
    }

    /// Gives a dead or cancelled job one more attempt.
    public func retry(_ id: JobID) async throws -> JobRecord? {
        let retried = try access {
            try pool.write { db -> JobRecord? in
                guard let job = try Self.fetchJob(id, db) else { return nil }
                guard job.state == .dead || job.state == .cancelled else {
                    throw JobQueueError.invalidState(
                        "job \(id) is \(job.state.rawValue); only a dead or cancelled job can be retried")
                }
                if let key = job.uniqueKey,
                    try Bool.fetchOne(
                        db,
                        sql: """
                            SELECT EXISTS (SELECT 1 FROM queue_jobs
                                WHERE unique_key = ? AND state IN ('available', 'running') AND id != ?)
                            """, arguments: [key, id.rawValue]) == true
                {
                    throw JobQueueError.invalidState("job \(id)'s unique key is held by another job not yet final")
                }
                guard
                    let counts = try Row.fetchOne(
                        db, sql: "SELECT attempt - released FROM queue_jobs WHERE id = ?", arguments: [id.rawValue])
                else { return nil }
                let used = try JobRowDecoder.int(counts, 0, "attempts used", in: 0...Int.max, job: id)
                guard used < JobQueueLimits.maximumAttempts else {
                    throw JobQueueError.invalidState("job \(id) has used \(used) attempts, the most a job may have")
                }
                let now = Date().timeIntervalSince1970
                try db.execute(
                    sql: """
                        UPDATE queue_jobs SET state = 'available', max_attempts = ?, cancel_requested = 0,
                            run_after = ?, worker = NULL, lease_expires_at = NULL, updated_at = ?, finished_at = NULL
                        WHERE id = ?
                        """, arguments: [max(job.maxAttempts, used + 1), now, now, id.rawValue])
                return try Self.fetchJob(id, db)
            }
        }
        if retried != nil { signal.broadcast() }
        return retried
    }

    // MARK: - Reading

    /// The job with that id, if any.
    public func job(_ id: JobID) async throws -> JobRecord? {
        try access { try pool.read { db in try Self.fetchJob(id, db) } }
    }

    /// Jobs matching the filter, newest first.
    public func jobs(_ filter: JobFilter) async throws -> [JobRecord] {
        var conditions: [String] = []
        var arguments = StatementArguments()
        if let states = filter.states {
            guard !states.isEmpty else { return [] }
            let sorted = states.map(\.rawValue).sorted()
            conditions.append("state IN (\(Array(repeating: "?", count: sorted.count).joined(separator: ", ")))")
            arguments += StatementArguments(sorted)
        }
        if let kind = filter.kind {
            conditions.append("kind = ?")
            arguments += [kind]
        }
        if let before = filter.before {
            conditions.append("id < ?")
            arguments += [before.rawValue]
        }
        // 10 000: the documented clamp of JobFilter.limit.
        arguments += [min(max(filter.limit, 1), 10_000)]
        let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try access {
            try pool.read { db in
                try Row.fetchAll(
                    db, sql: "SELECT \(Self.columns) FROM queue_jobs \(whereClause) ORDER BY id DESC LIMIT ?",
                    arguments: arguments
                ).map(JobRowDecoder.record)
            }
        }
    }

    /// Returns when this process enqueued or released a job, or after `timeout`: workers in other processes are
    /// found by this poll.
    public func waitForJobs(kinds: Set<String>, timeout: Duration) async throws {
        await signal.wait(timeout: timeout)
        try Task.checkCancellation()
    }

    /// A checkpoint store in the queue's file whose writes first check, in their own transaction, that `token`
    /// still holds its job.
    public func checkpointStore(fencedBy token: FencingToken) -> any CheckpointStore {
        checkpoints.guarded { db in
            do {
                _ = try Self.checkToken(token, db)
            } catch let error as JobQueueError where error.code == .notFound {
                throw JobQueueError.staleToken(token)
            }
        }
    }

    // MARK: - Helpers

    /// Throws unless `token` holds its job (running, same attempt); returns whether a cancel was requested.
    private static func checkToken(_ token: FencingToken, _ db: Database) throws -> Bool {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(sql: "SELECT state, attempt, cancel_requested FROM queue_jobs WHERE id = ?"),
                arguments: [token.jobID.rawValue])
        else { throw JobQueueError.notFound(token.jobID) }
        let state = try JobRowDecoder.state(row, 0, job: token.jobID)
        let attempt = try JobRowDecoder.int(row, 1, "attempt", in: 0...Int.max, job: token.jobID)
        guard state == .running, attempt == token.attempt else { throw JobQueueError.staleToken(token) }
        return try JobRowDecoder.int(row, 2, "cancel_requested", in: 0...1, job: token.jobID) != 0
    }

    private static func fetchJob(_ id: JobID, _ db: Database) throws -> JobRecord? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT \(columns) FROM queue_jobs WHERE id = ?"), arguments: [id.rawValue]
        ).map(JobRowDecoder.record)
    }

    /// Database errors become ``JobQueueError/Code/backendFailure``; the queue's own errors pass unchanged.
    private func access<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as JobQueueError {
            throw error
        } catch {
            throw JobQueueError.backendFailure("job queue \(path): \(error)", underlying: error)
        }
    }
}

extension Optional where Wrapped == JobRecord {
    fileprivate func unwrapped(_ id: JobID) throws -> JobRecord {
        guard let self else { throw JobQueueError.notFound(id) }
        return self
    }
}
