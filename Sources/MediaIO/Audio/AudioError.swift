/// An error from reading, writing or processing audio.
///
/// Match on the static members to act on a kind of failure; ``message`` says what went wrong and
/// how to fix it.
public struct AudioError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case corrupt
        case unsupported
        case io
        case invalidArgument
    }

    private let code: Code
    /// What went wrong, in words a person can act on.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The data is not valid audio of its format (bad header, chunk or size).
    public static func corrupt(_ message: String) -> Self { Self(.corrupt, message) }
    /// The format, or a feature of it, is not supported.
    public static func unsupported(_ message: String) -> Self { Self(.unsupported, message) }
    /// Reading or writing a file failed.
    public static func io(_ message: String) -> Self { Self(.io, message) }
    /// A parameter was out of range.
    public static func invalidArgument(_ message: String) -> Self { Self(.invalidArgument, message) }

    /// A corrupt-data error, for pattern matching.
    public static let corrupt = Self(.corrupt, "")
    /// An unsupported-format error, for pattern matching.
    public static let unsupported = Self(.unsupported, "")
    /// A file I/O error, for pattern matching.
    public static let io = Self(.io, "")
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
            case .corrupt: "corrupt"
            case .unsupported: "unsupported"
            case .io: "I/O"
            case .invalidArgument: "invalid argument"
            }
        return "\(kind): \(message)"
    }
}
