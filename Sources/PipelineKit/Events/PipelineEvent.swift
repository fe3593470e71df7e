/// Something that happened in a run, as delivered by ``PipelineRunner/events()`` and to ``PipelineEventSink``s.
///
/// An event is a ``kind`` and the fields that kind carries; the static factories (``stageStarted(runID:stage:index:)``
/// and the others) say which. New kinds may be added, so a host that switches over ``kind`` keeps a `default`
/// and stays source-compatible when one is:
///
/// ```swift
/// for await event in runner.events() {
///     switch event.kind {
///     case .stageStarted: print("→", event.stage!)
///     case .stageFinished: print("✓", event.stage!, event.duration!)
///     default: break
///     }
/// }
/// ```
public struct PipelineEvent: Sendable, Hashable, CustomStringConvertible {
    /// Where a reused result came from.
    public enum ReuseSource: String, Sendable, Hashable {
        /// This run's own checkpoint (a resume).
        case checkpoint
        /// The cross-run cache.
        case cache
    }

    /// What kind of event this is. New kinds may be added.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case runStarted, stageStarted, progress, retrying, cacheHit, stageSkipped, stageFinished, stageFailed
            case runFinished
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A run started, or resumed: ``PipelineEvent/pipeline`` and ``PipelineEvent/resumed`` are set.
        public static let runStarted = Kind(.runStarted)
        /// A stage is about to run.
        public static let stageStarted = Kind(.stageStarted)
        /// A stage reported progress: ``PipelineEvent/fraction`` and maybe ``PipelineEvent/detail``.
        public static let progress = Kind(.progress)
        /// An attempt failed and another follows: ``PipelineEvent/attempt``, ``PipelineEvent/delay``,
        /// ``PipelineEvent/error``.
        public static let retrying = Kind(.retrying)
        /// A stage's result was reused instead of running it: ``PipelineEvent/source``.
        public static let cacheHit = Kind(.cacheHit)
        /// A stage was disabled by configuration and its fallback output used.
        public static let stageSkipped = Kind(.stageSkipped)
        /// A stage committed its output: ``PipelineEvent/duration`` and ``PipelineEvent/attempts``.
        public static let stageFinished = Kind(.stageFinished)
        /// A stage failed for good: ``PipelineEvent/error`` and ``PipelineEvent/willContinue``.
        public static let stageFailed = Kind(.stageFailed)
        /// A run ended: ``PipelineEvent/status`` and ``PipelineEvent/duration``.
        public static let runFinished = Kind(.runFinished)

        /// The kind's name, e.g. `stageStarted`.
        public var description: String { base.rawValue }
    }

    /// What kind of event this is.
    public let kind: Kind
    /// The run the event belongs to.
    public let runID: RunID
    /// The stage concerned; `nil` for run events.
    public let stage: StageID?
    /// The stage's position in the pipeline; `nil` for run events.
    public let index: Int?
    /// The pipeline's name (``Kind/runStarted``).
    public let pipeline: String?
    /// Whether the run resumed an earlier one (``Kind/runStarted``); `false` for other kinds.
    public let resumed: Bool
    /// How far the stage has got, 0…1 (``Kind/progress``).
    public let fraction: Double?
    /// What the stage is doing, in words (``Kind/progress``), when it said.
    public let detail: String?
    /// The attempt that failed, from 1 (``Kind/retrying``).
    public let attempt: Int?
    /// How long until the next attempt (``Kind/retrying``).
    public let delay: Duration?
    /// Why the attempt or the stage failed, in words (``Kind/retrying``, ``Kind/stageFailed``).
    public let error: String?
    /// Where a reused result came from (``Kind/cacheHit``).
    public let source: ReuseSource?
    /// How long the stage or run took (``Kind/stageFinished``, ``Kind/runFinished``).
    public let duration: Duration?
    /// How many attempts the stage took (``Kind/stageFinished``).
    public let attempts: Int?
    /// Whether the run goes on past the failed stage because of `continueOnError` (``Kind/stageFailed``).
    public let willContinue: Bool?
    /// How the run ended (``Kind/runFinished``).
    public let status: RunStatus?

    private init(
        _ kind: Kind, runID: RunID, stage: StageID? = nil, index: Int? = nil, pipeline: String? = nil,
        resumed: Bool = false, fraction: Double? = nil, detail: String? = nil, attempt: Int? = nil,
        delay: Duration? = nil, error: String? = nil, source: ReuseSource? = nil, duration: Duration? = nil,
        attempts: Int? = nil, willContinue: Bool? = nil, status: RunStatus? = nil
    ) {
        self.kind = kind
        self.runID = runID
        self.stage = stage
        self.index = index
        self.pipeline = pipeline
        self.resumed = resumed
        self.fraction = fraction
        self.detail = detail
        self.attempt = attempt
        self.delay = delay
        self.error = error
        self.source = source
        self.duration = duration
        self.attempts = attempts
        self.willContinue = willContinue
        self.status = status
    }

    /// A run started, or resumed.
    public static func runStarted(runID: RunID, pipeline: String, resumed: Bool) -> Self {
        Self(.runStarted, runID: runID, pipeline: pipeline, resumed: resumed)
    }

    /// A stage is about to run.
    public static func stageStarted(runID: RunID, stage: StageID, index: Int) -> Self {
        Self(.stageStarted, runID: runID, stage: stage, index: index)
    }

    /// A stage reported progress (fan-outs report each finished child).
    public static func progress(runID: RunID, stage: StageID, index: Int, fraction: Double, detail: String?) -> Self {
        Self(.progress, runID: runID, stage: stage, index: index, fraction: fraction, detail: detail)
    }

    /// An attempt failed and another follows after `delay`.
    public static func retrying(
        runID: RunID, stage: StageID, index: Int, attempt: Int, delay: Duration, error: String
    ) -> Self {
        Self(.retrying, runID: runID, stage: stage, index: index, attempt: attempt, delay: delay, error: error)
    }

    /// A stage's result was reused instead of running it.
    public static func cacheHit(runID: RunID, stage: StageID, index: Int, source: ReuseSource) -> Self {
        Self(.cacheHit, runID: runID, stage: stage, index: index, source: source)
    }

    /// A stage was disabled by configuration and its fallback output used.
    public static func stageSkipped(runID: RunID, stage: StageID, index: Int) -> Self {
        Self(.stageSkipped, runID: runID, stage: stage, index: index)
    }

    /// A stage committed its output.
    public static func stageFinished(
        runID: RunID, stage: StageID, index: Int, duration: Duration, attempts: Int
    ) -> Self {
        Self(.stageFinished, runID: runID, stage: stage, index: index, duration: duration, attempts: attempts)
    }

    /// A stage failed for good; `willContinue` when `continueOnError` lets the run go on.
    public static func stageFailed(
        runID: RunID, stage: StageID, index: Int, error: String, willContinue: Bool
    ) -> Self {
        Self(.stageFailed, runID: runID, stage: stage, index: index, error: error, willContinue: willContinue)
    }

    /// A run ended.
    public static func runFinished(runID: RunID, status: RunStatus, duration: Duration) -> Self {
        Self(.runFinished, runID: runID, duration: duration, status: status)
    }

    /// The kind, run and stage, e.g. `stageStarted run-1 voice#3`.
    public var description: String {
        var text = "\(kind) \(runID)"
        if let stage { text += " \(stage)" }
        if let index { text += "#\(index)" }
        return text
    }
}

/// Receives events synchronously as they happen; keep `receive` fast (hand off to a queue for slow work).
public protocol PipelineEventSink: Sendable {
    /// Called once per event, from whichever task produced it.
    func receive(_ event: PipelineEvent)
}
