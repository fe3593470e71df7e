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

    func run() async throws {
        let log = try ExecutionLog(path: executionLog)
        let store = try SQLiteCheckpointStore(path: database)
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
