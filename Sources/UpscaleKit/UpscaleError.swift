/// An error from UpscaleKit: a configuration it cannot honour, or an image it cannot process.
///
/// Codec and file errors from MediaIO pass through as `ImageCodecError`; cancellation as
/// `CancellationError`. Compare ``code`` to act on a kind (`error.code == .tooLarge`).
public struct UpscaleError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure; compare with `==` (`error.code == .invalidConfiguration`). New codes may be added, so a
    /// `switch` over codes needs a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case invalidConfiguration, mismatchedImages, tooLarge
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A configuration value is out of range.
        public static let invalidConfiguration = Code(.invalidConfiguration)
        /// Two images that a metric compares differ in size or layout.
        public static let mismatchedImages = Code(.mismatchedImages)
        /// The output, or the memory it needs, is over a configured limit.
        public static let tooLarge = Code(.tooLarge)

        /// The kind in words, e.g. `invalid configuration`.
        public var description: String {
            switch base {
            case .invalidConfiguration: "invalid configuration"
            case .mismatchedImages: "mismatched images"
            case .tooLarge: "too large"
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

    /// A configuration value is out of range (a zero factor, an empty output size, ...).
    public static func invalidConfiguration(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.invalidConfiguration, message, underlying: underlying)
    }
    /// Two images that a metric compares differ in size or layout.
    public static func mismatchedImages(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.mismatchedImages, message, underlying: underlying)
    }
    /// The output, or the memory it needs, is over a configured limit (or its size overflows):
    /// ``Upscaler/Configuration/maxOutputPixelCount``, ``Upscaler/Configuration/maxWorkingMemory``.
    public static func tooLarge(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.tooLarge, message, underlying: underlying)
    }

    /// Errors are equal when they have the same ``code``, whatever their messages and underlying errors.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the ``code`` only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The kind of error and its message, e.g. `too large: 40000×40000 is over maxOutputPixelCount`.
    public var description: String { "\(code): \(message)" }
}
