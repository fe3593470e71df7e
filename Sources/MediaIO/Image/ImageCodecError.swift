/// An error from decoding, encoding or converting an image.
///
/// Compare ``code`` to act on a kind of failure; ``message`` says what went wrong in words a person
/// can act on, including which codec spoke.
///
/// ```swift
/// do {
///     let image = try ImageDecoder().decode(data)
/// } catch let error as ImageCodecError where error.code == .truncated {
///     // ask for the rest of the download
/// }
/// ```
public struct ImageCodecError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure; compare with `==` (`error.code == .truncated`). New codes may be added, so a
    /// `switch` over codes needs a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case truncated, corrupt, unsupported, tooLarge, io, outOfMemory, invalidArgument
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The data ends before the image does.
        public static let truncated = Code(.truncated)
        /// The data is not a valid image of its format.
        public static let corrupt = Code(.corrupt)
        /// The format, or a feature of it, is not supported.
        public static let unsupported = Code(.unsupported)
        /// The image is larger than the configured limit.
        public static let tooLarge = Code(.tooLarge)
        /// Reading or writing a file failed.
        public static let io = Code(.io)
        /// Memory ran out, or a configured memory bound was reached.
        public static let outOfMemory = Code(.outOfMemory)
        /// A parameter was out of range or a call was made out of order.
        public static let invalidArgument = Code(.invalidArgument)

        /// The kind in words, e.g. `truncated`.
        public var description: String {
            switch base {
            case .truncated: "truncated"
            case .corrupt: "corrupt"
            case .unsupported: "unsupported"
            case .tooLarge: "too large"
            case .io: "I/O"
            case .outOfMemory: "out of memory"
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

    /// The data ends before the image does.
    public static func truncated(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.truncated, message, underlying: underlying)
    }
    /// The data is not a valid image of its format (bad signature, checksum, marker, table, ...).
    public static func corrupt(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.corrupt, message, underlying: underlying)
    }
    /// The format, or a feature of it, is not supported.
    public static func unsupported(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.unsupported, message, underlying: underlying)
    }
    /// The image is larger than the configured limit.
    public static func tooLarge(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.tooLarge, message, underlying: underlying)
    }
    /// Reading or writing a file failed.
    public static func io(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.io, message, underlying: underlying)
    }
    /// Memory ran out, or a configured memory bound was reached.
    public static func outOfMemory(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.outOfMemory, message, underlying: underlying)
    }
    /// A parameter was out of range or a call was made out of order.
    public static func invalidArgument(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.invalidArgument, message, underlying: underlying)
    }

    /// Errors are equal when they have the same ``code``, whatever their messages and underlying errors.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the ``code`` only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The kind of error and its message, e.g. `truncated: PNG: the data ends before the image does`.
    public var description: String { "\(code): \(message)" }
}
