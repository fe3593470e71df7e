/// An error from decoding, encoding or converting an image.
///
/// Match on the static members to act on a kind of failure; ``message`` says what went wrong in
/// words a person can act on, including which codec spoke.
///
/// ```swift
/// do {
///     let image = try ImageDecoder().decode(data)
/// } catch let error as ImageCodecError where error == .truncated {
///     // ask for the rest of the download
/// }
/// ```
public struct ImageCodecError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case truncated
        case corrupt
        case unsupported
        case tooLarge
        case io
        case outOfMemory
        case invalidArgument
    }

    private let code: Code
    /// What went wrong, in words a person can act on.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The data ends before the image does.
    public static func truncated(_ message: String) -> Self { Self(.truncated, message) }
    /// The data is not a valid image of its format (bad signature, checksum, marker, table, ...).
    public static func corrupt(_ message: String) -> Self { Self(.corrupt, message) }
    /// The format, or a feature of it, is not supported.
    public static func unsupported(_ message: String) -> Self { Self(.unsupported, message) }
    /// The image is larger than the configured limit.
    public static func tooLarge(_ message: String) -> Self { Self(.tooLarge, message) }
    /// Reading or writing a file failed.
    public static func io(_ message: String) -> Self { Self(.io, message) }
    /// Memory ran out, or a configured memory bound was reached.
    public static func outOfMemory(_ message: String) -> Self { Self(.outOfMemory, message) }
    /// A parameter was out of range or a call was made out of order.
    public static func invalidArgument(_ message: String) -> Self { Self(.invalidArgument, message) }

    /// A truncated-data error, for pattern matching: `catch let e as ImageCodecError where e == .truncated`.
    public static let truncated = Self(.truncated, "")
    /// A corrupt-data error, for pattern matching.
    public static let corrupt = Self(.corrupt, "")
    /// An unsupported-format error, for pattern matching.
    public static let unsupported = Self(.unsupported, "")
    /// A too-large error, for pattern matching.
    public static let tooLarge = Self(.tooLarge, "")
    /// A file I/O error, for pattern matching.
    public static let io = Self(.io, "")
    /// An out-of-memory error, for pattern matching.
    public static let outOfMemory = Self(.outOfMemory, "")
    /// An invalid-argument error, for pattern matching.
    public static let invalidArgument = Self(.invalidArgument, "")

    /// Errors are equal when they are of the same kind, whatever their messages.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the kind of error only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The kind of error and its message, e.g. `truncated: PNG: the data ends before the image does`.
    public var description: String {
        let kind =
            switch code {
            case .truncated: "truncated"
            case .corrupt: "corrupt"
            case .unsupported: "unsupported"
            case .tooLarge: "too large"
            case .io: "I/O"
            case .outOfMemory: "out of memory"
            case .invalidArgument: "invalid argument"
            }
        return "\(kind): \(message)"
    }
}
