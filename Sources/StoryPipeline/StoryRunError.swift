public import PipelineKit

/// Why ``StoryStudio/run(_:runID:exportTo:exporter:)`` or ``StoryStudio/resume(runID:exportTo:exporter:)`` failed,
/// flattened: the stage that failed, one code, the message that says what to do, and the error underneath.
///
/// A failed stage reaches the runner as a `PipelineError` with code `stageFailed` that wraps the stage's own
/// ``StoryPipelineError``, which wraps, say, a `ProviderError`. A host does not unwrap that chain: the studio
/// throws this error instead, with the innermost story or pipeline code and message, and the provider, media or
/// system error that caused it in ``underlying``.
///
/// ```swift
/// do {
///     _ = try await studio.run(request, exportTo: output)
/// } catch let error as StoryRunError where error.code == .provider {
///     print("stage \(error.stage?.rawValue ?? "?") failed:", error.message)
///     if let provider = error.underlying as? ProviderError, provider.code == .authentication { … }
/// }
/// ```
public struct StoryRunError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure: a ``StoryPipelineError`` code (`provider`, `media`, `busy`, …), a `PipelineError` code
    /// (`runNotFound`, `attemptTimedOut`, …), ``cancelled`` or ``other``. New codes may be added, so a `switch`
    /// over codes needs a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name, the same as the code's name in the module it came from.
        public let description: String

        private init(_ name: String) { description = name }

        /// The code of a story error.
        public init(_ code: StoryPipelineError.Code) { self.init(code.description) }
        /// The code of a pipeline error.
        public init(_ code: PipelineError.Code) { self.init(code.description) }

        /// A stage ran before the stage that fills its input.
        public static let missingInput = Code(StoryPipelineError.Code.missingInput)
        /// A model's output could not be used, even after asking again with the reason.
        public static let malformedModelOutput = Code(StoryPipelineError.Code.malformedModelOutput)
        /// The configuration is invalid (the story's or the pipeline's).
        public static let invalidConfiguration = Code(StoryPipelineError.Code.invalidConfiguration)
        /// A program the run needs is missing or too old.
        public static let missingDependency = Code(StoryPipelineError.Code.missingDependency)
        /// A provider failed for good; ``StoryRunError/underlying`` is usually its `ProviderError`.
        public static let provider = Code(StoryPipelineError.Code.provider)
        /// Audio or video could not be made or read.
        public static let media = Code(StoryPipelineError.Code.media)
        /// The video failed the quality gate.
        public static let qualityGate = Code(StoryPipelineError.Code.qualityGate)
        /// A file could not be written or read, or a path would leave its directory.
        public static let file = Code(StoryPipelineError.Code.file)
        /// The story library failed.
        public static let library = Code(StoryPipelineError.Code.library)
        /// The run is running in another process (or task).
        public static let busy = Code(StoryPipelineError.Code.busy)
        /// No run with that id in the store.
        public static let runNotFound = Code(PipelineError.Code.runNotFound)
        /// A run with that id exists already.
        public static let runExists = Code(PipelineError.Code.runExists)
        /// The run was started by a different pipeline.
        public static let pipelineMismatch = Code(PipelineError.Code.pipelineMismatch)
        /// The run finished already; nothing to resume.
        public static let runFinished = Code(PipelineError.Code.runFinished)
        /// A checkpoint cannot be read back.
        public static let checkpointCorrupt = Code(PipelineError.Code.checkpointCorrupt)
        /// The checkpoint store failed.
        public static let storeFailure = Code(PipelineError.Code.storeFailure)
        /// One attempt of a stage ran past its timeout.
        public static let attemptTimedOut = Code(PipelineError.Code.attemptTimedOut)
        /// All attempts of a stage together ran past its total timeout.
        public static let totalTimedOut = Code(PipelineError.Code.totalTimedOut)
        /// An artifact could not be stored, found or verified.
        public static let artifact = Code(PipelineError.Code.artifact)
        /// A value did not have the type a stage expects.
        public static let typeMismatch = Code(PipelineError.Code.typeMismatch)
        /// The run was cancelled (the task, or a Ctrl-C); it can be resumed.
        public static let cancelled = Code("cancelled")
        /// An error of another kind; ``StoryRunError/underlying`` is it.
        public static let other = Code("other")
    }

    /// The stage that failed, when a stage did (not for a run that is busy, missing or could not be exported).
    public let stage: StageID?
    /// The kind of failure.
    public let code: Code
    /// What happened and what to do about it: the innermost story or pipeline error's message.
    public let message: String
    /// The error underneath: the provider, media or system error that caused it, or the story or pipeline error
    /// itself when nothing lies under it. Never compared.
    public let underlying: (any Error)?

    /// Flattens what a run threw: unwraps a failed stage's `PipelineError` and the ``StoryPipelineError`` inside.
    public init(flattening error: any Error) {
        var stage: StageID?
        var current = error
        while let pipeline = current as? PipelineError, pipeline.code == .stageFailed, let inner = pipeline.underlying {
            stage = stage ?? pipeline.stageID
            current = inner
        }
        switch current {
        case let story as StoryPipelineError:
            self.init(
                stage: stage, code: Code(story.code), message: story.message, underlying: story.underlying ?? story)
        case let pipeline as PipelineError:
            self.init(
                stage: stage ?? pipeline.stageID, code: Code(pipeline.code), message: pipeline.message,
                underlying: pipeline.underlying ?? pipeline)
        case let run as StoryRunError:
            self.init(stage: stage ?? run.stage, code: run.code, message: run.message, underlying: run.underlying)
        case is CancellationError:
            self.init(
                stage: stage, code: .cancelled, message: "the run was cancelled; resume it to go on",
                underlying: current)
        default:
            self.init(stage: stage, code: .other, message: "\(current)", underlying: current)
        }
    }

    private init(stage: StageID?, code: Code, message: String, underlying: (any Error)?) {
        self.stage = stage
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// `stage <id> failed: <message>` for a failed stage, else the message.
    public var description: String {
        guard let stage else { return message }
        return "stage \(stage) failed: \(message)"
    }

    /// Errors are equal when they have the same ``code``, whatever their stages, messages and underlying errors.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the ``code`` only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
