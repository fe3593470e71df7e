/// Something a codec noticed but could recover from, such as a bad checksum on an optional chunk.
public struct ImageCodecWarning: Hashable, Sendable, CustomStringConvertible {
    /// The format whose codec raised the warning.
    public let format: ImageFormat
    /// The codec's own words.
    public let message: String

    /// Creates a warning.
    public init(format: ImageFormat, message: String) {
        self.format = format
        self.message = message
    }

    /// The format and the message, e.g. `PNG: iCCP: known incorrect sRGB profile`.
    public var description: String { "\(format): \(message)" }
}
