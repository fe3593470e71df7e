import Foundation
public import Logging

/// What a stage gets besides its input: where it runs, how to report, where to put big outputs.
public struct StageContext: Sendable {
    /// The run this stage belongs to.
    public let runID: RunID
    /// The stage's identifier.
    public let stageID: StageID
    /// The stage's position in the pipeline, from 0.
    public let stageIndex: Int
    /// For a fan-out child, its position in the input array; `nil` otherwise.
    public let childIndex: Int?
    /// The attempt number, from 1.
    public let attempt: Int
    /// A logger carrying `pipeline.run_id`, `stage.id` and `stage.attempt` metadata.
    public let logger: Logger
    /// Where to put big outputs (audio, images, video); keep only the returned ``ArtifactRef`` in the output.
    public let artifacts: any ArtifactStore
    /// The clock the runner uses for timeouts and retry delays; use it for any waiting of your own.
    public let clock: any Clock<Duration>
    /// The stage's free parameters from the pipeline configuration (part of the cache key).
    public let configuration: StageParameters
    private let progressSink: @Sendable (Double, String?) -> Void

    /// Creates a context; the runner does this, tests of a single stage may too.
    public init(
        runID: RunID,
        stageID: StageID,
        stageIndex: Int = 0,
        childIndex: Int? = nil,
        attempt: Int = 1,
        logger: Logger,
        artifacts: any ArtifactStore,
        clock: any Clock<Duration> = ContinuousClock(),
        configuration: StageParameters = StageParameters(),
        progress: @escaping @Sendable (_ fraction: Double, _ detail: String?) -> Void = { _, _ in }
    ) {
        self.runID = runID
        self.stageID = stageID
        self.stageIndex = stageIndex
        self.childIndex = childIndex
        self.attempt = attempt
        self.logger = logger
        self.artifacts = artifacts
        self.clock = clock
        self.configuration = configuration
        self.progressSink = progress
    }

    /// Reports how far the stage has come; `fraction` is clamped to 0...1 and becomes a `progress` event.
    public func reportProgress(fraction: Double, detail: String? = nil) {
        progressSink(min(max(fraction, 0), 1), detail)
    }

    /// Whether the run has been cancelled; long loops should stop soon after this turns `true`.
    public var isCancelled: Bool { Task.isCancelled }

    /// Throws `CancellationError` if the run has been cancelled.
    public func checkCancellation() throws {
        try Task.checkCancellation()
    }

    /// Waits on the run's clock; throws `CancellationError` if the run is cancelled meanwhile.
    public func sleep(for duration: Duration) async throws {
        try await clock.sleep(for: duration)
    }

    /// A copy for another attempt or child.
    func with(attempt: Int? = nil, childIndex: Int? = nil, logger: Logger? = nil) -> StageContext {
        StageContext(
            runID: runID,
            stageID: stageID,
            stageIndex: stageIndex,
            childIndex: childIndex ?? self.childIndex,
            attempt: attempt ?? self.attempt,
            logger: logger ?? self.logger,
            artifacts: artifacts,
            clock: clock,
            configuration: configuration,
            progress: progressSink
        )
    }
}
