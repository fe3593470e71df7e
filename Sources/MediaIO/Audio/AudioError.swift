/// An error from reading, writing or processing audio.
///
/// Compare ``code`` to act on a kind of failure (`error.code == .corrupt`); ``message`` says what
/// went wrong and how to fix it.
public struct AudioError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure; compare with `==` (`error.code == .corrupt`). New codes may be added, so a
    /// `switch` over codes needs a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case corrupt, unsupported, io, invalidArgument
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The data is not valid audio of its format.
        public static let corrupt = Code(.corrupt)
        /// The format, or a feature of it, is not supported.
        public static let unsupported = Code(.unsupported)
        /// Reading or writing a file failed.
        public static let io = Code(.io)
        /// A parameter was out of range.
        public static let invalidArgument = Code(.invalidArgument)

        /// The kind in words, e.g. `corrupt`.
        public var description: String {
            switch base {
            case .corrupt: "corrupt"
            case .unsupported: "unsupported"
            case .io: "I/O"
            case .invalidArgument: "invalid argument"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong, in words a person can act on.
    public let message: String
    /// The error underneath, when there is one (not part of equality).
    public let underlying: (any Error)?

    private init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// The data is not valid audio of its format (bad header, chunk or size).
    public static func corrupt(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.corrupt, message, underlying: underlying)
    }
    /// The format, or a feature of it, is not supported.
    public static func unsupported(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.unsupported, message, underlying: underlying)
    }
    /// Reading or writing a file failed.
    public static func io(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.io, message, underlying: underlying)
    }
    /// A parameter was out of range.
    public static func invalidArgument(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.invalidArgument, message, underlying: underlying)
    }

    /// Errors are equal when they have the same ``code``, whatever their messages and underlying errors.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the ``code`` only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The kind of error and its message, e.g. `corrupt: WAV: no RIFF header`.
    public var description: String { "\(code): \(message)" }
}
