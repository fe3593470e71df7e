/// What went wrong in a pipeline run.
///
/// Compare ``code`` to tell cases apart: `error.code == .attemptTimedOut`. New codes may be added.
public struct PipelineError: Error, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case stageFailed, attemptTimedOut, totalTimedOut, runNotFound, runExists, pipelineMismatch
            case runFinished, invalidConfiguration, checkpointCorrupt, storeFailure, typeMismatch, artifact
        }

        private let base: Base

        private init(_ base: Base) { self.base = base }

        /// A stage failed for good (after its retries); ``PipelineError/underlying`` holds the stage's error.
        public static let stageFailed = Code(.stageFailed)
        /// One attempt ran past its timeout (retryable).
        public static let attemptTimedOut = Code(.attemptTimedOut)
        /// All attempts together ran past the stage's total timeout.
        public static let totalTimedOut = Code(.totalTimedOut)
        /// No run with that id in the store.
        public static let runNotFound = Code(.runNotFound)
        /// A run with that id exists already.
        public static let runExists = Code(.runExists)
        /// The run was started by a different pipeline.
        public static let pipelineMismatch = Code(.pipelineMismatch)
        /// The run finished already; nothing to resume.
        public static let runFinished = Code(.runFinished)
        /// The pipeline configuration is invalid.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A checkpoint cannot be read back.
        public static let checkpointCorrupt = Code(.checkpointCorrupt)
        /// The checkpoint store failed (disk full, locked past the busy timeout, newer schema).
        public static let storeFailure = Code(.storeFailure)
        /// A value did not have the type a stage expects.
        public static let typeMismatch = Code(.typeMismatch)
        /// An artifact could not be stored, found or verified, or its name would escape the store.
        public static let artifact = Code(.artifact)

        /// The code's name.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// What happened, in words a person can act on.
    public let message: String
    /// The stage concerned, if any.
    public let stageID: StageID?
    /// The error underneath, if any (not part of equality).
    public let underlying: (any Error)?

    private init(_ code: Code, _ message: String, stageID: StageID? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.stageID = stageID
        self.underlying = underlying
    }

    /// A stage failed for good.
    public static func stageFailed(_ stage: StageID, underlying: any Error) -> Self {
        .init(.stageFailed, "stage \(stage) failed: \(underlying)", stageID: stage, underlying: underlying)
    }

    /// One attempt ran past its timeout.
    public static func attemptTimedOut(_ stage: StageID, after timeout: Duration) -> Self {
        .init(.attemptTimedOut, "stage \(stage): attempt timed out after \(timeout)", stageID: stage)
    }

    /// All attempts together ran past the total timeout.
    public static func totalTimedOut(_ stage: StageID, after timeout: Duration) -> Self {
        .init(.totalTimedOut, "stage \(stage): timed out after \(timeout) in total", stageID: stage)
    }

    /// No run with that id.
    public static func runNotFound(_ detail: String) -> Self { .init(.runNotFound, detail) }

    /// A run with that id exists already.
    public static func runExists(_ detail: String) -> Self { .init(.runExists, detail) }

    /// The run belongs to another pipeline.
    public static func pipelineMismatch(_ detail: String) -> Self { .init(.pipelineMismatch, detail) }

    /// The run finished already.
    public static func runFinished(_ detail: String) -> Self { .init(.runFinished, detail) }

    /// The configuration is invalid.
    public static func invalidConfiguration(_ detail: String, underlying: (any Error)? = nil) -> Self {
        .init(.invalidConfiguration, detail, underlying: underlying)
    }

    /// A checkpoint cannot be read back.
    public static func checkpointCorrupt(_ detail: String, underlying: (any Error)? = nil) -> Self {
        .init(.checkpointCorrupt, detail, underlying: underlying)
    }

    /// The store failed.
    public static func storeFailure(_ detail: String, underlying: (any Error)? = nil) -> Self {
        .init(.storeFailure, detail, underlying: underlying)
    }

    /// A value had the wrong type.
    public static func typeMismatch(_ detail: String) -> Self { .init(.typeMismatch, detail) }

    /// An artifact problem.
    public static func artifact(_ detail: String, underlying: (any Error)? = nil) -> Self {
        .init(.artifact, detail, underlying: underlying)
    }

    /// The message, prefixed with the code.
    public var description: String { "\(code): \(message)" }

    /// Errors are equal when they have the same ``code``, whatever their messages, stages and underlying errors.
    public static func == (lhs: PipelineError, rhs: PipelineError) -> Bool { lhs.code == rhs.code }

    /// Hashes the ``code`` only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
