/// A decoded image: its pixels, what the file said about them, and what the codec warned about.
public struct DecodedImage: Sendable {
    /// The pixels, upright (EXIF orientation applied unless configured otherwise).
    public var pixels: PixelBuffer
    /// What the file said besides the pixels.
    public var metadata: ImageMetadata
    /// Problems the codec recovered from.
    public var warnings: [ImageCodecWarning]
}
