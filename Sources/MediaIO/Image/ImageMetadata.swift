public import Foundation

/// How a stored image must be turned to be shown upright: the eight values of the EXIF/TIFF
/// `Orientation` tag (0x0112), named after where row 0 and column 0 lie.
public enum ImageOrientation: Int, Sendable, Hashable, CaseIterable, Codable {
    /// 1: as stored.
    case topLeft = 1
    /// 2: mirrored left to right.
    case topRight = 2
    /// 3: rotated 180°.
    case bottomRight = 3
    /// 4: mirrored top to bottom.
    case bottomLeft = 4
    /// 5: mirrored along the main diagonal (transposed).
    case leftTop = 5
    /// 6: needs a 90° clockwise turn.
    case rightTop = 6
    /// 7: mirrored along the anti-diagonal (transversed).
    case rightBottom = 7
    /// 8: needs a 90° counter-clockwise turn.
    case leftBottom = 8

    /// Whether showing the image upright swaps its width and height.
    public var swapsDimensions: Bool { rawValue >= 5 }
}

/// A PNG text chunk (tEXt, zTXt or iTXt).
public struct ImageTextChunk: Hashable, Sendable, Codable {
    /// The keyword, 1 to 79 Latin-1 characters (e.g. `Title`, `Software`).
    public var keyword: String
    /// The text.
    public var text: String
    /// Whether the text is stored compressed (zTXt, or compressed iTXt).
    public var compressed: Bool
    /// Whether the chunk is international (iTXt, UTF-8) rather than Latin-1 (tEXt/zTXt).
    public var international: Bool

    /// Creates a text chunk; `international` defaults to whether `text` needs more than Latin-1.
    public init(keyword: String, text: String, compressed: Bool = false, international: Bool? = nil) {
        self.keyword = keyword
        self.text = text
        self.compressed = compressed
        self.international = international ?? text.unicodeScalars.contains { $0.value > 0xFF }
    }
}

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

/// The geometry and sample format of the rows an ``ImageRowReader`` delivers or an
/// ``ImageRowWriter`` accepts.
public struct ImageInfo: Hashable, Sendable {
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// Channels per pixel.
    public var layout: PixelBuffer.Layout
    /// How each channel is stored.
    public var componentType: PixelBuffer.ComponentType

    /// Creates an image description.
    public init(width: Int, height: Int, layout: PixelBuffer.Layout, componentType: PixelBuffer.ComponentType) {
        self.width = width
        self.height = height
        self.layout = layout
        self.componentType = componentType
    }

    /// Bytes in one packed row.
    public var rowByteCount: Int { width * layout.channelCount * componentType.byteCount }
}

/// A decoded image: its pixels, what the file said about them, and what the codec warned about.
public struct DecodedImage: Sendable {
    /// The pixels, upright (EXIF orientation applied unless configured otherwise).
    public var pixels: PixelBuffer
    /// What the file said besides the pixels.
    public var metadata: ImageMetadata
    /// Problems the codec recovered from.
    public var warnings: [ImageCodecWarning]
}
