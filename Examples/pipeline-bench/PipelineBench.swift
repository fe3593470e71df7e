import ArgumentParser
import Foundation
import Logging
import PipelineKit

/// Measures the engine's own overhead: no-op stages against a real SQLite file, the resume of a long run, and a
/// wide fan-out. Prints one line per figure; build with `-c release`.
@main
struct PipelineBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline-bench",
        abstract: "Benchmark PipelineKit's per-stage overhead, resume time and fan-out throughput."
    )

    @Option(help: "Chain lengths for the per-stage overhead figure.")
    var stages: [Int] = [100, 1_000]

    @Option(help: "Committed stages before the resumed one.")
    var resumeStages: Int = 1_000

    @Option(help: "Children of the fan-out figure.")
    var children: Int = 10_000

    @Option(help: "Repetitions of each figure; the median is reported.")
    var repetitions: Int = 5

    @Option(help: "Where to put the SQLite files (default: a temporary directory).")
    var directory: String?

    func run() async throws {
        let root = URL(fileURLWithPath: directory ?? NSTemporaryDirectory())
            .appendingPathComponent("pipeline-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let bench = Bench(root: root, repetitions: repetitions)

        for length in stages {
            for (label, durability, sync, cache) in [
                ("sqlite sync (NORMAL)", Durability.sync, SQLiteCheckpointStore.Configuration.Synchronous.normal, true),
                ("sqlite sync (NORMAL), cache off", .sync, .normal, false),
                ("sqlite sync (FULL, power-loss safe)", .sync, .full, true),
                ("sqlite async", .async, .normal, true),
            ] {
                let (seconds, bytes) = try await bench.chain(
                    length: length, durability: durability, synchronous: sync, cache: cache)
                print(
                    String(
                        format: "per-stage  %@ %5d stages: %.4f ms/stage  (%.1f ms total, store %.0f bytes/stage)",
                        label.padding(toLength: 36, withPad: " ", startingAt: 0) as NSString, length,
                        seconds * 1_000 / Double(length), seconds * 1_000,
                        Double(bytes) / Double(length)
                    )
                )
            }
        }
        let resume = try await bench.resume(committed: resumeStages)
        print(String(format: "resume     %d committed stages: %.3f ms", resumeStages, resume * 1_000))
        let fanOut = try await bench.fanOut(children: children)
        print(
            String(
                format: "fan-out    %d children (maxConcurrency 8): %.1f ms, %.0f children/s",
                children, fanOut * 1_000, Double(children) / fanOut
            )
        )
    }
}

/// Int -> Int, doing nothing but adding one.
struct NoOp: PipelineStage {
    static let id: StageID = "noop"
    static let version = 1

    func run(_ input: Int, context: StageContext) async throws -> Int { input + 1 }
}

/// Int -> Int that fails until `gate.open` is set: ends a run after its committed stages.
struct Gate: PipelineStage {
    static let id: StageID = "gate"
    static let version = 1
    let gate: GateState

    func run(_ input: Int, context: StageContext) async throws -> Int {
        guard gate.isOpen else { throw CancellationError() }
        return input
    }
}

/// `@unchecked Sendable`: `open` is only touched under `lock`.
final class GateState: @unchecked Sendable {
    private let lock = NSLock()
    private var open = false
    var isOpen: Bool { lock.withLock { open } }
    func openGate() { lock.withLock { open = true } }
}

struct Bench {
    let root: URL
    let repetitions: Int
    private let logger = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }

    private func runner(
        _ store: any CheckpointStore,
        durability: Durability = .sync
    ) throws -> PipelineRunner {
        PipelineRunner(
            store: store,
            artifacts: try FileSystemArtifactStore(root: root.appendingPathComponent("artifacts")),
            configuration: .init(durability: durability, logger: logger)
        )
    }

    private func freshStore(synchronous: SQLiteCheckpointStore.Configuration.Synchronous = .normal) throws
        -> SQLiteCheckpointStore
    {
        try SQLiteCheckpointStore(
            path: root.appendingPathComponent("\(UUID().uuidString).sqlite").path,
            configuration: .init(synchronous: synchronous)
        )
    }

    private func median(_ values: [Double]) -> Double {
        values.sorted()[values.count / 2]
    }

    /// A chain of no-op stages on a fresh store; returns the median seconds and the store's size in bytes.
    func chain(
        length: Int,
        durability: Durability,
        synchronous: SQLiteCheckpointStore.Configuration.Synchronous,
        cache: Bool
    ) async throws -> (Double, Int) {
        let stage = cache ? AnyStage.plain : AnyStage.uncached
        var times: [Double] = []
        var bytes = 0
        for _ in 0..<repetitions {
            let path: String
            do {
                let store = try freshStore(synchronous: synchronous)
                path = store.path
                let runner = try runner(store, durability: durability)
                let pipeline = stage.pipeline(length: length)
                let clock = ContinuousClock()
                let start = clock.now
                _ = try await runner.run(pipeline, input: 0)
                times.append((clock.now - start).seconds)
            }
            // The store is closed here, which checkpoints the WAL into the database file: its size is the data's.
            bytes = fileSize(path)
        }
        return (median(times), bytes)
    }

    /// A run whose `committed` stages are committed and whose last stage failed; returns the median seconds to resume it.
    func resume(committed: Int) async throws -> Double {
        var times: [Double] = []
        for _ in 0..<repetitions {
            let store = try freshStore()
            let runner = try runner(store)
            let gate = GateState()
            let pipeline = Pipeline<Int, Int>("resume") {
                Pipeline("chain", chain: Array(repeating: NoOp(), count: committed))
                Gate(gate: gate)
            }
            _ = try? await runner.run(pipeline, input: 0, runID: "resume")
            gate.openGate()
            let clock = ContinuousClock()
            if ProcessInfo.processInfo.environment["BENCH_DETAIL"] != nil {
                let loadStart = clock.now
                _ = try await store.stages(of: "resume")
                print("  (loading \(committed) stage records: \(clock.now - loadStart))")
            }
            let start = clock.now
            _ = try await runner.resume(pipeline, runID: "resume")
            times.append((clock.now - start).seconds)
        }
        return median(times)
    }

    /// One fan-out of trivial children; returns the median seconds.
    func fanOut(children: Int) async throws -> Double {
        var times: [Double] = []
        for _ in 0..<repetitions {
            let store = try freshStore()
            let runner = try runner(store)
            let pipeline = Pipeline<[Int], [Int]>("fan") { ForEach(NoOp(), maxConcurrency: 8) }
            let clock = ContinuousClock()
            let start = clock.now
            _ = try await runner.run(pipeline, input: Array(0..<children))
            times.append((clock.now - start).seconds)
        }
        return median(times)
    }

    private func fileSize(_ path: String) -> Int {
        ["", "-wal"].reduce(0) { total, suffix in
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + suffix)
            return total + ((attributes?[.size] as? NSNumber)?.intValue ?? 0)
        }
    }
}

enum AnyStage {
    case plain, uncached

    func pipeline(length: Int) -> Pipeline<Int, Int> {
        switch self {
        case .plain: return Pipeline("chain", chain: Array(repeating: NoOp(), count: length))
        case .uncached: return Pipeline("chain", chain: Array(repeating: NoOp().cache(.none), count: length))
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}
