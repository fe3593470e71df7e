import Foundation
public import PipelineKit
import Synchronization

/// The behaviour every ``CheckpointStore`` must have, as checks a test suite runs against its own store, so the
/// SQLite store, the PostgreSQL one and a host's own are held to the same rules.
///
/// Give each check a fresh, empty store:
///
/// ```swift
/// @Test(arguments: CheckpointStoreConformance.Check.allCases)
/// func conforms(_ check: CheckpointStoreConformance.Check) async throws {
///     try await CheckpointStoreConformance.run(check, on: try makeEmptyStore())
/// }
/// ```
public enum CheckpointStoreConformance {
    /// One rule.
    public enum Check: String, CaseIterable, Sendable, CustomStringConvertible {
        /// Every record reads back equal to what was written; updating the run keeps its stages.
        case recordsRoundTrip
        /// Creating a run whose id exists throws ``PipelineError/Code/runExists``.
        case createRunTwiceFails
        /// A stage, child or cache entry committed again replaces the earlier one.
        case laterCommitsReplace
        /// 1 200 cache keys are looked up at once, missing ones left out.
        case manyCacheKeys
        /// A batch that fails part-way (a stage of a run that does not exist) writes nothing at all.
        case batchesAreAtomic
        /// Runs list newest first; unknown runs read as absent or empty.
        case runsNewestFirst
        /// A pipeline that fails in a fan-out child resumes from its committed stages and children.
        case pipelineResumes

        /// The check's name.
        public var description: String { rawValue }
    }

    /// A broken rule.
    public struct Failure: Error, CustomStringConvertible {
        /// Which check.
        public let check: Check
        /// What was wrong.
        public let message: String
        /// `check: message`.
        public var description: String { "\(check): \(message)" }
    }

    /// Runs `check` on `store`, which must be empty; throws ``Failure`` when the store breaks the rule.
    public static func run(_ check: Check, on store: any CheckpointStore) async throws {
        let expect = Expectation(check: check)
        switch check {
        case .recordsRoundTrip: try await recordsRoundTrip(store, expect)
        case .createRunTwiceFails: try await createRunTwiceFails(store, expect)
        case .laterCommitsReplace: try await laterCommitsReplace(store, expect)
        case .manyCacheKeys: try await manyCacheKeys(store, expect)
        case .batchesAreAtomic: try await batchesAreAtomic(store, expect)
        case .runsNewestFirst: try await runsNewestFirst(store, expect)
        case .pipelineResumes: try await pipelineResumes(store, expect)
        }
    }

    private struct Expectation {
        let check: Check

        func equal<T: Equatable>(_ actual: T, _ expected: T, _ what: String) throws {
            guard actual == expected else {
                throw Failure(check: check, message: "\(what): got \(actual), expected \(expected)")
            }
        }

        func fail(_ message: String) -> Failure { Failure(check: check, message: message) }
    }

    private static func record(_ id: RunID, createdAt: Double = 1_000) -> RunRecord {
        RunRecord(
            id: id, pipeline: "p", status: .running, input: Data("1".utf8),
            createdAt: Date(timeIntervalSince1970: createdAt), updatedAt: Date(timeIntervalSince1970: createdAt))
    }

    private static func stage(_ run: RunID, _ index: Int, output: String = "[1,2]") -> StageRecord {
        StageRecord(
            runID: run, index: index, stageID: "a", version: 3, inputHash: String(repeating: "f", count: 64),
            status: .committed, output: Data(output.utf8), attempts: 2, duration: 0.5, error: nil,
            // A time with a fraction finer than a microsecond: it must read back exactly.
            finishedAt: Date(timeIntervalSince1970: 2_000.123_456_789))
    }

    private static func recordsRoundTrip(_ store: any CheckpointStore, _ expect: Expectation) async throws {
        try await store.createRun(record("r"))
        let stage = stage("r", 0)
        let recovered = StageRecord(
            runID: "r", index: 1, stageID: "b", version: 1, inputHash: "h", status: .recovered, output: nil,
            attempts: 3, duration: 1.25, error: "the model said no", finishedAt: Date(timeIntervalSince1970: 2_001))
        let child = ChildRecord(
            runID: "r", stageIndex: 1, childIndex: 7, inputHash: "k", output: Data("9".utf8), attempts: 1,
            duration: 0.25, finishedAt: Date(timeIntervalSince1970: 3_000))
        let entry = CacheEntry(
            key: "k", stageID: "a", version: 3, output: Data([0, 255, 1]), createdAt: Date(timeIntervalSince1970: 4_000)
        )
        var finished = record("r")
        finished.status = .succeeded
        finished.output = Data("\"done\"".utf8)
        finished.error = nil
        finished.finishedAt = Date(timeIntervalSince1970: 5_000.5)
        try await store.commit(
            CheckpointBatch(stages: [stage, recovered], children: [child], cacheEntries: [entry], run: finished))
        try expect.equal(try await store.stages(of: "r"), [stage, recovered], "stages")
        try expect.equal(try await store.children(of: "r", stageIndex: 1), [child], "children")
        try expect.equal(try await store.children(of: "r", stageIndex: 0), [], "children of another stage")
        try expect.equal(try await store.cacheEntries(forKeys: ["k", "missing"]), ["k": entry], "cache entries")
        try expect.equal(try await store.run("r"), finished, "run")
        try expect.equal(try await store.runs().map(\.id), ["r"], "runs")
        // Updating the run must not delete its stages (a replace that cascades would).
        try await store.commit(CheckpointBatch(run: finished))
        try expect.equal(try await store.stages(of: "r").count, 2, "stages after the run was updated")
        try expect.equal(try await store.children(of: "r", stageIndex: 1).count, 1, "children after the update")
    }

    private static func createRunTwiceFails(_ store: any CheckpointStore, _ expect: Expectation) async throws {
        try await store.createRun(record("twice"))
        do {
            try await store.createRun(record("twice", createdAt: 9_999))
            throw expect.fail("a second createRun with the same id succeeded")
        } catch let error as PipelineError {
            try expect.equal(error.code, .runExists, "the error's code")
        }
        try expect.equal(try await store.run("twice")?.createdAt, Date(timeIntervalSince1970: 1_000), "first run kept")
    }

    private static func laterCommitsReplace(_ store: any CheckpointStore, _ expect: Expectation) async throws {
        try await store.createRun(record("r"))
        try await store.commit(
            CheckpointBatch(
                stages: [stage("r", 0, output: "1")],
                children: [
                    ChildRecord(
                        runID: "r", stageIndex: 0, childIndex: 0, inputHash: "a", output: Data("1".utf8), attempts: 1,
                        duration: 0, finishedAt: Date(timeIntervalSince1970: 1))
                ],
                cacheEntries: [
                    CacheEntry(
                        key: "k", stageID: "a", version: 1, output: Data("1".utf8),
                        createdAt: Date(timeIntervalSince1970: 1))
                ]))
        let newer = stage("r", 0, output: "2")
        let newerChild = ChildRecord(
            runID: "r", stageIndex: 0, childIndex: 0, inputHash: "b", output: Data("2".utf8), attempts: 2,
            duration: 1, finishedAt: Date(timeIntervalSince1970: 2))
        let newerEntry = CacheEntry(
            key: "k", stageID: "a", version: 2, output: Data("2".utf8), createdAt: Date(timeIntervalSince1970: 2))
        try await store.commit(CheckpointBatch(stages: [newer], children: [newerChild], cacheEntries: [newerEntry]))
        try expect.equal(try await store.stages(of: "r"), [newer], "the replaced stage")
        try expect.equal(try await store.children(of: "r", stageIndex: 0), [newerChild], "the replaced child")
        try expect.equal(try await store.cacheEntries(forKeys: ["k"]), ["k": newerEntry], "the replaced entry")
    }

    private static func manyCacheKeys(_ store: any CheckpointStore, _ expect: Expectation) async throws {
        let entries = (0..<1_200).map {
            CacheEntry(
                key: "key\($0)", stageID: "s", version: 1, output: Data("\($0)".utf8),
                createdAt: Date(timeIntervalSince1970: Double($0)))
        }
        try await store.commit(CheckpointBatch(cacheEntries: entries))
        let found = try await store.cacheEntries(forKeys: entries.map(\.key) + ["nope"])
        try expect.equal(found.count, 1_200, "entries found")
        try expect.equal(found["key777"], entries[777], "entry 777")
        try expect.equal(try await store.cacheEntries(forKeys: []), [:], "no keys")
    }

    private static func batchesAreAtomic(_ store: any CheckpointStore, _ expect: Expectation) async throws {
        try await store.createRun(record("r"))
        let entry = CacheEntry(key: "lost", stageID: "a", version: 1, output: Data(), createdAt: Date())
        var updated = record("r")
        updated.status = .failed
        do {
            // The stage's run does not exist: the batch must fail as a whole.
            try await store.commit(
                CheckpointBatch(stages: [stage("r", 0), stage("no-such-run", 0)], cacheEntries: [entry], run: updated))
            throw expect.fail("a batch with a stage of a missing run committed")
        } catch let failure as Failure {
            throw failure
        } catch {
            // Expected: the store's own error.
        }
        try expect.equal(try await store.cacheEntries(forKeys: ["lost"]), [:], "the failed batch's cache entry")
        try expect.equal(try await store.stages(of: "r"), [], "the failed batch's stage")
        try expect.equal(try await store.run("r")?.status, .running, "the failed batch's run update")
    }

    private static func runsNewestFirst(_ store: any CheckpointStore, _ expect: Expectation) async throws {
        try expect.equal(try await store.runs(), [], "runs of an empty store")
        try await store.createRun(record("old", createdAt: 1_000))
        try await store.createRun(record("new", createdAt: 3_000))
        try await store.createRun(record("mid", createdAt: 2_000))
        try expect.equal(try await store.runs().map(\.id), ["new", "mid", "old"], "runs")
        try expect.equal(try await store.run("nope"), nil, "an unknown run")
        try expect.equal(try await store.stages(of: "nope"), [], "stages of an unknown run")
        try expect.equal(try await store.children(of: "nope", stageIndex: 0), [], "children of an unknown run")
    }

    private static func pipelineResumes(_ store: any CheckpointStore, _ expect: Expectation) async throws {
        let log = Tally()
        let runner = PipelineRunner(store: store, artifacts: InMemoryArtifactStore())
        let failing: Pipeline<String, Int> = Pipeline("conformance") {
            CountLetters(tally: log)
            Indices(tally: log)
            ForEach(SquareOf(tally: log, failing: 5), maxConcurrency: 1)
            Total(tally: log)
        }
        do {
            _ = try await runner.run(failing, input: "abcdefgh", runID: "resumable")
            throw expect.fail("the run with a failing child succeeded")
        } catch let failure as Failure {
            throw failure
        } catch {
            // Expected: child 5 failed.
        }
        let healthy: Pipeline<String, Int> = Pipeline("conformance") {
            CountLetters(tally: log)
            Indices(tally: log)
            ForEach(SquareOf(tally: log, failing: nil), maxConcurrency: 3)
            Total(tally: log)
        }
        // 0² + 1² + … + 7² = 140.
        try expect.equal(try await runner.resume(healthy, runID: "resumable"), 140, "the resumed run's output")
        try expect.equal(log.count("count"), 1, "runs of the first stage")
        try expect.equal(log.count("square-0"), 1, "runs of a child committed before the failure")
        try expect.equal(try await store.run("resumable")?.status, .succeeded, "the run's status")
    }
}

/// How often each named step ran.
private final class Tally: Sendable {
    private let counts = Mutex<[String: Int]>([:])
    func record(_ name: String) { counts.withLock { $0[name, default: 0] += 1 } }
    func count(_ name: String) -> Int { counts.withLock { $0[name, default: 0] } }
}

private struct ConformanceFailure: Error {}

private struct CountLetters: PipelineStage {
    static let id: StageID = "count"
    static let version = 1
    let tally: Tally
    func run(_ input: String, context: StageContext) async throws -> Int {
        tally.record("count")
        return input.count
    }
}

private struct Indices: PipelineStage {
    static let id: StageID = "indices"
    static let version = 1
    let tally: Tally
    func run(_ input: Int, context: StageContext) async throws -> [Int] {
        tally.record("indices")
        return Array(0..<input)
    }
}

private struct SquareOf: PipelineStage {
    static let id: StageID = "square"
    static let version = 1
    let tally: Tally
    let failing: Int?
    func run(_ input: Int, context: StageContext) async throws -> Int {
        if input == failing { throw ConformanceFailure() }
        tally.record("square-\(input)")
        return input * input
    }
}

private struct Total: PipelineStage {
    static let id: StageID = "total"
    static let version = 1
    let tally: Tally
    func run(_ input: [Int], context: StageContext) async throws -> Int {
        tally.record("total")
        return input.reduce(0, +)
    }
}
