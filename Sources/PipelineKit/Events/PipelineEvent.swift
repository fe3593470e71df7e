/// Something that happened in a run, as delivered by ``PipelineRunner/events()`` and to ``PipelineEventSink``s.
public enum PipelineEvent: Sendable, Hashable {
    /// Where a reused result came from.
    public enum ReuseSource: String, Sendable, Hashable {
        /// This run's own checkpoint (a resume).
        case checkpoint
        /// The cross-run cache.
        case cache
    }

    /// A run started, or resumed.
    case runStarted(runID: RunID, pipeline: String, resumed: Bool)
    /// A stage is about to run.
    case stageStarted(runID: RunID, stage: StageID, index: Int)
    /// A stage reported progress (fan-outs report each finished child).
    case progress(runID: RunID, stage: StageID, index: Int, fraction: Double, detail: String?)
    /// An attempt failed and another follows after `delay`.
    case retrying(runID: RunID, stage: StageID, index: Int, attempt: Int, delay: Duration, error: String)
    /// A stage's result was reused instead of running it.
    case cacheHit(runID: RunID, stage: StageID, index: Int, source: ReuseSource)
    /// A stage was disabled by configuration and its fallback output used.
    case stageSkipped(runID: RunID, stage: StageID, index: Int)
    /// A stage committed its output.
    case stageFinished(runID: RunID, stage: StageID, index: Int, duration: Duration, attempts: Int)
    /// A stage failed for good; `willContinue` when `continueOnError` lets the run go on.
    case stageFailed(runID: RunID, stage: StageID, index: Int, error: String, willContinue: Bool)
    /// A run ended.
    case runFinished(runID: RunID, status: RunStatus, duration: Duration)

    /// The run the event belongs to.
    public var runID: RunID {
        switch self {
        case .runStarted(let runID, _, _), .stageStarted(let runID, _, _), .progress(let runID, _, _, _, _),
            .retrying(let runID, _, _, _, _, _), .cacheHit(let runID, _, _, _), .stageSkipped(let runID, _, _),
            .stageFinished(let runID, _, _, _, _), .stageFailed(let runID, _, _, _, _), .runFinished(let runID, _, _):
            return runID
        }
    }
}

/// Receives events synchronously as they happen; keep `receive` fast (hand off to a queue for slow work).
public protocol PipelineEventSink: Sendable {
    /// Called once per event, from whichever task produced it.
    func receive(_ event: PipelineEvent)
}
