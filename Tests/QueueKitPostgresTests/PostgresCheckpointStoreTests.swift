import Foundation
import PipelineKit
import PipelineKitTesting
import PostgresNIO
import QueueKit
import QueueKitPostgres
import Testing

@Suite(.enabled(if: PostgresTestDatabase.enabled, PostgresTestDatabase.skipMessage))
struct PostgresCheckpointStoreTests {
    /// The same rules SQLiteCheckpointStore is held to (PipelineKitTests' `conformsToTheStoreContract`).
    @Test(arguments: CheckpointStoreConformance.Check.allCases)
    func conformsToTheStoreContract(_ check: CheckpointStoreConformance.Check) async throws {
        try await PostgresTestDatabase.withQueue { queue in
            try await CheckpointStoreConformance.run(check, on: queue.checkpointStore())
        }
    }

    @Test func aStandaloneStoreMigratesItsOwnSchema() async throws {
        try await PostgresTestDatabase.withQueue { queue in
            let schema = PostgresTestDatabase.freshSchema()
            let store = try PostgresCheckpointStore(
                client: queue.client, schema: schema, logger: PostgresTestDatabase.quietLogger)
            #expect(try await store.migrate() == [1])
            try await CheckpointStoreConformance.run(.recordsRoundTrip, on: store)
            try await PostgresTestDatabase.drop(schema, on: queue.client)
        }
    }

    @Test func aStaleTokensWritesAreRefusedAndChangeNothing() async throws {
        try await PostgresTestDatabase.withQueue { queue in
            let id = try await queue.enqueue(NewJob(kind: "story", payload: Data())).job.id
            let old = try #require(try await queue.claim(kinds: ["story"], worker: "paused", lease: .milliseconds(200)))
            let oldStore = queue.checkpointStore(fencedBy: old.token)
            let run = RunRecord(
                id: RunID("run-\(id)"), pipeline: "p", status: .running, input: Data("{}".utf8),
                createdAt: Date(timeIntervalSince1970: 1), updatedAt: Date(timeIntervalSince1970: 1))
            try await oldStore.createRun(run)
            let stage0 = StageRecord(
                runID: run.id, index: 0, stageID: "a", version: 1, inputHash: "h0", status: .committed,
                output: Data("0".utf8), attempts: 1, duration: 0.1, finishedAt: Date(timeIntervalSince1970: 2))
            try await oldStore.commit(CheckpointBatch(stages: [stage0]))

            // The lease runs out; another worker takes the job over.
            try await Task.sleep(for: .milliseconds(400))
            let new = try #require(try await queue.claim(kinds: ["story"], worker: "new", lease: .seconds(30)))
            #expect(new.token.attempt == 2)

            let stage1 = StageRecord(
                runID: run.id, index: 1, stageID: "b", version: 1, inputHash: "h1", status: .committed,
                output: Data("late".utf8), attempts: 1, duration: 0.1, finishedAt: Date(timeIntervalSince1970: 3))
            let refused = await #expect(throws: JobQueueError.self) {
                try await oldStore.commit(CheckpointBatch(stages: [stage1]))
            }
            #expect(refused?.code == .staleToken)
            let refusedRun = await #expect(throws: JobQueueError.self) {
                var other = run
                other.id = "other"
                try await oldStore.createRun(other)
            }
            #expect(refusedRun?.code == .staleToken)
            let reader = queue.checkpointStore()
            #expect(try await reader.stages(of: run.id) == [stage0])
            #expect(try await reader.run("other") == nil)

            // The new owner continues from the last committed stage and commits.
            let newStore = queue.checkpointStore(fencedBy: new.token)
            var mine = stage1
            mine.output = Data("1".utf8)
            try await newStore.commit(CheckpointBatch(stages: [mine]))
            #expect(try await reader.stages(of: run.id) == [stage0, mine])
            // Once the job is complete, even its owner's token writes nothing more.
            try await queue.complete(new.token, result: nil)
            let afterCompletion = await #expect(throws: JobQueueError.self) {
                try await newStore.commit(CheckpointBatch(stages: [stage1]))
            }
            #expect(afterCompletion?.code == .staleToken)
        }
    }

    @Test func aFencedCommitHoldsOffATakeoverUntilItLands() async throws {
        // The fence check locks the job's row FOR SHARE until the commit: a claimer that arrives meanwhile skips the
        // row (SKIP LOCKED) instead of taking it from under the commit.
        try await PostgresTestDatabase.withQueue { queue in
            _ = try await queue.enqueue(NewJob(kind: "story", payload: Data())).job.id
            let owner = try #require(
                try await queue.claim(kinds: ["story"], worker: "owner", lease: .milliseconds(300)))
            let store = queue.checkpointStore(fencedBy: owner.token)
            let run = RunRecord(
                id: "locked", pipeline: "p", status: .running, input: Data(), createdAt: Date(), updatedAt: Date())
            try await store.createRun(run)
            try await queue.client.withConnection { connection in
                let logger = PostgresTestDatabase.quietLogger
                try await connection.query("BEGIN", logger: logger)
                try await connection.query(
                    PostgresQuery(
                        unsafeSQL: """
                            SELECT id FROM \(queue.configuration.schema).jobs WHERE id = \(owner.token.jobID.rawValue)
                            FOR SHARE
                            """), logger: logger)
                try await Task.sleep(for: .milliseconds(500))
                // The lease has expired, but the row is locked: the rescuer and the claim skip it.
                #expect(try await queue.claim(kinds: ["story"], worker: "thief", lease: .seconds(5)) == nil)
                try await connection.query("COMMIT", logger: logger)
            }
            let thief = try #require(try await queue.claim(kinds: ["story"], worker: "thief", lease: .seconds(5)))
            #expect(thief.token.attempt == 2)
        }
    }
}
