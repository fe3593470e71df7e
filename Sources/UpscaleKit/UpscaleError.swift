/// An error from UpscaleKit: a configuration it cannot honour, or an image it cannot process.
///
/// Codec and file errors from MediaIO pass through as `ImageCodecError`; cancellation as
/// `CancellationError`.
public struct UpscaleError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case invalidConfiguration
        case mismatchedImages
        case tooLarge
    }

    private let code: Code
    /// What went wrong, in words a person can act on.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// A configuration value is out of range (a zero factor, an empty output size, ...).
    public static func invalidConfiguration(_ message: String) -> Self { Self(.invalidConfiguration, message) }
    /// Two images that a metric compares differ in size or layout.
    public static func mismatchedImages(_ message: String) -> Self { Self(.mismatchedImages, message) }
    /// The output, or the memory it needs, is over a configured limit (or its size overflows):
    /// ``Upscaler/Configuration/maxOutputPixelCount``, ``Upscaler/Configuration/maxWorkingMemory``.
    public static func tooLarge(_ message: String) -> Self { Self(.tooLarge, message) }

    /// An invalid-configuration error, for pattern matching.
    public static let invalidConfiguration = Self(.invalidConfiguration, "")
    /// A mismatched-images error, for pattern matching.
    public static let mismatchedImages = Self(.mismatchedImages, "")
    /// A too-large error, for pattern matching.
    public static let tooLarge = Self(.tooLarge, "")

    /// Errors are equal when they are of the same kind, whatever their messages.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the kind of error only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The kind of error and its message.
    public var description: String {
        switch code {
        case .invalidConfiguration: "invalid configuration: \(message)"
        case .mismatchedImages: "mismatched images: \(message)"
        case .tooLarge: "too large: \(message)"
        }
    }
}
