public import Foundation

/// What a decoder learnt about an image besides its pixels.
public struct ImageMetadata: Hashable, Sendable {
    /// The format the data was in.
    public var format: ImageFormat
    /// Bits per component in the file (1, 2, 4, 8 or 16 for PNG; 8 for JPEG).
    public var sourceBitDepth: Int
    /// The file's colour model, e.g. `palette`, `gray`, `rgba`, `YCbCr`, `CMYK`, `YCCK`.
    public var sourceColorModel: String
    /// Whether the file was Adam7-interlaced (PNG) or progressive (JPEG).
    public var interlaced: Bool
    /// The file gamma from a PNG gAMA chunk (e.g. 0.45455), or `nil`.
    public var gamma: Double?
    /// The rendering intent from a PNG sRGB chunk (0...3), or `nil`.
    public var sRGBIntent: Int?
    /// What the samples mean, as far as the file says.
    public var colorTag: PixelBuffer.ColorTag
    /// The ICC profile, byte for byte, or `nil`.
    public var iccProfile: Data?
    /// PNG text chunks, in file order.
    public var textChunks: [ImageTextChunk]
    /// The EXIF orientation of a JPEG, or `nil` when there is none.
    public var orientation: ImageOrientation?
    /// The stored width and height, before any orientation was applied.
    public var storedWidth: Int
    /// The stored height, before any orientation was applied.
    public var storedHeight: Int
}
