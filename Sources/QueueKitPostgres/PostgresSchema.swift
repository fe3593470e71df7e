import Foundation
import Logging
import PostgresNIO
import QueueKit

/// The tables of a queue and its checkpoint store, in one PostgreSQL schema, and their versioned migrations.
///
/// Migrations run in one transaction holding a transaction-scoped advisory lock derived from the schema name, so N
/// workers starting at once apply each migration exactly once: the first takes the lock and migrates, the others
/// wait for its commit, then find nothing left to do. A database migrated by a newer version is refused.
struct PostgresSchema: Sendable {
    /// The PostgreSQL schema (namespace) holding the tables: a lowercase identifier, checked.
    let name: String

    /// The migrations, oldest first; never edit a released one: append.
    static let migrations: [(version: Int, sql: [String])] = [
        (
            1,
            [
                // The jobs. `attempt` counts claims (the fencing token's second half, monotonic); `releases` counts
                // the claims given back by a shutting-down worker, which do not use up an attempt.
                """
                CREATE TABLE {s}.jobs (
                    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                    kind text NOT NULL,
                    payload bytea NOT NULL,
                    unique_key text,
                    priority bigint NOT NULL,
                    state text NOT NULL
                        CHECK (state IN ('available', 'running', 'succeeded', 'dead', 'cancelled')),
                    attempt integer NOT NULL DEFAULT 0 CHECK (attempt >= 0),
                    releases integer NOT NULL DEFAULT 0 CHECK (releases >= 0),
                    max_attempts integer NOT NULL CHECK (max_attempts >= 1),
                    run_after timestamptz NOT NULL,
                    worker text,
                    lease_expires_at timestamptz,
                    cancel_requested boolean NOT NULL DEFAULT false,
                    progress bytea,
                    result bytea,
                    last_error text,
                    created_at timestamptz NOT NULL DEFAULT now(),
                    updated_at timestamptz NOT NULL DEFAULT now(),
                    finished_at timestamptz
                )
                """,
                // A unique key binds only jobs not yet final: once a job is done its key may be enqueued again.
                """
                CREATE UNIQUE INDEX jobs_unique_key ON {s}.jobs (unique_key)
                    WHERE unique_key IS NOT NULL AND state IN ('available', 'running')
                """,
                // The claim's scan: available jobs of a kind in claim order.
                "CREATE INDEX jobs_claim_order ON {s}.jobs (kind, priority DESC, id) WHERE state = 'available'",
                // The lease rescuer's scan: running jobs by lease end.
                "CREATE INDEX jobs_leases ON {s}.jobs (lease_expires_at) WHERE state = 'running'",
                "CREATE INDEX jobs_by_state ON {s}.jobs (state, id)",
                // The checkpoint store: PipelineKit's records, as SQLiteCheckpointStore keeps them. Times are
                // float8 seconds since 1970, as there, so a record reads back equal to what was written.
                """
                CREATE TABLE {s}.runs (
                    id text PRIMARY KEY,
                    pipeline text NOT NULL,
                    status text NOT NULL,
                    input bytea NOT NULL,
                    output bytea,
                    error text,
                    created_at double precision NOT NULL,
                    updated_at double precision NOT NULL,
                    finished_at double precision
                )
                """,
                "CREATE INDEX runs_by_creation ON {s}.runs (created_at)",
                """
                CREATE TABLE {s}.stages (
                    run_id text NOT NULL REFERENCES {s}.runs (id) ON DELETE CASCADE,
                    idx bigint NOT NULL,
                    stage_id text NOT NULL,
                    version bigint NOT NULL,
                    input_hash text NOT NULL,
                    status text NOT NULL,
                    output bytea,
                    attempts bigint NOT NULL,
                    duration double precision NOT NULL,
                    error text,
                    finished_at double precision NOT NULL,
                    PRIMARY KEY (run_id, idx)
                )
                """,
                """
                CREATE TABLE {s}.children (
                    run_id text NOT NULL REFERENCES {s}.runs (id) ON DELETE CASCADE,
                    stage_idx bigint NOT NULL,
                    child_idx bigint NOT NULL,
                    input_hash text NOT NULL,
                    output bytea NOT NULL,
                    attempts bigint NOT NULL,
                    duration double precision NOT NULL,
                    finished_at double precision NOT NULL,
                    PRIMARY KEY (run_id, stage_idx, child_idx)
                )
                """,
                """
                CREATE TABLE {s}.cache (
                    key text PRIMARY KEY,
                    stage_id text NOT NULL,
                    version bigint NOT NULL,
                    output bytea NOT NULL,
                    created_at double precision NOT NULL
                )
                """,
            ]
        )
    ]

    /// The newest schema version this build knows.
    static var currentVersion: Int { migrations.last?.version ?? 0 }

    /// Checks the schema name: a lowercase SQL identifier, so it can be spliced into statements unquoted.
    init(name: String) throws {
        let first = name.unicodeScalars.first
        guard (1...48).contains(name.utf8.count), let first, ("a"..."z").contains(first) || first == "_",
            name.unicodeScalars.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" })
        else {
            // 48 bytes: room for the "_jobs" channel suffix within PostgreSQL's 63-byte identifiers.
            throw JobQueueError.invalidRequest(
                "a PostgreSQL schema name is 1 to 48 lowercase letters, digits or '_', starting with a letter or '_'")
        }
        self.name = name
    }

    /// `schema.table`.
    func table(_ table: String) -> String { "\(name).\(table)" }

    /// The LISTEN/NOTIFY channel on which enqueues and releases are announced (payload: the job's kind).
    var channel: String { "\(name)_jobs" }

    /// The advisory lock key that serialises migrations of this schema: FNV-1a (64-bit) of the name, so every
    /// process derives the same key.
    var migrationLockKey: Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "storyforge.migrate.\(name)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    /// Creates or upgrades the tables; returns the versions it applied (empty when already current).
    func migrate(on connection: PostgresConnection, logger: Logger) async throws -> [Int] {
        try await PostgresAccess.transaction(on: connection, logger: logger) { connection in
            try await connection.query("SELECT pg_advisory_xact_lock(\(migrationLockKey))", logger: logger)
            try await connection.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA IF NOT EXISTS \(name)"), logger: logger)
            try await connection.query(
                PostgresQuery(
                    unsafeSQL: """
                        CREATE TABLE IF NOT EXISTS \(table("schema_versions")) (
                            version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())
                        """),
                logger: logger)
            var applied = Set<Int>()
            let rows = try await connection.query(
                PostgresQuery(unsafeSQL: "SELECT version FROM \(table("schema_versions"))"), logger: logger)
            for try await version in rows.decode(Int.self) { applied.insert(version) }
            if let newest = applied.max(), newest > Self.currentVersion {
                throw JobQueueError.invalidState(
                    "the PostgreSQL schema \(name) is at version \(newest), written by a newer StoryForge; this one "
                        + "knows versions up to \(Self.currentVersion): upgrade the workers")
            }
            var done: [Int] = []
            for migration in Self.migrations where !applied.contains(migration.version) {
                for statement in migration.sql {
                    let sql = statement.replacingOccurrences(of: "{s}", with: name)
                    try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
                }
                try await connection.query(
                    "INSERT INTO \(unescaped: table("schema_versions")) (version) VALUES (\(migration.version))",
                    logger: logger)
                done.append(migration.version)
            }
            if !done.isEmpty {
                logger.info(
                    "migrated the PostgreSQL queue schema",
                    metadata: ["queue.schema": "\(name)", "queue.schema_versions": "\(done)"])
            }
            return done
        }
    }
}
