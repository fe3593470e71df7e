/// An error from reading or writing subtitles.
public struct SubtitleError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case malformed
        case invalidArgument
    }

    private let code: Code
    /// What went wrong, in words a person can act on.
    public let message: String
    /// The 1-based line of the source text at fault, when there is one.
    public let line: Int?

    private init(_ code: Code, _ message: String, line: Int? = nil) {
        self.code = code
        self.message = message
        self.line = line
    }

    /// The text is not valid subtitles of its format.
    public static func malformed(_ message: String, line: Int? = nil) -> Self {
        Self(.malformed, message, line: line)
    }
    /// A parameter was out of range.
    public static func invalidArgument(_ message: String) -> Self { Self(.invalidArgument, message) }

    /// A malformed-input error, for pattern matching.
    public static let malformed = Self(.malformed, "")
    /// An invalid-argument error, for pattern matching.
    public static let invalidArgument = Self(.invalidArgument, "")

    /// Errors are equal when they are of the same kind, whatever their messages.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the kind of error only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The kind of error and its message.
    public var description: String {
        let kind =
            switch code {
            case .malformed: "malformed"
            case .invalidArgument: "invalid argument"
            }
        return "\(kind): \(message)"
    }
}
