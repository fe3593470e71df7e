import Foundation
public import Logging

/// Runs pipelines durably: each stage's output is committed to a ``CheckpointStore`` before the next stage starts,
/// so a crashed or cancelled run resumes where it stopped with ``resume(_:runID:)``.
///
/// ```swift
/// let runner = PipelineRunner(
///     store: try SQLiteCheckpointStore(path: runDirectory.appendingPathComponent("checkpoints.sqlite").path),
///     artifacts: try FileSystemArtifactStore(root: runDirectory.appendingPathComponent("artifacts"))
/// )
/// let video = try await runner.run(pipeline, input: idea, runID: "job-42")
/// // after a crash:
/// let same = try await runner.resume(pipeline, runID: "job-42")
/// ```
public struct PipelineRunner: Sendable {
    /// How the runner behaves; every field has a default.
    public struct Configuration: Sendable {
        /// How durably outputs are committed (the pipeline configuration may override it).
        public var durability: Durability
        /// The logger; the runner adds `pipeline.run_id`, `pipeline.name`, `stage.id` and `stage.attempt` metadata.
        public var logger: Logger
        /// The clock for timeouts and retry delays (a test clock in tests).
        public var clock: any Clock<Duration>
        /// Per-stage settings from a configuration file.
        public var pipeline: PipelineConfiguration
        /// Sinks that receive every event synchronously.
        public var eventSinks: [any PipelineEventSink]

        /// Creates a configuration.
        public init(
            durability: Durability = .sync,
            logger: Logger = Logger(label: "storyforge.pipeline"),
            clock: any Clock<Duration> = ContinuousClock(),
            pipeline: PipelineConfiguration = PipelineConfiguration(),
            eventSinks: [any PipelineEventSink] = []
        ) {
            self.durability = durability
            self.logger = logger
            self.clock = clock
            self.pipeline = pipeline
            self.eventSinks = eventSinks
        }
    }

    /// Where checkpoints go.
    public let store: any CheckpointStore
    /// Where stages put big outputs.
    public let artifacts: any ArtifactStore
    /// The runner's configuration.
    public let configuration: Configuration
    private let hub: EventHub

    /// Creates a runner.
    public init(
        store: any CheckpointStore, artifacts: any ArtifactStore, configuration: Configuration = Configuration()
    ) {
        self.store = store
        self.artifacts = artifacts
        self.configuration = configuration
        self.hub = EventHub(sinks: configuration.eventSinks)
    }

    /// A stream of the events of every run of this runner from now on; it ends when the consumer stops iterating.
    public func events() -> AsyncStream<PipelineEvent> {
        hub.subscribe()
    }

    /// Starts a new run and returns its output.
    ///
    /// - Parameter runID: the run's identifier; pass your own to be able to resume it later.
    /// - Throws: ``PipelineError`` (`stageFailed` with the stage's error underneath, `invalidConfiguration`, …), or
    ///   `CancellationError` when the calling task is cancelled; in every case the store stays consistent.
    public func run<Input, Output>(
        _ pipeline: Pipeline<Input, Output>,
        input: Input,
        runID: RunID = RunID()
    ) async throws -> Output {
        try configuration.pipeline.validate(for: pipeline.stages)
        let now = Date()
        let record = RunRecord(
            id: runID,
            pipeline: pipeline.name,
            status: .running,
            input: try CanonicalJSON.encode(input),
            createdAt: now,
            updatedAt: now
        )
        try await store.createRun(record)
        let output = try await execution(for: pipeline, record: record, resumed: false).run(
            input: input, committed: [:])
        return try cast(output, to: Output.self, stage: pipeline.stages.last?.id ?? "pipeline")
    }

    /// Continues an interrupted, failed or cancelled run from its last committed stage.
    ///
    /// Only the stage that was interrupted runs again (for a fan-out, only its unfinished children); a run that
    /// succeeded already returns its stored output without running anything.
    public func resume<Input, Output>(_ pipeline: Pipeline<Input, Output>, runID: RunID) async throws -> Output {
        try configuration.pipeline.validate(for: pipeline.stages)
        guard var record = try await store.run(runID) else {
            throw PipelineError.runNotFound("no run \(runID) in the checkpoint store")
        }
        guard record.pipeline == pipeline.name else {
            throw PipelineError.pipelineMismatch(
                "run \(runID) belongs to pipeline \"\(record.pipeline)\", not \"\(pipeline.name)\""
            )
        }
        if record.status == .succeeded, let output = record.output {
            return try CanonicalJSON.decode(Output.self, from: output)
        }
        let input = try CanonicalJSON.decode(Input.self, from: record.input)
        let committed = Dictionary(
            try await store.stages(of: runID).map { ($0.index, $0) },
            uniquingKeysWith: { _, last in last }
        )
        record.status = .running
        record.error = nil
        record.finishedAt = nil
        record.updatedAt = Date()
        try await store.commit(CheckpointBatch(run: record))
        let output = try await execution(for: pipeline, record: record, resumed: true)
            .run(input: input, committed: committed)
        return try cast(output, to: Output.self, stage: pipeline.stages.last?.id ?? "pipeline")
    }

    /// A dry run: which stages would be reused and which would run, without running any.
    ///
    /// Only stages whose input is known can be looked up: once a stage must run, the stages after it are reported
    /// as ``PipelinePlan/Action/runsAfterUpstream``.
    public func plan<Input, Output>(_ pipeline: Pipeline<Input, Output>, input: Input) async throws -> PipelinePlan {
        try configuration.pipeline.validate(for: pipeline.stages)
        return try await execution(for: pipeline, record: nil, resumed: false).plan(input: input)
    }

    private func execution<Input, Output>(
        for pipeline: Pipeline<Input, Output>,
        record: RunRecord?,
        resumed: Bool
    ) -> RunExecution {
        RunExecution(
            pipelineName: pipeline.name,
            stages: pipeline.stages,
            record: record,
            resumed: resumed,
            store: store,
            artifacts: artifacts,
            configuration: configuration,
            hub: hub
        )
    }
}
