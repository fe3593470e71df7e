/// Why a story stage or run failed.
///
/// Errors from the modules underneath (``ProviderKit``, ``MediaIO``, ``PipelineKit``) are kept in ``underlying``;
/// ``message`` says what to do about it.
public struct StoryPipelineError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Hashable, Sendable {
        /// A stage ran before the stage that fills its input.
        case missingInput
        /// A model's output could not be used, even after asking again with the reason.
        case malformedModelOutput
        /// The configuration file or an option is invalid.
        case invalidConfiguration
        /// A program the run needs (ffmpeg, espeak-ng) is missing or too old.
        case missingDependency
        /// A provider failed for good.
        case provider
        /// Audio or video could not be made or read.
        case media
        /// The video failed the quality gate.
        case qualityGate
        /// A file could not be written or read, or a path would leave its directory.
        case file
        /// The story library failed.
        case library
        /// The run is running in another process (or task); it cannot run twice at once.
        case busy
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
    public var description: String { "\(code.rawValue): \(message)" }

    /// Errors are equal when their code and message are; the underlying error is not compared.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code && lhs.message == rhs.message }

    /// Hashes the code and message.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(message)
    }
}
