import Foundation
import GRDB
import PipelineKit
import Testing

/// The checkpoint store on a database another component opened, with a check inside each write transaction.
@Suite struct SQLiteCheckpointStoreGuardTests {
    private struct Refused: Error, Equatable {}

    @Test func aGuardThatThrowsAbortsTheWriteAndItsErrorReachesTheCallerUnchanged() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pool = try DatabasePool(path: directory.appendingPathComponent("shared.sqlite").path)
        try await pool.write { db in
            try db.execute(sql: "CREATE TABLE gate (open INTEGER NOT NULL); INSERT INTO gate VALUES (1)")
        }
        let plain = try SQLiteCheckpointStore(writer: pool)
        let guarded = plain.guarded { db in
            // Reads in the write's own transaction: the write and the check see the same state.
            guard try Bool.fetchOne(db, sql: "SELECT open FROM gate") == true else { throw Refused() }
        }
        let now = Date()
        try await guarded.createRun(
            RunRecord(id: "r", pipeline: "p", status: .running, input: Data("1".utf8), createdAt: now, updatedAt: now))
        try await pool.write { db in try db.execute(sql: "UPDATE gate SET open = 0") }
        let stage = StageRecord(
            runID: "r", index: 0, stageID: "s", version: 1, inputHash: "h", status: .committed, output: Data("2".utf8),
            attempts: 1, duration: 0, finishedAt: now)
        await #expect(throws: Refused()) { try await guarded.commit(CheckpointBatch(stages: [stage])) }
        #expect(try await guarded.stages(of: "r").isEmpty)
        // The unguarded store on the same file still writes; the other component's table is untouched.
        try await plain.commit(CheckpointBatch(stages: [stage]))
        #expect(try await guarded.stages(of: "r").count == 1)
        #expect(try await pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM gate") } == 1)
        #expect(try await plain.integrityCheck() == "ok")
    }
}
