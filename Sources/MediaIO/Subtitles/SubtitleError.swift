/// An error from reading or writing subtitles.
///
/// Compare ``code`` to act on a kind of failure (`error.code == .malformed`).
public struct SubtitleError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure; compare with `==` (`error.code == .malformed`). New codes may be added, so a
    /// `switch` over codes needs a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case malformed, invalidArgument
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The text is not valid subtitles of its format.
        public static let malformed = Code(.malformed)
        /// A parameter was out of range.
        public static let invalidArgument = Code(.invalidArgument)

        /// The kind in words, e.g. `malformed`.
        public var description: String {
            switch base {
            case .malformed: "malformed"
            case .invalidArgument: "invalid argument"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong, in words a person can act on.
    public let message: String
    /// The 1-based line of the source text at fault, when there is one.
    public let line: Int?
    /// The error underneath, when there is one (not part of equality).
    public let underlying: (any Error)?

    private init(_ code: Code, _ message: String, line: Int? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.line = line
        self.underlying = underlying
    }

    /// The text is not valid subtitles of its format.
    public static func malformed(_ message: String, line: Int? = nil, underlying: (any Error)? = nil) -> Self {
        Self(.malformed, message, line: line, underlying: underlying)
    }
    /// A parameter was out of range.
    public static func invalidArgument(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.invalidArgument, message, underlying: underlying)
    }

    /// Errors are equal when they have the same ``code``, whatever their messages and underlying errors.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the ``code`` only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The kind of error and its message, e.g. `malformed: SRT cue 3: no time line`.
    public var description: String { "\(code): \(message)" }
}
