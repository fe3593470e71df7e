import Foundation
import Logging
import PipelineKit
import PipelineKitTesting

/// Counts how often each stage (or child) ran, and how many ran at once.
final class ExecutionLog: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]
    private var inFlight = 0
    private(set) var maxInFlight = 0

    func record(_ name: String) {
        lock.withLock { counts[name, default: 0] += 1 }
    }

    func count(_ name: String) -> Int { lock.withLock { counts[name] ?? 0 } }

    var total: Int { lock.withLock { counts.values.reduce(0, +) } }

    func enter() {
        lock.withLock {
            inFlight += 1
            maxInFlight = max(maxInFlight, inFlight)
        }
    }

    func leave() { lock.withLock { inFlight -= 1 } }

    var peak: Int { lock.withLock { maxInFlight } }
}

struct TestFailure: Error, Equatable {
    let message: String
}

struct PermanentFailure: NonRetryableError {}

/// String -> Int: the string's length.
struct Length: PipelineStage {
    static let id: StageID = "length"
    static let version = 1
    let log: ExecutionLog

    func run(_ input: String, context: StageContext) async throws -> Int {
        log.record("length")
        return input.count
    }
}

/// Int -> [Int]: 0..<n.
struct Explode: PipelineStage {
    static let id: StageID = "explode"
    static let version = 1
    let log: ExecutionLog

    func run(_ input: Int, context: StageContext) async throws -> [Int] {
        log.record("explode")
        return Array(0..<input)
    }
}

/// Int -> Int: squares, optionally after a sleep on the real clock; fails for the indices in `failing`.
struct Square: PipelineStage {
    static let id: StageID = "square"
    static let version = 1
    let log: ExecutionLog
    var delay: Duration = .zero
    var failing: Set<Int> = []

    func run(_ input: Int, context: StageContext) async throws -> Int {
        log.enter()
        defer { log.leave() }
        if delay > .zero { try await Task.sleep(for: delay) }
        if failing.contains(input) { throw TestFailure(message: "square \(input)") }
        log.record("square-\(input)")
        return input * input
    }
}

/// [Int] -> Int: the sum.
struct Sum: PipelineStage {
    static let id: StageID = "sum"
    static let version = 1
    let log: ExecutionLog

    func run(_ input: [Int], context: StageContext) async throws -> Int {
        log.record("sum")
        return input.reduce(0, +)
    }
}

/// Int -> String, whose output depends on the `prefix` parameter.
struct Describe: PipelineStage {
    static let id: StageID = "describe"
    static let version = 1
    let log: ExecutionLog

    func run(_ input: Int, context: StageContext) async throws -> String {
        log.record("describe")
        return (context.configuration.string("prefix") ?? "total") + "=\(input)"
    }
}

/// Int -> Int that fails its first `failures` attempts, then adds one.
struct Flaky: PipelineStage {
    static let id: StageID = "flaky"
    static let version = 1
    let log: ExecutionLog
    let failures: Int
    var permanent = false

    func run(_ input: Int, context: StageContext) async throws -> Int {
        log.record("flaky")
        if log.count("flaky") <= failures {
            if permanent { throw PermanentFailure() }
            throw TestFailure(message: "attempt \(context.attempt)")
        }
        return input + 1
    }
}

/// Int -> Int that sleeps on the context's clock for `duration`, then adds one.
struct Slow: PipelineStage {
    static let id: StageID = "slow"
    static let version = 1
    let log: ExecutionLog
    let duration: Duration

    func run(_ input: Int, context: StageContext) async throws -> Int {
        log.record("slow")
        try await context.sleep(for: duration)
        return input + 1
    }
}

/// Int -> Int: doubles, at version 1.
struct DoubleV1: PipelineStage {
    static let id: StageID = "double"
    static let version = 1
    let log: ExecutionLog

    func run(_ input: Int, context: StageContext) async throws -> Int {
        log.record("double")
        return input * 2
    }
}

/// The same stage at version 2 (same behaviour, bumped version).
struct DoubleV2: PipelineStage {
    static let id: StageID = "double"
    static let version = 2
    let log: ExecutionLog

    func run(_ input: Int, context: StageContext) async throws -> Int {
        log.record("double")
        return input * 2
    }
}

/// Int -> Int: adds one.
struct Increment: PipelineStage {
    static let id: StageID = "increment"
    static let version = 1
    let log: ExecutionLog

    func run(_ input: Int, context: StageContext) async throws -> Int {
        log.record("increment")
        return input + 1
    }
}

/// A fresh temporary directory, removed by the caller with `removeItem`.
func temporaryDirectory() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("pipelinekit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A runner over an in-memory store with a recording sink.
func makeRunner(
    store: any CheckpointStore = InMemoryCheckpointStore(),
    sink: RecordingEventSink = RecordingEventSink(),
    clock: any Clock<Duration> = ContinuousClock(),
    pipeline: PipelineConfiguration = PipelineConfiguration(),
    durability: Durability = .sync
) -> PipelineRunner {
    PipelineRunner(
        store: store,
        artifacts: InMemoryArtifactStore(),
        configuration: PipelineRunner.Configuration(
            durability: durability,
            logger: quietLogger,
            clock: clock,
            pipeline: pipeline,
            eventSinks: [sink]
        )
    )
}

/// A logger that drops everything, so test output stays readable.
let quietLogger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
