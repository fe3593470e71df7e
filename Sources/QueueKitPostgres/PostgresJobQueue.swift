public import Foundation
public import Logging
public import PipelineKit
public import PostgresNIO
public import QueueKit
public import ServiceLifecycle

/// The job queue on PostgreSQL, shared by workers on many machines.
///
/// Built the way the established PostgreSQL queues (River, Oban, graphile-worker, pgmq) work:
/// - a claim is one statement, `UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING …`, so
///   concurrent workers never wait on each other's rows and never take the same job;
/// - leases are measured on the server's clock (`now()`), so workers' clocks do not matter;
/// - every write for a running job checks its fencing token (`id` and `attempt`) in the same statement, and the
///   lease rescuer that frees expired leases runs inside the claim statement;
/// - a partial unique index holds unique keys of jobs not yet final (`INSERT … ON CONFLICT DO NOTHING`);
/// - enqueues and releases `NOTIFY` a channel that one dedicated connection per queue `LISTEN`s to, so an idle worker
///   wakes at once; the poll interval stays as a safety net;
/// - ``enqueue(_:on:)`` joins the caller's transaction: the job exists if and only if the caller's work commits.
///
/// The queue needs its ``run()`` going (it runs the connection pool and the listener) and its schema migrated
/// (``migrate()``); ``withQueue(_:logger:_:)`` does both around a closure:
///
/// ```swift
/// let url = try PostgresQueueURL("postgres://storyforge@db.internal:5432/jobs")
/// try await PostgresJobQueue.withQueue(.init(url: url)) { queue in
///     _ = try await queue.enqueue(NewJob(kind: "story", payload: Data(#"{"topic":"owls"}"#.utf8)))
/// }
/// ```
public final class PostgresJobQueue: JobQueue, Service {
    /// How the queue connects and behaves.
    public struct Configuration: Sendable {
        /// The server and database.
        public var url: PostgresQueueURL
        /// The PostgreSQL schema holding the queue's and checkpoint store's tables; created when missing.
        public var schema: String
        /// The most pooled connections for queries (the listener holds one more).
        public var maximumConnections: Int
        /// How long failed jobs wait before their next attempt.
        public var backoff: RetryBackoff
        /// Whether to LISTEN for enqueues; without it ``waitForJobs(kinds:timeout:)`` only sleeps.
        public var listens: Bool
        /// How long opening a connection may take.
        public var connectTimeout: Duration

        /// Creates a configuration; every parameter but the URL has a default.
        public init(
            url: PostgresQueueURL, schema: String = "storyforge", maximumConnections: Int = 16,
            backoff: RetryBackoff = RetryBackoff(), listens: Bool = true, connectTimeout: Duration = .seconds(10)
        ) {
            self.url = url
            self.schema = schema
            self.maximumConnections = maximumConnections
            self.backoff = backoff
            self.listens = listens
            self.connectTimeout = connectTimeout
        }
    }

    /// The most connections a queue may pool: PostgreSQL's default `max_connections` is 100.
    public static let maximumConnections = 100

    /// The configuration.
    public let configuration: Configuration
    /// The connection pool; hosts may run their own queries on it (``enqueue(_:on:)`` inside a transaction).
    public let client: PostgresClient

    let schema: PostgresSchema
    let logger: Logger
    let hub = NotificationHub()
    let jobs: String
    let target: String

    /// Creates a queue; nothing connects until ``run()`` runs.
    ///
    /// - Throws: ``JobQueueError`` (`invalidRequest`) for a schema name that is not a plain identifier, or a
    ///   connection count outside 1...``maximumConnections``.
    public init(_ configuration: Configuration, logger: Logger = Logger(label: "storyforge.queue.postgres")) throws {
        guard (1...Self.maximumConnections).contains(configuration.maximumConnections) else {
            throw JobQueueError.invalidRequest(
                "maximumConnections is \(configuration.maximumConnections); it must be 1...\(Self.maximumConnections)")
        }
        guard configuration.backoff.jitter.isFinite, (0...1).contains(configuration.backoff.jitter),
            configuration.backoff.base >= .zero, configuration.backoff.maximum >= configuration.backoff.base
        else {
            throw JobQueueError.invalidRequest("the retry backoff needs 0 ≤ base ≤ maximum and a jitter in 0...1")
        }
        self.configuration = configuration
        self.schema = try PostgresSchema(name: configuration.schema)
        var logger = logger
        logger[metadataKey: "queue.url"] = "\(configuration.url.redacted)"
        self.logger = logger
        self.jobs = schema.table("jobs")
        self.target = "\(configuration.url.redacted) (schema \(configuration.schema))"
        self.client = PostgresClient(
            configuration: Self.clientConfiguration(configuration), backgroundLogger: logger)
    }

    /// Runs the connection pool and the listening connection until cancelled or, under swift-service-lifecycle, shut
    /// down gracefully.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.client.run() }
            if configuration.listens {
                group.addTask { await self.listen() }
            }
            // The pool stops on cancellation or graceful shutdown; the listener follows it.
            await group.next()
            group.cancelAll()
        }
    }

    /// Creates or upgrades the schema; safe to call from any number of processes at once (an advisory lock
    /// serialises them). Returns the versions applied, empty when the schema was current.
    @discardableResult
    public func migrate() async throws -> [Int] {
        try await PostgresAccess.queueOperation("migrating the schema", target: target) {
            try await client.withConnection { connection in
                try await schema.migrate(on: connection, logger: logger)
            }
        }
    }

    /// Opens one connection outside the pool and closes it: fails at once, with the server's reason, where the pool
    /// would keep retrying (a wrong password, a server that is down, a database that does not exist).
    public func checkConnection() async throws {
        try await PostgresAccess.queueOperation("connecting", target: target) {
            let url = configuration.url
            var settings: PostgresConnection.Configuration
            if let socket = url.socketPath {
                settings = .init(
                    unixSocketPath: socket, username: url.user, password: url.password, database: url.database)
            } else {
                let tls: PostgresConnection.Configuration.TLS =
                    switch url.tls {
                    case .disable: .disable
                    case .require: .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
                    default: .prefer(try NIOSSLContext(configuration: .makeClientConfiguration()))
                    }
                settings = .init(
                    host: url.host, port: url.port, username: url.user, password: url.password,
                    database: url.database, tls: tls)
            }
            let timeout = Self.seconds(configuration.connectTimeout)
            // Whole milliseconds, at most a day: the conversion cannot overflow.
            settings.options.connectTimeout = .milliseconds(Int64(min(max(timeout, 0.001), 86_400) * 1_000))
            let connection = try await PostgresConnection.connect(configuration: settings, id: 0, logger: logger)
            try await connection.close()
        }
    }

    /// Runs `body` with a queue whose pool and listener run and whose schema is migrated, and stops them after.
    public static func withQueue<T: Sendable>(
        _ configuration: Configuration, logger: Logger = Logger(label: "storyforge.queue.postgres"),
        _ body: (PostgresJobQueue) async throws -> T
    ) async throws -> T {
        let queue = try PostgresJobQueue(configuration, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await queue.run() }
            defer { group.cancelAll() }
            try await queue.checkConnection()
            try await queue.migrate()
            return try await body(queue)
        }
    }

    // MARK: JobQueue

    /// Adds a job, or returns the job not yet final that holds the same unique key.
    public func enqueue(_ job: NewJob) async throws -> Enqueued {
        let row = try Self.validated(job)
        return try await PostgresAccess.queueOperation("enqueueing a \(job.kind) job", target: target) {
            try await client.withConnection { connection in
                try await insert(row, on: connection)
            }
        }
    }

    /// Adds a job inside the caller's transaction on `connection` (a connection of ``client`` or of the host's own
    /// pool, on the same database, between the caller's `BEGIN` and `COMMIT`): the job and its notification appear
    /// when the caller commits, and vanish if it rolls back.
    ///
    /// The caller's transaction must be `READ COMMITTED` (PostgreSQL's default) for a unique key held by a job that
    /// another transaction enqueued to be found.
    public func enqueue(_ job: NewJob, on connection: PostgresConnection) async throws -> Enqueued {
        let row = try Self.validated(job)
        return try await PostgresAccess.queueOperation("enqueueing a \(job.kind) job", target: target) {
            try await insert(row, on: connection)
        }
    }

    /// Claims the best available job of these kinds; see ``JobQueue/claim(kinds:worker:lease:)``.
    public func claim(kinds: Set<String>, worker: String, lease: Duration) async throws -> JobClaim? {
        let seconds = try JobRequestCheck.lease(lease)
        try Self.checkName(worker, what: "worker name")
        let kindList = try JobRequestCheck.kinds(kinds)
        for kind in kindList { try Self.checkName(kind, what: "kind") }
        return try await PostgresAccess.queueOperation("claiming a job", target: target) {
            // Twice at most: when the first statement freed expired leases but found nothing else, the freed jobs
            // (invisible to the statement's own snapshot) are claimable now.
            for _ in 0..<2 {
                let sequence = hub.sequence()
                let rows = try await client.query(claimQuery(kinds: kindList, worker: worker, seconds: seconds))
                for try await row in rows {
                    let cells = row.makeRandomAccess()
                    let rescued = try cells[0].decode(Int64.self)
                    if rescued > 0 { hub.notifyAll() }
                    guard try cells[1].decode(Int64?.self) != nil else {
                        if rescued > 0 { break }
                        hub.claimFoundNothing(kinds: kinds, startedAt: sequence)
                        return nil
                    }
                    let job = try Self.job(from: cells, offset: 1)
                    guard let expires = job.leaseExpiresAt else {
                        throw JobQueueError.corruptRecord("claimed job \(job.id) has no lease end")
                    }
                    return JobClaim(
                        job: job, token: FencingToken(jobID: job.id, attempt: job.attempt), leaseExpiresAt: expires)
                }
            }
            return nil
        }
    }

    /// The most jobs ``claim(kinds:worker:lease:limit:)`` takes at once.
    public static let maximumBatch = 1_000

    /// Claims up to `limit` of the best available jobs in one statement, as the batched workers of pgqueuer and
    /// River fetch: fewer round trips per job when jobs are short. Each claim has its own token and lease, exactly as
    /// from ``claim(kinds:worker:lease:)``; an empty array means none was available.
    public func claim(kinds: Set<String>, worker: String, lease: Duration, limit: Int) async throws -> [JobClaim] {
        guard (1...Self.maximumBatch).contains(limit) else {
            throw JobQueueError.invalidRequest("a batch claim takes 1...\(Self.maximumBatch) jobs, not \(limit)")
        }
        let seconds = try JobRequestCheck.lease(lease)
        try Self.checkName(worker, what: "worker name")
        let kindList = try JobRequestCheck.kinds(kinds)
        for kind in kindList { try Self.checkName(kind, what: "kind") }
        return try await PostgresAccess.queueOperation("claiming jobs", target: target) {
            var claims: [JobClaim] = []
            for _ in 0..<2 {
                let sequence = hub.sequence()
                let rows = try await client.query(
                    claimQuery(kinds: kindList, worker: worker, seconds: seconds, limit: limit))
                var rescued: Int64 = 0
                for try await row in rows {
                    let cells = row.makeRandomAccess()
                    rescued = try cells[0].decode(Int64.self)
                    guard try cells[1].decode(Int64?.self) != nil else { continue }
                    let job = try Self.job(from: cells, offset: 1)
                    guard let expires = job.leaseExpiresAt else {
                        throw JobQueueError.corruptRecord("claimed job \(job.id) has no lease end")
                    }
                    claims.append(
                        JobClaim(
                            job: job, token: FencingToken(jobID: job.id, attempt: job.attempt),
                            leaseExpiresAt: expires))
                }
                if rescued > 0 { hub.notifyAll() }
                if !claims.isEmpty || rescued == 0 {
                    if claims.isEmpty { hub.claimFoundNothing(kinds: kinds, startedAt: sequence) }
                    break
                }
            }
            return claims.sorted { ($0.job.priority, $1.job.id.rawValue) > ($1.job.priority, $0.job.id.rawValue) }
        }
    }

    /// Marks many jobs succeeded in one statement (no results); returns the tokens that were stale, whose jobs
    /// were left as they were.
    public func complete(_ tokens: [FencingToken]) async throws -> [FencingToken] {
        guard !tokens.isEmpty else { return [] }
        guard tokens.count <= Self.maximumBatch else {
            throw JobQueueError.invalidRequest("a batch completes at most \(Self.maximumBatch) jobs")
        }
        let ids = tokens.map(\.jobID.rawValue)
        let attempts = tokens.map { Int64($0.attempt) }
        return try await PostgresAccess.queueOperation("completing \(tokens.count) jobs", target: target) {
            let rows = try await client.query(
                """
                UPDATE \(unescaped: jobs) AS j SET state = 'succeeded', result = NULL, finished_at = now(),
                    updated_at = now(), worker = NULL, lease_expires_at = NULL
                FROM unnest(\(ids)::bigint[], \(attempts)::bigint[]) AS t(id, attempt)
                WHERE j.id = t.id AND j.attempt = t.attempt AND j.state = 'running'
                RETURNING j.id
                """)
            var done = Set<Int64>()
            for try await id in rows.decode(Int64.self) { done.insert(id) }
            return tokens.filter { !done.contains($0.jobID.rawValue) }
        }
    }

    /// Renews the lease; see ``JobQueue/heartbeat(_:lease:)``.
    public func heartbeat(_ token: FencingToken, lease: Duration) async throws -> Heartbeat {
        let seconds = try JobRequestCheck.lease(lease)
        return try await PostgresAccess.queueOperation("renewing the lease of \(token)", target: target) {
            let rows = try await client.query(
                """
                UPDATE \(unescaped: jobs)
                SET lease_expires_at = now() + make_interval(secs => \(seconds)), updated_at = now()
                WHERE id = \(token.jobID.rawValue) AND attempt = \(token.attempt) AND state = 'running'
                RETURNING lease_expires_at, cancel_requested
                """)
            for try await (expires, cancelRequested) in rows.decode((Date, Bool).self) {
                return cancelRequested ? Heartbeat.cancelRequested : Heartbeat.renewed(until: expires)
            }
            throw JobQueueError.staleToken(token)
        }
    }

    /// Records the latest progress of a running job.
    public func reportProgress(_ progress: Data, for token: FencingToken) async throws {
        try JobRequestCheck.size(progress, what: "progress")
        try await fencedUpdate(
            token, operation: "reporting progress of",
            try """
            UPDATE \(unescaped: jobs) SET progress = \(progress), updated_at = now()
            WHERE id = \(token.jobID.rawValue) AND attempt = \(token.attempt) AND state = 'running' RETURNING id
            """)
    }

    /// Marks the job succeeded; throws ``JobQueueError/Code/staleToken`` for a stale token.
    public func complete(_ token: FencingToken, result: Data?) async throws {
        if let result { try JobRequestCheck.size(result, what: "result") }
        try await fencedUpdate(
            token, operation: "completing",
            try """
            UPDATE \(unescaped: jobs) SET state = 'succeeded', result = \(result), finished_at = now(),
                updated_at = now(), worker = NULL, lease_expires_at = NULL
            WHERE id = \(token.jobID.rawValue) AND attempt = \(token.attempt) AND state = 'running' RETURNING id
            """)
    }

    /// Records a failed attempt: retried after the backoff, or dead when no attempt is left.
    public func fail(_ token: FencingToken, error: String) async throws -> JobRecord {
        let message = Self.truncated(error)
        let delay = Self.seconds(configuration.backoff.delay(afterAttempt: token.attempt, jobID: token.jobID))
        return try await PostgresAccess.queueOperation("recording a failure of \(token)", target: target) {
            let rows = try await client.query(
                """
                UPDATE \(unescaped: jobs) SET
                    state = CASE WHEN cancel_requested THEN 'cancelled'
                                 WHEN attempt - releases >= max_attempts THEN 'dead' ELSE 'available' END,
                    run_after = CASE WHEN cancel_requested OR attempt - releases >= max_attempts THEN run_after
                                     ELSE now() + make_interval(secs => \(delay)) END,
                    finished_at = CASE WHEN cancel_requested OR attempt - releases >= max_attempts THEN now() END,
                    last_error = \(message), worker = NULL, lease_expires_at = NULL, updated_at = now()
                WHERE id = \(token.jobID.rawValue) AND attempt = \(token.attempt) AND state = 'running'
                RETURNING \(unescaped: Self.columns)
                """)
            for try await row in rows { return try Self.job(from: row.makeRandomAccess(), offset: 0) }
            throw JobQueueError.staleToken(token)
        }
    }

    /// Gives a running job back: available at once, the attempt not counted against its maximum.
    public func release(_ token: FencingToken) async throws {
        try await PostgresAccess.queueOperation("releasing \(token)", target: target) {
            let rows = try await client.query(
                """
                WITH released AS (
                    UPDATE \(unescaped: jobs) SET
                        state = CASE WHEN cancel_requested THEN 'cancelled' ELSE 'available' END,
                        finished_at = CASE WHEN cancel_requested THEN now() END,
                        releases = releases + 1, run_after = now(), worker = NULL, lease_expires_at = NULL,
                        updated_at = now()
                    WHERE id = \(token.jobID.rawValue) AND attempt = \(token.attempt) AND state = 'running'
                    RETURNING kind, state
                )
                SELECT released.state, announced.sent FROM released LEFT JOIN LATERAL (
                    SELECT pg_notify(\(schema.channel), released.kind)::text AS sent
                    WHERE released.state = 'available') AS announced ON true
                """)
            for try await _ in rows { return }
            throw JobQueueError.staleToken(token)
        }
    }

    /// Cancels a job: at once when not running, at its worker's next heartbeat when running.
    public func cancel(_ id: JobID) async throws -> JobRecord? {
        try await PostgresAccess.queueOperation("cancelling job \(id)", target: target) {
            () async throws -> JobRecord? in
            let rows = try await client.query(
                """
                UPDATE \(unescaped: jobs) SET
                    state = CASE WHEN state = 'available' THEN 'cancelled' ELSE state END,
                    cancel_requested = (state = 'running'),
                    finished_at = CASE WHEN state = 'available' THEN now() ELSE finished_at END,
                    updated_at = now()
                WHERE id = \(id.rawValue) AND state IN ('available', 'running')
                RETURNING \(unescaped: Self.columns)
                """)
            for try await row in rows { return try Self.job(from: row.makeRandomAccess(), offset: 0) }
            return try await self.job(id)
        }
    }

    /// Marks a running job whose cancel was requested as cancelled.
    public func acknowledgeCancel(_ token: FencingToken) async throws {
        try await PostgresAccess.queueOperation("acknowledging the cancel of \(token)", target: target) {
            let rows = try await client.query(
                """
                UPDATE \(unescaped: jobs) SET state = 'cancelled', finished_at = now(), updated_at = now(),
                    worker = NULL, lease_expires_at = NULL
                WHERE id = \(token.jobID.rawValue) AND attempt = \(token.attempt) AND state = 'running'
                    AND cancel_requested
                RETURNING id
                """)
            for try await _ in rows { return }
            if let job = try await job(token.jobID), job.state == .running, job.attempt == token.attempt {
                throw JobQueueError.invalidState("\(token): no cancel was requested")
            }
            throw JobQueueError.staleToken(token)
        }
    }

    /// Gives a dead or cancelled job one more attempt, and announces it to the listening workers.
    public func retry(_ id: JobID) async throws -> JobRecord? {
        try await PostgresAccess.queueOperation("retrying job \(id)", target: target) { () async throws -> JobRecord? in
            let rows = try await client.query(
                """
                WITH retried AS (
                    UPDATE \(unescaped: jobs) AS j SET state = 'available', cancel_requested = false,
                        max_attempts = GREATEST(j.max_attempts, j.attempt - j.releases + 1), run_after = now(),
                        worker = NULL, lease_expires_at = NULL, finished_at = NULL, updated_at = now()
                    WHERE j.id = \(id.rawValue) AND j.state IN ('dead', 'cancelled')
                        AND j.attempt - j.releases < \(JobQueueLimits.maximumAttempts)
                        AND (j.unique_key IS NULL OR NOT EXISTS (
                            SELECT 1 FROM \(unescaped: jobs) AS o
                            WHERE o.unique_key = j.unique_key AND o.state IN ('available', 'running')))
                    RETURNING j.*
                )
                SELECT \(unescaped: Self.columns), pg_notify(\(schema.channel), kind)::text FROM retried
                """)
            for try await row in rows { return try Self.job(from: row.makeRandomAccess(), offset: 0) }
            guard let job = try await self.job(id) else { return nil }
            guard job.state == .dead || job.state == .cancelled else {
                throw JobQueueError.invalidState(
                    "job \(id) is \(job.state.rawValue); only a dead or cancelled job can be retried")
            }
            throw JobQueueError.invalidState(
                "job \(id) cannot be retried: it has used the most attempts a job may have, or its unique key is "
                    + "held by another job not yet final")
        }
    }

    /// The job with that id, if any.
    public func job(_ id: JobID) async throws -> JobRecord? {
        try await PostgresAccess.queueOperation("reading job \(id)", target: target) { () async throws -> JobRecord? in
            let rows = try await client.query(
                "SELECT \(unescaped: Self.columns) FROM \(unescaped: jobs) WHERE id = \(id.rawValue)")
            for try await row in rows { return try Self.job(from: row.makeRandomAccess(), offset: 0) }
            return nil
        }
    }

    /// Jobs matching the filter, newest first.
    public func jobs(_ filter: JobFilter) async throws -> [JobRecord] {
        let limit = min(max(filter.limit, 1), 10_000)
        let states = filter.states.map { $0.map(\.rawValue).sorted() }
        let before = filter.before?.rawValue
        return try await PostgresAccess.queueOperation("listing jobs", target: target) {
            let rows = try await client.query(
                """
                SELECT \(unescaped: Self.columns) FROM \(unescaped: jobs)
                WHERE (\(states)::text[] IS NULL OR state = ANY(\(states)::text[]))
                    AND (\(filter.kind)::text IS NULL OR kind = \(filter.kind))
                    AND (\(before)::bigint IS NULL OR id < \(before))
                ORDER BY id DESC LIMIT \(limit)
                """)
            var found: [JobRecord] = []
            for try await row in rows { found.append(try Self.job(from: row.makeRandomAccess(), offset: 0)) }
            return found
        }
    }

    /// Returns when a job of these kinds was announced on the channel, when the next lease ends or retry falls due
    /// (no notification announces those), or after `timeout` (the safety-net poll), whichever is first.
    ///
    /// Waking at the next lease end is what makes a killed worker's job run again within its lease, however long
    /// the idle workers' poll interval is.
    public func waitForJobs(kinds: Set<String>, timeout: Duration) async throws {
        guard timeout > .zero else { return }
        var timeout = timeout
        if let due = try await secondsUntilSomethingIsDue(kinds: kinds), due.isFinite {
            // 10 ms past the moment: a claim at that instant could still find the lease not quite over.
            let wait = Duration.milliseconds(Int64(min(max(due, 0), 86_400) * 1_000) + 10)
            timeout = min(timeout, wait)
        }
        if configuration.listens {
            await hub.wait(kinds: kinds, timeout: timeout)
        } else {
            try await Task.sleep(for: timeout)
        }
        try Task.checkCancellation()
    }

    /// Seconds until the earliest lease of a running job ends or a job of `kinds` waiting for its `runAfter` may
    /// run, by the server's clock; `nil` when neither exists. (A job due already is not counted: the claim before
    /// this wait found it taken, by a claimer whose statement is still running.)
    private func secondsUntilSomethingIsDue(kinds: Set<String>) async throws -> Double? {
        let kindList = kinds.sorted()
        return try await PostgresAccess.queueOperation("looking for due jobs", target: target) {
            let rows = try await client.query(
                """
                SELECT extract(epoch FROM least(
                    (SELECT min(lease_expires_at) FROM \(unescaped: jobs) WHERE state = 'running'),
                    (SELECT min(run_after) FROM \(unescaped: jobs)
                     WHERE state = 'available' AND kind = ANY(\(kindList)::text[]) AND run_after > now())) - now())::float8
                """)
            for try await seconds in rows.decode(Double?.self) { return seconds }
            return nil
        }
    }

    /// A checkpoint store in the queue's database whose writes succeed only while `token` holds its job.
    public func checkpointStore(fencedBy token: FencingToken) -> any CheckpointStore {
        PostgresCheckpointStore(client: client, schema: schema, fence: token, logger: logger)
    }

    /// The queue's checkpoint store, unfenced (for reads and for runs outside the queue).
    public func checkpointStore() -> PostgresCheckpointStore {
        PostgresCheckpointStore(client: client, schema: schema, fence: nil, logger: logger)
    }

    // MARK: Statements

    /// The job columns in ``job(from:offset:)``'s order.
    static let columns = """
        id, kind, payload, unique_key, priority, state, attempt, max_attempts, run_after, worker, lease_expires_at,
        cancel_requested, progress, result, last_error, created_at, updated_at, finished_at
        """

    private func claimQuery(kinds: [String], worker: String, seconds: Double, limit: Int = 1) -> PostgresQuery {
        // One statement: free expired leases (a job out of attempts becomes dead, a cancelled one cancelled), then
        // take the best available job. SKIP LOCKED in both scans: no claimer waits for another's rows.
        """
        WITH rescued AS (
            UPDATE \(unescaped: jobs) SET
                state = CASE WHEN cancel_requested THEN 'cancelled'
                             WHEN attempt - releases >= max_attempts THEN 'dead' ELSE 'available' END,
                last_error = CASE WHEN cancel_requested THEN last_error
                    ELSE 'the lease of attempt ' || attempt || ' expired (worker ' || coalesce(worker, 'unknown')
                        || ' stopped renewing it)'
                        || CASE WHEN attempt - releases >= max_attempts THEN ' and no attempt is left' ELSE '' END
                    END,
                finished_at = CASE WHEN cancel_requested OR attempt - releases >= max_attempts THEN now() END,
                worker = NULL, lease_expires_at = NULL, updated_at = now()
            WHERE id IN (
                SELECT id FROM \(unescaped: jobs) WHERE state = 'running' AND lease_expires_at < now()
                ORDER BY lease_expires_at LIMIT 100 FOR UPDATE SKIP LOCKED)
            RETURNING id
        ), claimed AS (
            UPDATE \(unescaped: jobs) SET state = 'running', attempt = attempt + 1, worker = \(worker),
                lease_expires_at = now() + make_interval(secs => \(seconds)), updated_at = now()
            WHERE id IN (
                SELECT id FROM \(unescaped: jobs)
                WHERE state = 'available' AND kind = ANY(\(kinds)::text[]) AND run_after <= now()
                ORDER BY priority DESC, id LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING \(unescaped: Self.columns)
        )
        SELECT (SELECT count(*) FROM rescued), claimed.* FROM (VALUES (1)) AS one LEFT JOIN claimed ON true
        """
    }

    /// Runs `query`, an `UPDATE … WHERE <token matches> RETURNING id`; no row means the token is stale.
    private func fencedUpdate(_ token: FencingToken, operation: String, _ query: PostgresQuery) async throws {
        try await PostgresAccess.queueOperation("\(operation) \(token)", target: target) {
            let rows = try await client.query(query)
            for try await _ in rows { return }
            throw JobQueueError.staleToken(token)
        }
    }

    /// A validated job, ready to bind.
    struct ValidatedJob: Sendable {
        var job: NewJob
        var runAfter: Date?
    }

    private func insert(_ row: ValidatedJob, on connection: PostgresConnection) async throws -> Enqueued {
        let job = row.job
        // A unique key whose holder finishes between the insert and the look-up frees the key: try again. Three
        // rounds: each lost round needs another job to finish within microseconds.
        for _ in 0..<3 {
            let inserted = try await connection.query(
                """
                WITH inserted AS (
                    INSERT INTO \(unescaped: jobs)
                        (kind, payload, unique_key, priority, state, max_attempts, run_after)
                    VALUES (\(job.kind), \(job.payload), \(job.uniqueKey), \(job.priority), 'available',
                        \(job.maxAttempts), coalesce(\(row.runAfter), now()))
                    ON CONFLICT (unique_key) WHERE unique_key IS NOT NULL AND state IN ('available', 'running')
                    DO NOTHING
                    RETURNING \(unescaped: Self.columns)
                )
                SELECT *, pg_notify(\(schema.channel), kind) FROM inserted
                """, logger: logger)
            for try await created in inserted {
                return Enqueued(job: try Self.job(from: created.makeRandomAccess(), offset: 0), created: true)
            }
            // The conflict: a separate statement, so READ COMMITTED's new snapshot sees the holder even when it
            // committed while this insert waited for it.
            let existing = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM \(unescaped: jobs)
                WHERE unique_key = \(job.uniqueKey) AND state IN ('available', 'running')
                """, logger: logger)
            for try await found in existing {
                return Enqueued(job: try Self.job(from: found.makeRandomAccess(), offset: 0), created: false)
            }
        }
        throw JobQueueError.invalidState(
            "the unique key of this \(job.kind) job is held by a job that cannot be read: is the enqueueing "
                + "transaction REPEATABLE READ or SERIALIZABLE? Enqueue in READ COMMITTED")
    }

    // MARK: Listening

    /// Holds one pooled connection LISTENing on the channel while the queue runs, reconnecting after failures.
    private func listen() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: schema.channel) { notifications in
                        failures = 0
                        // Jobs enqueued while no one listened: let every waiter look.
                        hub.notifyAll()
                        for try await notification in notifications {
                            hub.notify(kind: notification.payload)
                        }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                failures += 1
                logger.warning(
                    "the queue's listening connection failed; idle workers poll until it is back",
                    metadata: ["error": "\(PostgresAccess.describe(error))"])
            }
            // 0.1 s, doubling to 5 s: reconnects quickly after a blip, without hammering a server that is down.
            let delay = min(0.1 * pow(2, Double(min(failures, 6))), 5)
            try? await Task.sleep(for: .seconds(delay))
        }
    }

    // MARK: Checks and conversions

    /// The shared checks (``JobRequestCheck``), then PostgreSQL's own: text without NUL, dates it can hold.
    static func validated(_ job: NewJob) throws -> ValidatedJob {
        try JobRequestCheck.job(job)
        try checkName(job.kind, what: "kind")
        if let key = job.uniqueKey { try checkName(key, what: "unique key") }
        if let runAfter = job.runAfter {
            // PostgreSQL's timestamptz spans 4713 BC to 294276 AD; ±10 000 years is far inside it.
            guard abs(runAfter.timeIntervalSince1970) < 3.2e11 else {
                throw JobQueueError.invalidRequest("runAfter is beyond the year 10 000")
            }
        }
        return ValidatedJob(job: job, runAfter: job.runAfter)
    }

    /// ``JobRequestCheck/name(_:what:)``, and no NUL, which PostgreSQL's text cannot hold.
    static func checkName(_ name: String, what: String) throws {
        try JobRequestCheck.name(name, what: what)
        guard !name.utf8.contains(0) else { throw JobQueueError.invalidRequest("the \(what) contains a NUL byte") }
    }

    static func seconds(_ duration: Duration) -> Double {
        let components = duration.components
        return Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }

    /// ``JobRequestCheck/truncated(_:)`` without NUL, which PostgreSQL's text cannot hold.
    static func truncated(_ error: String) -> String {
        JobRequestCheck.truncated(error.replacingOccurrences(of: "\0", with: ""))
    }

    /// A job from the 18 columns of ``columns`` starting at `offset`, every value checked.
    static func job(from cells: PostgresRandomAccessRow, offset: Int) throws -> JobRecord {
        let id = try cells[offset].decode(Int64.self)
        let stateText = try cells[offset + 5].decode(String.self)
        guard let state = JobState(rawValue: stateText) else {
            throw JobQueueError.corruptRecord("job \(id) has an unknown state")
        }
        let attempt = try cells[offset + 6].decode(Int.self)
        let maxAttempts = try cells[offset + 7].decode(Int.self)
        guard attempt >= 0, (1...JobQueueLimits.maximumAttempts).contains(maxAttempts) else {
            throw JobQueueError.corruptRecord("job \(id) has attempt \(attempt) of \(maxAttempts)")
        }
        let dates = try [8, 10, 15, 16, 17].map { try cells[offset + $0].decode(Date?.self) }
        // ±10 000 years: PostgreSQL's 'infinity' decodes to a date near the year 294 000, which no job has.
        guard dates.allSatisfy({ $0.map { abs($0.timeIntervalSince1970) < 3.2e11 } ?? true }) else {
            throw JobQueueError.corruptRecord("job \(id) has a date out of range")
        }
        return JobRecord(
            id: JobID(rawValue: id),
            kind: try cells[offset + 1].decode(String.self),
            payload: try cells[offset + 2].decode(Data.self),
            uniqueKey: try cells[offset + 3].decode(String?.self),
            priority: try cells[offset + 4].decode(Int.self),
            state: state,
            attempt: attempt,
            maxAttempts: maxAttempts,
            runAfter: try cells[offset + 8].decode(Date.self),
            worker: try cells[offset + 9].decode(String?.self),
            leaseExpiresAt: try cells[offset + 10].decode(Date?.self),
            cancelRequested: try cells[offset + 11].decode(Bool.self),
            progress: try cells[offset + 12].decode(Data?.self),
            result: try cells[offset + 13].decode(Data?.self),
            lastError: try cells[offset + 14].decode(String?.self),
            createdAt: try cells[offset + 15].decode(Date.self),
            updatedAt: try cells[offset + 16].decode(Date.self),
            finishedAt: try cells[offset + 17].decode(Date?.self)
        )
    }

    // MARK: Connection settings

    static func clientConfiguration(_ configuration: Configuration) -> PostgresClient.Configuration {
        let url = configuration.url
        var client: PostgresClient.Configuration
        if let socket = url.socketPath {
            client = PostgresClient.Configuration(
                unixSocketPath: socket, username: url.user, password: url.password, database: url.database)
        } else {
            client = PostgresClient.Configuration(
                host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
                tls: tls(url.tls))
        }
        // One more than asked for: the listener holds one connection for as long as the queue runs.
        client.options.maximumConnections = configuration.maximumConnections + 1
        client.options.connectTimeout = configuration.connectTimeout
        return client
    }

    private static func tls(_ mode: PostgresQueueURL.TLSMode) -> PostgresClient.Configuration.TLS {
        switch mode {
        case .disable: .disable
        case .require: .require(.makeClientConfiguration())
        default: .prefer(.makeClientConfiguration())
        }
    }
}
