import ArgumentParser
import Foundation
import Logging
import PipelineKit
import QueueKit
import ServiceLifecycle

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A worker process for the queue's real-process tests: claims `probe` jobs from a SQLite queue and runs, for each, a
/// four-stage checkpointed pipeline on the job's fenced checkpoint store (three stages write artifacts, the last
/// exports a file under `<store>/exports/job-<id>/`), resuming the job's run when an earlier attempt left one. Every
/// stage body appends `stage <id> job <job> pid <pid>` to the execution log when it starts; the worker's log goes to
/// stderr. It runs until SIGTERM (graceful shutdown) or SIGKILL.
@main
struct QueueProbeWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue-probe-worker",
        abstract: "Run probe jobs from a SQLite job queue (for the queue's chaos and fencing tests)."
    )

    @Option(help: "The SQLite queue file.")
    var queue: String

    @Option(help: "The store directory: artifacts/ and exports/.")
    var store: String

    @Option(help: "The execution log: one line per stage body started.")
    var executionLog: String

    @Option(help: "Jobs run at once.")
    var concurrency: Int = 2

    @Option(help: "The lease, in milliseconds.")
    var leaseMs: Int = 2_000

    @Option(help: "The heartbeat interval, in milliseconds (0: a third of the lease).")
    var heartbeatMs: Int = 0

    @Option(help: "The idle poll, in milliseconds.")
    var pollMs: Int = 100

    @Option(help: "Milliseconds each working stage takes.")
    var stageMs: Int = 50

    @Option(help: "Seconds running jobs may finish after SIGTERM before they are released.")
    var shutdownSeconds: Int = 5

    func validate() throws {
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be 1...64") }
        guard (10...600_000).contains(leaseMs) else { throw ValidationError("--lease-ms must be 10...600000") }
        guard (0...600_000).contains(heartbeatMs) else { throw ValidationError("--heartbeat-ms must be 0...600000") }
        guard (1...60_000).contains(pollMs) else { throw ValidationError("--poll-ms must be 1...60000") }
        guard (0...60_000).contains(stageMs) else { throw ValidationError("--stage-ms must be 0...60000") }
        guard (0...600).contains(shutdownSeconds) else { throw ValidationError("--shutdown-seconds must be 0...600") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "queue-probe-worker")
        logger.logLevel = .info
        let jobQueue = try SQLiteJobQueue(path: queue)
        let storeURL = URL(fileURLWithPath: store)
        let artifacts = try FileSystemArtifactStore(root: storeURL.appendingPathComponent("artifacts"))
        let log = try ExecutionLog(path: executionLog)
        let delay = Duration.milliseconds(stageMs)
        let pipeline = Pipeline("queue-probe") {
            Prepare(log: log)
            WorkOne(log: log, delay: delay)
            WorkTwo(log: log, delay: delay)
            Export(log: log, store: storeURL)
        }
        let worker = JobWorker(
            queue: jobQueue,
            configuration: .init(
                kinds: ["probe"], name: "probe-\(getpid())", concurrency: concurrency, lease: .milliseconds(leaseMs),
                heartbeatInterval: heartbeatMs > 0 ? .milliseconds(heartbeatMs) : nil, pollInterval: .milliseconds(pollMs), shutdownDeadline: .seconds(shutdownSeconds)),
            logger: logger
        ) { context in
            let runner = PipelineRunner(
                store: context.checkpoints, artifacts: artifacts, configuration: .init(logger: context.logger))
            let runID = RunID("job-\(context.job.id)")
            let output: [String]
            if try await context.checkpoints.run(runID) == nil {
                let request = try JSONDecoder().decode(ProbeRequest.self, from: context.job.payload)
                output = try await runner.run(
                    pipeline, input: ProbeInput(job: context.job.id.rawValue, n: request.n), runID: runID)
            } else {
                output = try await runner.resume(pipeline, runID: runID)
            }
            return try JSONEncoder().encode(output)
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: worker)], gracefulShutdownSignals: [.sigterm], cancellationSignals: [.sigint],
                logger: logger))
        try await group.run()
    }
}

/// A probe job's payload.
struct ProbeRequest: Codable, Sendable {
    let n: Int
}

/// The pipeline's input.
struct ProbeInput: Codable, Sendable {
    let job: Int64
    let n: Int
}

/// What the stages pass on: the job and the artifacts written so far.
struct ProbeStep: Codable, Sendable {
    let job: Int64
    let n: Int
    let artifacts: [ArtifactRef]
}

/// Input -> Step: writes the first artifact.
struct Prepare: PipelineStage {
    static let id: StageID = "prepare"
    static let version = 1
    let log: ExecutionLog

    func run(_ input: ProbeInput, context: StageContext) async throws -> ProbeStep {
        log.record("stage prepare job \(input.job) pid \(getpid())")
        let ref = try await context.artifacts.put(Data("job \(input.job) n \(input.n)".utf8), fileExtension: "txt")
        return ProbeStep(job: input.job, n: input.n, artifacts: [ref])
    }
}

/// Step -> Step: works a while, then writes an artifact.
struct WorkOne: PipelineStage {
    static let id: StageID = "work-1"
    static let version = 1
    let log: ExecutionLog
    let delay: Duration

    func run(_ input: ProbeStep, context: StageContext) async throws -> ProbeStep {
        try await work(Self.id, input, context: context, log: log, delay: delay)
    }
}

/// Step -> Step: the second working stage.
struct WorkTwo: PipelineStage {
    static let id: StageID = "work-2"
    static let version = 1
    let log: ExecutionLog
    let delay: Duration

    func run(_ input: ProbeStep, context: StageContext) async throws -> ProbeStep {
        try await work(Self.id, input, context: context, log: log, delay: delay)
    }
}

private func work(
    _ id: StageID, _ input: ProbeStep, context: StageContext, log: ExecutionLog, delay: Duration
) async throws -> ProbeStep {
    log.record("stage \(id) job \(input.job) pid \(getpid())")
    try await Task.sleep(for: delay)
    let ref = try await context.artifacts.put(
        Data("job \(input.job) \(id) \(input.n &* 31 &+ input.artifacts.count)".utf8), fileExtension: "txt")
    return ProbeStep(job: input.job, n: input.n, artifacts: input.artifacts + [ref])
}

/// Step -> [String]: exports a file listing the artifacts under `exports/job-<id>/` (write, then rename: a killed
/// export leaves no half file under the final name) and returns the exported paths, relative to the store.
struct Export: PipelineStage {
    static let id: StageID = "export"
    static let version = 1
    let log: ExecutionLog
    let store: URL

    func run(_ input: ProbeStep, context: StageContext) async throws -> [String] {
        log.record("stage export job \(input.job) pid \(getpid())")
        let relative = "exports/job-\(input.job)/result.txt"
        let target = store.appendingPathComponent(relative)
        try FileManager.default.createDirectory(
            at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        // The temporary file lies outside exports/, so a killed export leaves nothing there.
        let scratch = store.appendingPathComponent("work")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let temporary = scratch.appendingPathComponent("result-\(input.job)-\(getpid()).tmp")
        let text = input.artifacts.map(\.sha256).joined(separator: "\n") + "\n"
        try Data(text.utf8).write(to: temporary)
        guard rename(temporary.path, target.path) == 0 else {
            throw ValidationError("cannot rename \(temporary.path) to \(target.path): errno \(errno)")
        }
        return [relative]
    }
}

/// Appends lines with `O_APPEND` writes, each atomic, so concurrent processes never interleave.
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
