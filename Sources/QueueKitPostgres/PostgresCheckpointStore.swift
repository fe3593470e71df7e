import Foundation
public import Logging
public import PipelineKit
public import PostgresNIO
public import QueueKit

/// PipelineKit's checkpoint store on PostgreSQL: the records ``SQLiteCheckpointStore`` keeps, shared by workers on
/// many machines, so a job resumed elsewhere continues from its last committed stage.
///
/// Every ``commit(_:)`` is one transaction (all of the batch or none of it), as the runner requires. A store made by
/// ``PostgresJobQueue/checkpointStore(fencedBy:)`` first checks, in that same transaction, that its fencing token
/// still holds the job, and locks the job's row (`FOR SHARE`) until the commit, so the check cannot go stale before
/// the write lands: a stale token's write throws ``JobQueueError/Code/staleToken`` and changes nothing.
///
/// A store of its own (no queue) takes a running `PostgresClient`:
///
/// ```swift
/// let store = try PostgresCheckpointStore(client: client, schema: "storyforge")
/// try await store.migrate()
/// ```
public struct PostgresCheckpointStore: CheckpointStore {
    private let client: PostgresClient
    private let schema: PostgresSchema
    private let logger: Logger
    /// The token every write checks, for a fenced store.
    public let fence: FencingToken?

    /// A store in `schema` of the database `client` connects to; the host runs `client.run()`.
    public init(
        client: PostgresClient, schema: String = "storyforge",
        logger: Logger = Logger(label: "storyforge.checkpoints.postgres")
    ) throws {
        self.init(client: client, schema: try PostgresSchema(name: schema), fence: nil, logger: logger)
    }

    init(client: PostgresClient, schema: PostgresSchema, fence: FencingToken?, logger: Logger) {
        self.client = client
        self.schema = schema
        self.fence = fence
        self.logger = logger
    }

    /// Creates or upgrades the schema (shared with ``PostgresJobQueue``); safe to call from many processes at once.
    @discardableResult
    public func migrate() async throws -> [Int] {
        try await access("migrating the schema") {
            try await client.withConnection { connection in
                try await schema.migrate(on: connection, logger: logger)
            }
        }
    }

    /// Inserts a new run record; throws if a run with that id exists.
    public func createRun(_ run: RunRecord) async throws {
        try await write("creating run \(run.id)") { connection in
            let rows = try await connection.query(
                try """
                INSERT INTO \(unescaped: schema.table("runs"))
                    (id, pipeline, status, input, output, error, created_at, updated_at, finished_at)
                VALUES (\(run.id.rawValue), \(run.pipeline), \(run.status.rawValue), \(run.input), \(run.output),
                    \(run.error), \(run.createdAt.timeIntervalSince1970), \(run.updatedAt.timeIntervalSince1970),
                    \(run.finishedAt?.timeIntervalSince1970))
                ON CONFLICT (id) DO NOTHING RETURNING id
                """, logger: logger)
            for try await _ in rows { return }
            throw PipelineError.runExists("run \(run.id) exists already")
        }
    }

    /// The run with that id, if any.
    public func run(_ id: RunID) async throws -> RunRecord? {
        try await access("reading run \(id)") {
            let rows = try await client.query("\(unescaped: selectRun) WHERE id = \(id.rawValue)", logger: logger)
            for try await row in rows { return try Self.runRecord(row.makeRandomAccess()) }
            return nil
        }
    }

    /// All runs, newest first.
    public func runs() async throws -> [RunRecord] {
        try await access("listing runs") {
            let rows = try await client.query("\(unescaped: selectRun) ORDER BY created_at DESC", logger: logger)
            var found: [RunRecord] = []
            for try await row in rows { found.append(try Self.runRecord(row.makeRandomAccess())) }
            return found
        }
    }

    /// The stage records of a run, by index.
    public func stages(of run: RunID) async throws -> [StageRecord] {
        try await access("reading the stages of run \(run)") {
            let rows = try await client.query(
                """
                SELECT idx, stage_id, version, input_hash, status, output, attempts, duration, error, finished_at
                FROM \(unescaped: schema.table("stages")) WHERE run_id = \(run.rawValue) ORDER BY idx
                """, logger: logger)
            var found: [StageRecord] = []
            for try await row in rows {
                let cells = row.makeRandomAccess()
                let status = try cells[4].decode(String.self)
                guard let stageStatus = StageStatus(rawValue: status) else {
                    throw PipelineError.checkpointCorrupt("unknown stage status \(status)")
                }
                found.append(
                    StageRecord(
                        runID: run,
                        index: try cells[0].decode(Int.self),
                        stageID: StageID(try cells[1].decode(String.self)),
                        version: try cells[2].decode(Int.self),
                        inputHash: try cells[3].decode(String.self),
                        status: stageStatus,
                        output: try cells[5].decode(Data?.self),
                        attempts: try cells[6].decode(Int.self),
                        duration: try cells[7].decode(Double.self),
                        error: try cells[8].decode(String?.self),
                        finishedAt: Date(timeIntervalSince1970: try cells[9].decode(Double.self))
                    ))
            }
            return found
        }
    }

    /// The committed children of a fan-out stage, by child index.
    public func children(of run: RunID, stageIndex: Int) async throws -> [ChildRecord] {
        try await access("reading the children of run \(run)") {
            let rows = try await client.query(
                """
                SELECT child_idx, input_hash, output, attempts, duration, finished_at
                FROM \(unescaped: schema.table("children"))
                WHERE run_id = \(run.rawValue) AND stage_idx = \(stageIndex) ORDER BY child_idx
                """, logger: logger)
            var found: [ChildRecord] = []
            for try await row in rows {
                let cells = row.makeRandomAccess()
                found.append(
                    ChildRecord(
                        runID: run, stageIndex: stageIndex,
                        childIndex: try cells[0].decode(Int.self),
                        inputHash: try cells[1].decode(String.self),
                        output: try cells[2].decode(Data.self),
                        attempts: try cells[3].decode(Int.self),
                        duration: try cells[4].decode(Double.self),
                        finishedAt: Date(timeIntervalSince1970: try cells[5].decode(Double.self))
                    ))
            }
            return found
        }
    }

    /// The cache entries present for the given keys.
    public func cacheEntries(forKeys keys: [String]) async throws -> [String: CacheEntry] {
        guard !keys.isEmpty else { return [:] }
        return try await access("reading cache entries") {
            // One array parameter, however many keys: no bound-parameter limit to chunk around.
            let rows = try await client.query(
                """
                SELECT key, stage_id, version, output, created_at FROM \(unescaped: schema.table("cache"))
                WHERE key = ANY(\(keys)::text[])
                """, logger: logger)
            var found: [String: CacheEntry] = [:]
            for try await row in rows {
                let cells = row.makeRandomAccess()
                let entry = CacheEntry(
                    key: try cells[0].decode(String.self),
                    stageID: StageID(try cells[1].decode(String.self)),
                    version: try cells[2].decode(Int.self),
                    output: try cells[3].decode(Data.self),
                    createdAt: Date(timeIntervalSince1970: try cells[4].decode(Double.self))
                )
                found[entry.key] = entry
            }
            return found
        }
    }

    /// Writes a batch in one transaction (after the fence check, for a fenced store).
    public func commit(_ batch: CheckpointBatch) async throws {
        guard !batch.isEmpty else { return }
        try await write("committing a checkpoint") { connection in
            if let run = batch.run {
                try await connection.query(
                    try """
                    INSERT INTO \(unescaped: schema.table("runs"))
                        (id, pipeline, status, input, output, error, created_at, updated_at, finished_at)
                    VALUES (\(run.id.rawValue), \(run.pipeline), \(run.status.rawValue), \(run.input), \(run.output),
                        \(run.error), \(run.createdAt.timeIntervalSince1970), \(run.updatedAt.timeIntervalSince1970),
                        \(run.finishedAt?.timeIntervalSince1970))
                    ON CONFLICT (id) DO UPDATE SET
                        pipeline = excluded.pipeline, status = excluded.status, input = excluded.input,
                        output = excluded.output, error = excluded.error, updated_at = excluded.updated_at,
                        finished_at = excluded.finished_at
                    """, logger: logger)
            }
            for stage in batch.stages {
                try await connection.query(
                    try """
                    INSERT INTO \(unescaped: schema.table("stages"))
                        (run_id, idx, stage_id, version, input_hash, status, output, attempts, duration, error,
                         finished_at)
                    VALUES (\(stage.runID.rawValue), \(stage.index), \(stage.stageID.rawValue), \(stage.version),
                        \(stage.inputHash), \(stage.status.rawValue), \(stage.output), \(stage.attempts),
                        \(stage.duration), \(stage.error), \(stage.finishedAt.timeIntervalSince1970))
                    ON CONFLICT (run_id, idx) DO UPDATE SET
                        stage_id = excluded.stage_id, version = excluded.version, input_hash = excluded.input_hash,
                        status = excluded.status, output = excluded.output, attempts = excluded.attempts,
                        duration = excluded.duration, error = excluded.error, finished_at = excluded.finished_at
                    """, logger: logger)
            }
            for child in batch.children {
                try await connection.query(
                    try """
                    INSERT INTO \(unescaped: schema.table("children"))
                        (run_id, stage_idx, child_idx, input_hash, output, attempts, duration, finished_at)
                    VALUES (\(child.runID.rawValue), \(child.stageIndex), \(child.childIndex), \(child.inputHash),
                        \(child.output), \(child.attempts), \(child.duration),
                        \(child.finishedAt.timeIntervalSince1970))
                    ON CONFLICT (run_id, stage_idx, child_idx) DO UPDATE SET
                        input_hash = excluded.input_hash, output = excluded.output, attempts = excluded.attempts,
                        duration = excluded.duration, finished_at = excluded.finished_at
                    """, logger: logger)
            }
            for entry in batch.cacheEntries {
                try await connection.query(
                    try """
                    INSERT INTO \(unescaped: schema.table("cache")) (key, stage_id, version, output, created_at)
                    VALUES (\(entry.key), \(entry.stageID.rawValue), \(entry.version), \(entry.output),
                        \(entry.createdAt.timeIntervalSince1970))
                    ON CONFLICT (key) DO UPDATE SET
                        stage_id = excluded.stage_id, version = excluded.version, output = excluded.output,
                        created_at = excluded.created_at
                    """, logger: logger)
            }
        }
    }

    private var selectRun: String {
        "SELECT id, pipeline, status, input, output, error, created_at, updated_at, finished_at FROM "
            + schema.table("runs")
    }

    private static func runRecord(_ cells: PostgresRandomAccessRow) throws -> RunRecord {
        let status = try cells[2].decode(String.self)
        guard let runStatus = RunStatus(rawValue: status) else {
            throw PipelineError.checkpointCorrupt("unknown run status \(status)")
        }
        for index in [6, 7] {
            guard try cells[index].decode(Double.self).isFinite else {
                throw PipelineError.checkpointCorrupt("run has a time that is not a number")
            }
        }
        return RunRecord(
            id: RunID(try cells[0].decode(String.self)),
            pipeline: try cells[1].decode(String.self),
            status: runStatus,
            input: try cells[3].decode(Data.self),
            output: try cells[4].decode(Data?.self),
            error: try cells[5].decode(String?.self),
            createdAt: Date(timeIntervalSince1970: try cells[6].decode(Double.self)),
            updatedAt: Date(timeIntervalSince1970: try cells[7].decode(Double.self)),
            finishedAt: try cells[8].decode(Double?.self).map { Date(timeIntervalSince1970: $0) }
        )
    }

    /// One transaction: the fence check (locking the job's row until the commit), then `body`.
    private func write(
        _ operation: String, _ body: (PostgresConnection) async throws -> Void
    ) async throws {
        try await access(operation) {
            try await client.withConnection { connection in
                try await PostgresAccess.transaction(on: connection, logger: logger) { connection in
                    if let fence {
                        let rows = try await connection.query(
                            """
                            SELECT id FROM \(unescaped: schema.table("jobs"))
                            WHERE id = \(fence.jobID.rawValue) AND attempt = \(fence.attempt) AND state = 'running'
                            FOR SHARE
                            """, logger: logger)
                        var holds = false
                        for try await _ in rows { holds = true }
                        guard holds else { throw JobQueueError.staleToken(fence) }
                    }
                    try await body(connection)
                }
            }
        }
    }

    /// Maps database failures to ``PipelineError/storeFailure(_:underlying:)``; PipelineKit's and the queue's own
    /// errors (a stale token) pass through.
    private func access<T: Sendable>(_ operation: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PipelineError {
            throw error
        } catch let error as JobQueueError {
            throw error
        } catch let error as CancellationError {
            throw error
        } catch let error as PostgresDecodingError {
            throw PipelineError.checkpointCorrupt(
                "PostgreSQL checkpoint store (schema \(schema.name)): \(operation): a stored record could not be read "
                    + "(\(error.code) in column \(error.columnName))")
        } catch {
            throw PipelineError.storeFailure(
                "PostgreSQL checkpoint store (schema \(schema.name)): \(operation) failed: "
                    + PostgresAccess.describe(error),
                underlying: error)
        }
    }
}
