import Foundation
import Logging
import Metrics
import MetricsTestKit
import PipelineKit
import PipelineKitTesting
import Testing

/// The process-wide metrics backend of the tests; swift-metrics allows one bootstrap per process.
private let testMetrics: TestMetrics = {
    let metrics = TestMetrics()
    MetricsSystem.bootstrap(metrics)
    return metrics
}()

/// Keeps every log line with its metadata.
private final class RecordingLogHandler: LogHandler, @unchecked Sendable {
    struct Line {
        let level: Logger.Level
        let message: String
        let metadata: Logger.Metadata
    }

    final class Storage: @unchecked Sendable {
        let lock = NSLock()
        var lines: [Line] = []
    }

    let storage: Storage
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    init(storage: Storage) {
        self.storage = storage
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
        storage.lock.withLock {
            storage.lines.append(Line(level: event.level, message: "\(event.message)", metadata: merged))
        }
    }
}

/// A stage with an id no other test uses, so the global metrics stay attributable.
private struct MetricsProbe: PipelineStage {
    static let id: StageID = "metrics-probe"
    static let version = 1
    let log: ExecutionLog

    func run(_ input: Int, context: StageContext) async throws -> Int {
        log.record("probe")
        if log.count("probe") == 1 { throw TestFailure(message: "first attempt") }
        context.logger.info("probing")
        return input
    }
}

@Suite struct ObservabilityTests {
    @Test func logsCarryDottedMetadata() async throws {
        let storage = RecordingLogHandler.Storage()
        let logger = Logger(label: "test") { _ in RecordingLogHandler(storage: storage) }
        let log = ExecutionLog()
        let runner = PipelineRunner(
            store: InMemoryCheckpointStore(),
            artifacts: InMemoryArtifactStore(),
            configuration: .init(logger: logger)
        )
        let pipeline: Pipeline<Int, Int> = Pipeline("logged") {
            MetricsProbe(log: log).retry(.exponentialJitter(maxAttempts: 2, initialDelay: .zero))
        }
        _ = try await runner.run(pipeline, input: 1, runID: "logged-run")
        let lines = storage.lock.withLock { storage.lines }
        let probing = try #require(lines.first { $0.message == "probing" })
        #expect(probing.metadata["pipeline.run_id"] == "logged-run")
        #expect(probing.metadata["pipeline.name"] == "logged")
        #expect(probing.metadata["stage.id"] == "metrics-probe")
        #expect(probing.metadata["stage.attempt"] == "2")
        let retry = try #require(lines.first { $0.message.contains("retrying") })
        #expect(retry.level == .warning)
        #expect(retry.metadata["stage.id"] == "metrics-probe")
        #expect(lines.contains { $0.message == "run finished" && $0.metadata["pipeline.status"] == "succeeded" })
    }

    @Test func stageDurationsAndAttemptsAreMeasured() async throws {
        let metrics = testMetrics
        let log = ExecutionLog()
        let pipeline: Pipeline<Int, Int> = Pipeline("measured") {
            MetricsProbe(log: log).retry(.exponentialJitter(maxAttempts: 2, initialDelay: .zero))
        }
        _ = try await makeRunner().run(pipeline, input: 1)
        let timer = try metrics.expectTimer(
            "storyforge_stage_duration_seconds",
            [("stage", "metrics-probe"), ("outcome", "success")]
        )
        #expect(timer.values.count >= 1)
        let attempts = try metrics.expectCounter("storyforge_stage_attempts_total", [("stage", "metrics-probe")])
        #expect(attempts.totalValue >= 2)
        let retries = try metrics.expectCounter("storyforge_stage_retries_total", [("stage", "metrics-probe")])
        #expect(retries.totalValue >= 1)
    }
}
