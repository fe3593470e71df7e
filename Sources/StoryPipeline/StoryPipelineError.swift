/// Why a story stage or run failed.
///
/// Errors from the modules underneath (``ProviderKit``, ``MediaIO``, ``PipelineKit``) are kept in ``underlying``;
/// ``message`` says what to do about it.
public struct StoryPipelineError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure; compare with `==` (`error.code == .provider`). New codes may be added, so a `switch`
    /// over codes needs a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case missingInput, malformedModelOutput, invalidConfiguration, missingDependency, provider, media
            case qualityGate, file, library, busy
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A stage ran before the stage that fills its input.
        public static let missingInput = Code(.missingInput)
        /// A model's output could not be used, even after asking again with the reason.
        public static let malformedModelOutput = Code(.malformedModelOutput)
        /// The configuration file or an option is invalid.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// A program the run needs (ffmpeg, espeak-ng) is missing or too old.
        public static let missingDependency = Code(.missingDependency)
        /// A provider failed for good.
        public static let provider = Code(.provider)
        /// Audio or video could not be made or read.
        public static let media = Code(.media)
        /// The video failed the quality gate.
        public static let qualityGate = Code(.qualityGate)
        /// A file could not be written or read, or a path would leave its directory.
        public static let file = Code(.file)
        /// The story library failed.
        public static let library = Code(.library)
        /// The run is running in another process (or task); it cannot run twice at once.
        public static let busy = Code(.busy)

        /// The code's name, e.g. `missingInput`.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public let code: Code
    /// What happened and what to do about it.
    public let message: String
    /// The error underneath, when there is one.
    public let underlying: (any Error)?

    init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// A stage ran before the stage that fills its input.
    public static func missingInput(_ message: String) -> Self { Self(.missingInput, message) }
    /// A model's output could not be used.
    public static func malformedModelOutput(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.malformedModelOutput, message, underlying: underlying)
    }
    /// The configuration is invalid.
    public static func invalidConfiguration(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.invalidConfiguration, message, underlying: underlying)
    }
    /// A program the run needs is missing.
    public static func missingDependency(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.missingDependency, message, underlying: underlying)
    }
    /// A provider failed for good.
    public static func provider(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.provider, message, underlying: underlying)
    }
    /// Audio or video could not be made.
    public static func media(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.media, message, underlying: underlying)
    }
    /// The video failed the quality gate.
    public static func qualityGate(_ message: String) -> Self { Self(.qualityGate, message) }
    /// A file operation failed.
    public static func file(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.file, message, underlying: underlying)
    }
    /// The run is running elsewhere.
    public static func busy(_ message: String) -> Self { Self(.busy, message) }
    /// The story library failed.
    public static func library(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.library, message, underlying: underlying)
    }

    /// The message, prefixed with the kind of failure.
    public var description: String { "\(code): \(message)" }

    /// Errors are equal when they have the same ``code``, whatever their messages and underlying errors.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the ``code`` only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}
