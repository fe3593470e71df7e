import Foundation
import GRDB
import PipelineKit
import PipelineKitTesting
import Testing

@Suite struct SQLiteCheckpointStoreTests {
    private func record(_ id: RunID) -> RunRecord {
        RunRecord(
            id: id,
            pipeline: "p",
            status: .running,
            input: Data("1".utf8),
            createdAt: Date(timeIntervalSince1970: 1_000),
            updatedAt: Date(timeIntervalSince1970: 1_000)
        )
    }

    @Test func opensInWALModeWithTheCurrentSchema() async throws {
        let path = try temporaryDirectory().appendingPathComponent("c.sqlite").path
        _ = try SQLiteCheckpointStore(path: path)
        let queue = try DatabaseQueue(path: path)
        try await queue.read { db in
            #expect(try String.fetchOne(db, sql: "PRAGMA journal_mode") == "wal")
            let applied = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier")
            #expect(applied == SQLiteCheckpointStore.schemaVersions)
        }
    }

    @Test func recordsRoundTrip() async throws {
        let store = try SQLiteCheckpointStore(path: try temporaryDirectory().appendingPathComponent("c.sqlite").path)
        try await store.createRun(record("r"))
        await #expect(throws: PipelineError.self) { try await store.createRun(record("r")) }
        let stage = StageRecord(
            runID: "r", index: 0, stageID: "a", version: 3, inputHash: String(repeating: "f", count: 64),
            status: .committed, output: Data("[1,2]".utf8), attempts: 2, duration: 0.5, error: nil,
            finishedAt: Date(timeIntervalSince1970: 2_000)
        )
        let child = ChildRecord(
            runID: "r", stageIndex: 1, childIndex: 7, inputHash: "k", output: Data("9".utf8), attempts: 1,
            duration: 0.25, finishedAt: Date(timeIntervalSince1970: 3_000)
        )
        let entry = CacheEntry(
            key: "k", stageID: "a", version: 3, output: Data("x".utf8), createdAt: Date(timeIntervalSince1970: 4_000)
        )
        var finished = record("r")
        finished.status = .succeeded
        finished.output = Data("\"done\"".utf8)
        finished.finishedAt = Date(timeIntervalSince1970: 5_000)
        try await store.commit(
            CheckpointBatch(stages: [stage], children: [child], cacheEntries: [entry], run: finished))
        #expect(try await store.stages(of: "r") == [stage])
        #expect(try await store.children(of: "r", stageIndex: 1) == [child])
        #expect(try await store.cacheEntries(forKeys: ["k", "missing"]) == ["k": entry])
        #expect(try await store.run("r") == finished)
        #expect(try await store.runs().map(\.id) == ["r"])
        // Updating the run must not cascade-delete its stages.
        try await store.commit(CheckpointBatch(run: finished))
        #expect(try await store.stages(of: "r").count == 1)
    }

    @Test func manyCacheKeysAreLookedUpInChunks() async throws {
        let store = try SQLiteCheckpointStore(path: try temporaryDirectory().appendingPathComponent("c.sqlite").path)
        let entries = (0..<1_200).map {
            CacheEntry(key: "key\($0)", stageID: "s", version: 1, output: Data("\($0)".utf8), createdAt: Date())
        }
        try await store.commit(CheckpointBatch(cacheEntries: entries))
        let found = try await store.cacheEntries(forKeys: entries.map(\.key) + ["nope"])
        #expect(found.count == 1_200)
    }

    @Test func migratesAFileWrittenWithTheV1Schema() async throws {
        let path = try temporaryDirectory().appendingPathComponent("old.sqlite").path
        // Fixture: the v1 schema exactly as the first release created it, with one interrupted run.
        let old = try DatabaseQueue(path: path)
        try await old.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                    INSERT INTO grdb_migrations VALUES ('v1');
                    CREATE TABLE runs (
                        id TEXT PRIMARY KEY NOT NULL, pipeline TEXT NOT NULL, status TEXT NOT NULL,
                        input BLOB NOT NULL, error TEXT, created_at REAL NOT NULL, updated_at REAL NOT NULL,
                        finished_at REAL);
                    CREATE TABLE stages (
                        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, idx INTEGER NOT NULL,
                        stage_id TEXT NOT NULL, version INTEGER NOT NULL, input_hash TEXT NOT NULL,
                        status TEXT NOT NULL, output BLOB, attempts INTEGER NOT NULL, duration REAL NOT NULL,
                        error TEXT, finished_at REAL NOT NULL, PRIMARY KEY (run_id, idx)) WITHOUT ROWID;
                    CREATE TABLE children (
                        run_id TEXT NOT NULL REFERENCES runs(id) ON DELETE CASCADE, stage_idx INTEGER NOT NULL,
                        child_idx INTEGER NOT NULL, input_hash TEXT NOT NULL, output BLOB NOT NULL,
                        attempts INTEGER NOT NULL, duration REAL NOT NULL, finished_at REAL NOT NULL,
                        PRIMARY KEY (run_id, stage_idx, child_idx)) WITHOUT ROWID;
                    INSERT INTO runs VALUES ('old', 'p', 'running', X'31', NULL, 1000, 1000, NULL);
                    INSERT INTO stages VALUES ('old', 0, 'a', 1, 'h', 'committed', X'32', 1, 0.1, NULL, 1001);
                    """
            )
        }
        try old.close()

        let store = try SQLiteCheckpointStore(path: path)
        let run = try #require(try await store.run("old"))
        #expect(run.status == .running)
        #expect(run.output == nil)  // the v2 column, absent before
        #expect(try await store.stages(of: "old").map(\.output) == [Data("2".utf8)])
        try await store.commit(
            CheckpointBatch(cacheEntries: [
                CacheEntry(key: "k", stageID: "a", version: 1, output: Data(), createdAt: Date())
            ])
        )
        #expect(try await store.cacheEntries(forKeys: ["k"]).count == 1)
        #expect(try await store.integrityCheck() == "ok")
    }

    @Test func refusesAFileFromANewerVersion() async throws {
        let path = try temporaryDirectory().appendingPathComponent("new.sqlite").path
        _ = try SQLiteCheckpointStore(path: path)
        let queue = try DatabaseQueue(path: path)
        try await queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v99')") }
        try queue.close()
        let error = #expect(throws: PipelineError.self) { try SQLiteCheckpointStore(path: path) }
        #expect(error?.code == .storeFailure)
    }

    @Test func aPipelineRunsAndResumesOnARealFile() async throws {
        let log = ExecutionLog()
        let path = try temporaryDirectory().appendingPathComponent("c.sqlite").path
        let failing: Pipeline<String, Int> = Pipeline("sqlite") {
            Length(log: log)
            Explode(log: log)
            ForEach(Square(log: log, failing: [5]), maxConcurrency: 1)
            Sum(log: log)
        }
        let store = try SQLiteCheckpointStore(path: path)
        await #expect(throws: PipelineError.self) {
            try await makeRunner(store: store).run(failing, input: "abcdefgh", runID: "s")
        }
        // A second process would open the same file.
        let reopened = try SQLiteCheckpointStore(path: path)
        let healthy: Pipeline<String, Int> = Pipeline("sqlite") {
            Length(log: log)
            Explode(log: log)
            ForEach(Square(log: log), maxConcurrency: 3)
            Sum(log: log)
        }
        #expect(try await makeRunner(store: reopened).resume(healthy, runID: "s") == 140)
        #expect(log.count("length") == 1)
        #expect(log.count("square-0") == 1)
        #expect(try await reopened.integrityCheck() == "ok")
    }

    /// The rules every store keeps, also run against PostgresCheckpointStore (QueueKitPostgresTests).
    @Test(arguments: CheckpointStoreConformance.Check.allCases)
    func conformsToTheStoreContract(_ check: CheckpointStoreConformance.Check) async throws {
        let path = try temporaryDirectory().appendingPathComponent("c.sqlite").path
        try await CheckpointStoreConformance.run(check, on: try SQLiteCheckpointStore(path: path))
    }

    @Test(arguments: [SQLiteCheckpointStore.Configuration.Synchronous.normal, .full])
    func synchronousModeIsApplied(mode: SQLiteCheckpointStore.Configuration.Synchronous) async throws {
        let path = try temporaryDirectory().appendingPathComponent("c.sqlite").path
        let store = try SQLiteCheckpointStore(path: path, configuration: .init(synchronous: mode))
        try await store.createRun(record("x"))
        #expect(try await store.run("x") != nil)
    }
}
