import ArgumentParser
import Foundation
import PipelineKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Runs (or resumes) a multi-stage pipeline with a fan-out against a SQLite checkpoint store, so a test can kill it
/// at any instant and check that resuming finishes with the same output. Every stage body appends a line to the
/// execution log when it starts, which tells the test what ran in which process.
@main
struct CrashProbe: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline-crash-probe",
        abstract: "Run or resume a checkpointed demo pipeline (for crash tests)."
    )

    @Option(help: "The SQLite checkpoint database.")
    var database: String

    @Option(help: "The execution log: one line per stage or child body started.")
    var executionLog: String

    @Option(help: "The run id; the run is resumed if it exists.")
    var runID: String = "crash-probe"

    @Option(help: "How many fan-out children.")
    var children: Int = 200

    @Option(help: "Milliseconds each child works.")
    var childDelay: Int = 2

    @Option(help: "The most children in flight.")
    var maxConcurrency: Int = 4

    @Option(help: "Kill this process with SIGKILL in the middle of its Nth checkpoint write (0: never).")
    var killDuringCommit: Int = 0

    func run() async throws {
        let log = try ExecutionLog(path: executionLog)
        let sqlite = try SQLiteCheckpointStore(path: database)
        let store: any CheckpointStore =
            killDuringCommit > 0 ? KillingStore(inner: sqlite, killAt: killDuringCommit) : sqlite
        let artifacts = try FileSystemArtifactStore(
            root: URL(fileURLWithPath: database).deletingLastPathComponent().appendingPathComponent("artifacts")
        )
        let runner = PipelineRunner(store: store, artifacts: artifacts)
        let pipeline = Pipeline("crash-probe") {
            Seed(log: log)
            ForEach(Work(log: log, delay: .milliseconds(childDelay)), maxConcurrency: maxConcurrency)
            Digest(log: log)
            Publish(log: log)
        }
        let id = RunID(runID)
        let output =
            try await store.run(id) == nil
            ? try await runner.run(pipeline, input: children, runID: id)
            : try await runner.resume(pipeline, runID: id)
        let json = try JSONEncoder().encode(output)
        print(String(decoding: json, as: UTF8.self))
    }
}

/// Delegates to a real store, but makes its Nth commit a long transaction (the batch padded with throwaway cache
/// entries) and sends itself SIGKILL while SQLite is writing it: a kill inside a checkpoint write, every time.
final class KillingStore: CheckpointStore, @unchecked Sendable {
    // `@unchecked Sendable`: `commits` is only touched under `lock`.
    private let inner: any CheckpointStore
    private let killAt: Int
    private let lock = NSLock()
    private var commits = 0

    /// Cache keys of the padding; a test checks none of them survived the kill.
    static let paddingPrefix = "padding-"

    init(inner: any CheckpointStore, killAt: Int) {
        self.inner = inner
        self.killAt = killAt
    }

    func createRun(_ run: RunRecord) async throws { try await inner.createRun(run) }
    func run(_ id: RunID) async throws -> RunRecord? { try await inner.run(id) }
    func runs() async throws -> [RunRecord] { try await inner.runs() }
    func stages(of run: RunID) async throws -> [StageRecord] { try await inner.stages(of: run) }
    func children(of run: RunID, stageIndex: Int) async throws -> [ChildRecord] {
        try await inner.children(of: run, stageIndex: stageIndex)
    }
    func cacheEntries(forKeys keys: [String]) async throws -> [String: CacheEntry] {
        try await inner.cacheEntries(forKeys: keys)
    }

    func commit(_ batch: CheckpointBatch) async throws {
        let number = lock.withLock {
            commits += 1
            return commits
        }
        guard number == killAt else { return try await inner.commit(batch) }
        var padded = batch
        let filler = Data(repeating: 0x2A, count: 512)
        for index in 0..<200_000 {
            padded.cacheEntries.append(
                CacheEntry(
                    key: "\(Self.paddingPrefix)\(index)",
                    stageID: "padding",
                    version: 1,
                    output: filler,
                    createdAt: Date()
                )
            )
        }
        // 200,000 rows of 512 bytes take far longer than 30 ms to insert: the kill lands mid-transaction.
        let killer = Thread {
            Thread.sleep(forTimeInterval: 0.03)
            kill(getpid(), SIGKILL)
        }
        killer.start()
        try await inner.commit(padded)
        // Not reached unless the machine wrote 100 MB in 30 ms; then the kill lands right after.
        try await Task.sleep(for: .seconds(1))
    }
}

/// Appends lines with `O_APPEND` writes, each atomic, so concurrent children never interleave.
final class ExecutionLog: Sendable {
    private let descriptor: Int32

    init(path: String) throws {
        descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        guard descriptor >= 0 else { throw ValidationError("cannot open \(path)") }
    }

    func record(_ line: String) {
        let bytes = Array((line + "\n").utf8)
        _ = bytes.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count) }
    }
}

/// Int -> [Int]: the child inputs.
struct Seed: PipelineStage {
    static let id: StageID = "seed"
    static let version = 1
    let log: ExecutionLog

    func run(_ input: Int, context: StageContext) async throws -> [Int] {
        log.record("seed")
        try await Task.sleep(for: .milliseconds(20))
        return (0..<input).map { $0 * 7 + 3 }
    }
}

/// Int -> Chunk: stores a small artifact per child and returns its reference.
struct Work: PipelineStage {
    static let id: StageID = "work"
    static let version = 1
    let log: ExecutionLog
    let delay: Duration

    struct Chunk: Codable, Sendable {
        let value: Int
        let artifact: ArtifactRef
    }

    func run(_ input: Int, context: StageContext) async throws -> Chunk {
        log.record("work:\(context.childIndex ?? -1)")
        try await Task.sleep(for: delay)
        let artifact = try await context.artifacts.put(Data("chunk \(input)".utf8), fileExtension: "txt")
        return Chunk(value: input * input % 1_009, artifact: artifact)
    }
}

/// [Chunk] -> String: a digest of all the chunks.
struct Digest: PipelineStage {
    static let id: StageID = "digest"
    static let version = 1
    let log: ExecutionLog

    func run(_ input: [Work.Chunk], context: StageContext) async throws -> String {
        log.record("digest")
        try await Task.sleep(for: .milliseconds(20))
        let total = input.reduce(0) { $0 &* 31 &+ $1.value }
        return "\(input.count) chunks, digest \(total), first \(input.first?.artifact.sha256.prefix(12) ?? "-")"
    }
}

/// String -> String: the final output.
struct Publish: PipelineStage {
    static let id: StageID = "publish"
    static let version = 1
    let log: ExecutionLog

    func run(_ input: String, context: StageContext) async throws -> String {
        log.record("publish")
        return "published: \(input)"
    }
}
