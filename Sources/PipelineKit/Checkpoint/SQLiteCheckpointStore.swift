import Foundation
public import GRDB

/// The embedded checkpoint store: one SQLite file, through a GRDB `DatabasePool` in WAL mode.
///
/// Durability: with the default ``Configuration/Synchronous-swift.enum/normal`` (WAL, `synchronous=NORMAL`) every
/// committed checkpoint survives the process being killed at any instant; a power loss may lose the last few
/// commits (never corrupt the file). ``Configuration/Synchronous-swift.enum/full`` survives power loss too, at the
/// cost of an fsync per commit.
///
/// Database work runs synchronously on the calling task's thread: each access takes microseconds, and skipping the
/// hop to a dispatch queue and back is most of the engine's per-stage overhead. The one long wait is a write that
/// finds the file locked by another process; it blocks for at most ``Configuration/busyTimeout``.
///
/// The schema is versioned with GRDB migrations; opening a file written by an older version upgrades it in place,
/// and opening one written by a newer version is refused.
public final class SQLiteCheckpointStore: CheckpointStore {
    /// How the database is opened.
    public struct Configuration: Sendable {
        /// How hard SQLite works to keep a commit on disk.
        public enum Synchronous: String, Sendable {
            /// Survives a crash of the process; the default.
            case normal = "NORMAL"
            /// Survives a power loss as well; an fsync per commit.
            case full = "FULL"
        }

        /// How long a writer waits for a lock held by another connection or process before failing.
        public var busyTimeout: Duration
        /// `PRAGMA synchronous`.
        public var synchronous: Synchronous
        /// The most concurrent readers.
        public var maximumReaderCount: Int

        /// Creates a configuration; every parameter has a default.
        public init(
            busyTimeout: Duration = .seconds(5), synchronous: Synchronous = .normal, maximumReaderCount: Int = 4
        ) {
            self.busyTimeout = busyTimeout
            self.synchronous = synchronous
            self.maximumReaderCount = maximumReaderCount
        }
    }

    /// The identifiers of the schema migrations, oldest first; the last one is the current schema.
    public static let schemaVersions = ["v1", "v2"]

    private let pool: any DatabaseWriter

    /// Runs inside every write transaction before the write; what it throws aborts the write unchanged.
    private let writeGuard: (@Sendable (Database) throws -> Void)?

    /// The database file.
    public let path: String

    /// Opens (creating if needed) the store at `path` and migrates it to the current schema.
    public init(path: String, configuration: Configuration = Configuration()) throws {
        self.path = path
        writeGuard = nil
        var config = GRDB.Configuration()
        let components = configuration.busyTimeout.components
        config.busyMode = .timeout(Double(components.seconds) + Double(components.attoseconds) * 1e-18)
        config.maximumReaderCount = max(1, configuration.maximumReaderCount)
        config.label = "storyforge.checkpoints"
        let synchronous = configuration.synchronous.rawValue
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = \(synchronous)")
        }
        do {
            pool = try DatabasePool(path: path, configuration: config)
            let migrator = Self.migrator
            let superseded = try pool.read { db in try migrator.hasBeenSuperseded(db) }
            if superseded {
                throw PipelineError.storeFailure("\(path) was written by a newer version of PipelineKit")
            }
            try migrator.migrate(pool)
        } catch let error as PipelineError {
            throw error
        } catch let error as DatabaseError
            where error.resultCode == .SQLITE_NOTADB || error.resultCode == .SQLITE_CORRUPT
        {
            throw PipelineError.checkpointCorrupt(
                "the checkpoint store \(path) is damaged (\(error.message ?? "not a database")). It holds every "
                    + "run's checkpoints and the stage cache: deleting it, with its -wal and -shm files, loses the "
                    + "progress of every run in it (none can be resumed) and the cached stage results (the next run "
                    + "computes them again, provider calls included); artifacts and exported files are not in it",
                underlying: error)
        } catch {
            throw PipelineError.storeFailure("cannot open checkpoint store at \(path): \(error)", underlying: error)
        }
    }

    /// Uses a database another component opened (a job queue keeping its tables in the same file), migrating it to
    /// the current checkpoint schema; the checkpoint tables live beside the other component's.
    ///
    /// - Parameter writeGuard: runs at the start of every write transaction (`createRun`, `commit`), in the same
    ///   transaction; an error it throws aborts the write, changes nothing and reaches the caller unchanged. A job
    ///   queue checks its fencing token here, so a worker that lost its job cannot commit over the new owner.
    public init(writer: any DatabaseWriter, writeGuard: (@Sendable (Database) throws -> Void)? = nil) throws {
        path = writer.path
        pool = writer
        self.writeGuard = writeGuard
        do {
            let migrator = Self.migrator
            let superseded = try writer.read { db in try migrator.hasBeenSuperseded(db) }
            if superseded {
                throw PipelineError.storeFailure("\(writer.path) was written by a newer version of PipelineKit")
            }
            try migrator.migrate(writer)
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError.storeFailure(
                "cannot prepare the checkpoint tables in \(writer.path): \(error)", underlying: error)
        }
    }

    private init(sharing store: SQLiteCheckpointStore, writeGuard: @escaping @Sendable (Database) throws -> Void) {
        path = store.path
        pool = store.pool
        self.writeGuard = writeGuard
    }

    /// The same database with `writeGuard` run inside each write transaction (see ``init(writer:writeGuard:)``);
    /// nothing is migrated or opened again, so a guarded store per job costs nothing.
    public func guarded(by writeGuard: @escaping @Sendable (Database) throws -> Void) -> SQLiteCheckpointStore {
        SQLiteCheckpointStore(sharing: self, writeGuard: writeGuard)
    }

    /// Runs the write guard, marking what it throws so ``access(_:)`` hands it over unwrapped.
    private func checkGuard(_ db: Database) throws {
        guard let writeGuard else { return }
        do {
            try writeGuard(db)
        } catch {
            throw GuardRefusal(error: error)
        }
    }

    /// The schema migrations. Never edit a registered migration: add a new one.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE runs (
                        id TEXT PRIMARY KEY NOT NULL,
                        pipeline TEXT NOT NULL,
                        status TEXT NOT NULL,
                        input BLOB NOT NULL,
                        error TEXT,
                        created_at REAL NOT NULL,
                        updated_at REAL NOT NULL,
                        finished_at REAL
                    );
                    CREATE TABLE stages (
                        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                        idx INTEGER NOT NULL,
                        stage_id TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        input_hash TEXT NOT NULL,
                        status TEXT NOT NULL,
                        output BLOB,
                        attempts INTEGER NOT NULL,
                        duration REAL NOT NULL,
                        error TEXT,
                        finished_at REAL NOT NULL,
                        PRIMARY KEY (run_id, idx)
                    ) WITHOUT ROWID;
                    CREATE TABLE children (
                        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
                        stage_idx INTEGER NOT NULL,
                        child_idx INTEGER NOT NULL,
                        input_hash TEXT NOT NULL,
                        output BLOB NOT NULL,
                        attempts INTEGER NOT NULL,
                        duration REAL NOT NULL,
                        finished_at REAL NOT NULL,
                        PRIMARY KEY (run_id, stage_idx, child_idx)
                    ) WITHOUT ROWID;
                    """
            )
        }
        // v2: the cross-run result cache, and the final output on the run record.
        migrator.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    ALTER TABLE runs ADD COLUMN output BLOB;
                    CREATE TABLE cache (
                        key TEXT PRIMARY KEY NOT NULL,
                        stage_id TEXT NOT NULL,
                        version INTEGER NOT NULL,
                        output BLOB NOT NULL,
                        created_at REAL NOT NULL
                    ) WITHOUT ROWID;
                    CREATE INDEX runs_by_creation ON runs(created_at);
                    """
            )
        }
        return migrator
    }

    /// Inserts a new run record; throws if a run with that id exists.
    public func createRun(_ run: RunRecord) async throws {
        try await access {
            try self.pool.write { db in
                try self.checkGuard(db)
                if try Row.fetchOne(db, sql: "SELECT 1 FROM runs WHERE id = ?", arguments: [run.id.rawValue]) != nil {
                    throw PipelineError.runExists("run \(run.id) exists already")
                }
                try Self.upsert(run, in: db)
            }
        }
    }

    /// The run with that id, if any.
    public func run(_ id: RunID) async throws -> RunRecord? {
        try await access {
            try self.pool.read { db in
                try Row.fetchOne(db, sql: "\(Self.selectRun) WHERE id = ?", arguments: [id.rawValue]).map(
                    Self.runRecord)
            }
        }
    }

    /// All runs, newest first.
    public func runs() async throws -> [RunRecord] {
        try await access {
            try self.pool.read { db in
                try Row.fetchAll(db, sql: "\(Self.selectRun) ORDER BY created_at DESC").map(Self.runRecord)
            }
        }
    }

    /// The stage records of a run, by index.
    public func stages(of run: RunID) async throws -> [StageRecord] {
        try await access {
            try self.pool.read { db in
                // A cursor decodes each row in place, without copying it first: resuming long runs stays fast.
                let statement = try db.cachedStatement(
                    sql: """
                        SELECT idx, stage_id, version, input_hash, status, output, attempts, duration, error, finished_at
                        FROM stages WHERE run_id = ? ORDER BY idx
                        """
                )
                return try Array(
                    Row.fetchCursor(statement, arguments: [run.rawValue]).map { row in
                        let status: String = try row.decode(atIndex: 4)
                        guard let stageStatus = StageStatus(rawValue: status) else {
                            throw PipelineError.checkpointCorrupt("unknown stage status \(status)")
                        }
                        return StageRecord(
                            runID: run,
                            index: try row.decode(atIndex: 0),
                            stageID: StageID(try row.decode(String.self, atIndex: 1)),
                            version: try row.decode(atIndex: 2),
                            inputHash: try row.decode(atIndex: 3),
                            status: stageStatus,
                            output: try row.decode(atIndex: 5),
                            attempts: try row.decode(atIndex: 6),
                            duration: try row.decode(atIndex: 7),
                            error: try row.decode(atIndex: 8),
                            finishedAt: Date(timeIntervalSince1970: try row.decode(atIndex: 9))
                        )
                    })
            }
        }
    }

    /// The committed children of a fan-out stage, by child index.
    public func children(of run: RunID, stageIndex: Int) async throws -> [ChildRecord] {
        try await access {
            try self.pool.read { db in
                let statement = try db.cachedStatement(
                    sql: """
                        SELECT child_idx, input_hash, output, attempts, duration, finished_at
                        FROM children WHERE run_id = ? AND stage_idx = ? ORDER BY child_idx
                        """
                )
                return try Array(
                    Row.fetchCursor(statement, arguments: [run.rawValue, stageIndex]).map { row in
                        ChildRecord(
                            runID: run,
                            stageIndex: stageIndex,
                            childIndex: try row.decode(atIndex: 0),
                            inputHash: try row.decode(atIndex: 1),
                            output: try row.decode(atIndex: 2),
                            attempts: try row.decode(atIndex: 3),
                            duration: try row.decode(atIndex: 4),
                            finishedAt: Date(timeIntervalSince1970: try row.decode(atIndex: 5))
                        )
                    })
            }
        }
    }

    /// The cache entries present for the given keys.
    public func cacheEntries(forKeys keys: [String]) async throws -> [String: CacheEntry] {
        guard !keys.isEmpty else { return [:] }
        return try await access {
            try self.pool.read { db in
                var found: [String: CacheEntry] = [:]
                // 500 keys a statement stays far below SQLite's bound-parameter limit.
                var start = 0
                while start < keys.count {
                    let chunk = Array(keys[start..<min(start + 500, keys.count)])
                    start += chunk.count
                    let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                    // Cached: one prepared statement per chunk size, so SQLite parses it once.
                    let statement = try db.cachedStatement(
                        sql: """
                            SELECT key, stage_id, version, output, created_at FROM cache WHERE key IN (\(placeholders))
                            """
                    )
                    let rows = try Row.fetchCursor(statement, arguments: StatementArguments(chunk))
                    while let row = try rows.next() {
                        let entry = CacheEntry(
                            key: try row.decode(atIndex: 0),
                            stageID: StageID(try row.decode(String.self, atIndex: 1)),
                            version: try row.decode(atIndex: 2),
                            output: try row.decode(atIndex: 3),
                            createdAt: Date(timeIntervalSince1970: try row.decode(atIndex: 4))
                        )
                        found[entry.key] = entry
                    }
                }
                return found
            }
        }
    }

    /// Writes a batch in one transaction.
    public func commit(_ batch: CheckpointBatch) async throws {
        guard !batch.isEmpty else { return }
        try await access {
            try self.pool.write { db in
                try self.checkGuard(db)
                if let run = batch.run { try Self.upsert(run, in: db) }
                if !batch.stages.isEmpty {
                    let statement = try db.cachedStatement(
                        sql: """
                            INSERT OR REPLACE INTO stages
                            (run_id, idx, stage_id, version, input_hash, status, output, attempts, duration, error,
                             finished_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                            """
                    )
                    for stage in batch.stages {
                        try statement.execute(arguments: [
                            stage.runID.rawValue, stage.index, stage.stageID.rawValue, stage.version, stage.inputHash,
                            stage.status.rawValue, stage.output, stage.attempts, stage.duration, stage.error,
                            stage.finishedAt.timeIntervalSince1970,
                        ])
                    }
                }
                if !batch.children.isEmpty {
                    let statement = try db.cachedStatement(
                        sql: """
                            INSERT OR REPLACE INTO children
                            (run_id, stage_idx, child_idx, input_hash, output, attempts, duration, finished_at)
                            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                            """
                    )
                    for child in batch.children {
                        try statement.execute(arguments: [
                            child.runID.rawValue, child.stageIndex, child.childIndex, child.inputHash, child.output,
                            child.attempts, child.duration, child.finishedAt.timeIntervalSince1970,
                        ])
                    }
                }
                if !batch.cacheEntries.isEmpty {
                    let statement = try db.cachedStatement(
                        sql:
                            "INSERT OR REPLACE INTO cache (key, stage_id, version, output, created_at) VALUES (?, ?, ?, ?, ?)"
                    )
                    for entry in batch.cacheEntries {
                        try statement.execute(arguments: [
                            entry.key, entry.stageID.rawValue, entry.version, entry.output,
                            entry.createdAt.timeIntervalSince1970,
                        ])
                    }
                }
            }
        }
    }

    /// Runs `PRAGMA integrity_check` and returns its verdict (`"ok"` when the file is sound).
    public func integrityCheck() async throws -> String {
        try await access {
            try self.pool.read { db in
                try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "\n")
            }
        }
    }

    private static let selectRun =
        "SELECT id, pipeline, status, input, output, error, created_at, updated_at, finished_at FROM runs"

    private static func runRecord(_ row: Row) throws -> RunRecord {
        let status: String = try row.decode(atIndex: 2)
        guard let runStatus = RunStatus(rawValue: status) else {
            throw PipelineError.checkpointCorrupt("unknown run status \(status)")
        }
        let finishedAt: Double? = try row.decode(atIndex: 8)
        return RunRecord(
            id: RunID(try row.decode(String.self, atIndex: 0)),
            pipeline: try row.decode(atIndex: 1),
            status: runStatus,
            input: try row.decode(atIndex: 3),
            output: try row.decode(atIndex: 4),
            error: try row.decode(atIndex: 5),
            createdAt: Date(timeIntervalSince1970: try row.decode(atIndex: 6)),
            updatedAt: Date(timeIntervalSince1970: try row.decode(atIndex: 7)),
            finishedAt: finishedAt.map { Date(timeIntervalSince1970: $0) }
        )
    }

    /// An upsert, not `INSERT OR REPLACE`: a replace deletes the row first, and the foreign keys would cascade
    /// that delete to the run's stages and children.
    private static func upsert(_ run: RunRecord, in db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO runs (id, pipeline, status, input, output, error, created_at, updated_at, finished_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET
                    pipeline = excluded.pipeline, status = excluded.status, input = excluded.input,
                    output = excluded.output, error = excluded.error, updated_at = excluded.updated_at,
                    finished_at = excluded.finished_at
                """
        ).execute(arguments: [
            run.id.rawValue, run.pipeline, run.status.rawValue, run.input, run.output, run.error,
            run.createdAt.timeIntervalSince1970, run.updatedAt.timeIntervalSince1970,
            run.finishedAt?.timeIntervalSince1970,
        ])
    }

    /// Maps database errors to ``PipelineError`` so callers see one error type.
    private func access<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PipelineError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch let refusal as GuardRefusal {
            throw refusal.error
        } catch {
            throw PipelineError.storeFailure("checkpoint store \(path): \(error)", underlying: error)
        }
    }
}

/// An error of a store's write guard on its way out of the transaction.
private struct GuardRefusal: Error {
    let error: any Error
}
