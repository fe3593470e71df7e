public import Foundation

/// Encodes images as PNG or JPEG, whole or a band of rows at a time.
///
/// Files are written atomically: to a temporary file beside the destination, renamed into place
/// once complete.
///
/// ```swift
/// try ImageEncoder(format: .jpeg(.init(quality: 92, chromaSubsampling: .yuv444)))
///     .write(image, to: URL(filePath: "frame.jpg"))
/// ```
public struct ImageEncoder: Sendable {
    /// PNG settings.
    public struct PNGOptions: Sendable, Hashable {
        /// zlib level, 0 (store) to 9 (smallest); 6 is zlib's and Pillow's default.
        public var compressionLevel: Int
        /// Text chunks to write before the image data.
        public var textChunks: [ImageTextChunk]
        /// Whether to state the colour tag in the file: an sRGB chunk for ``PixelBuffer/ColorTag/sRGB``,
        /// gAMA 1.0 for ``PixelBuffer/ColorTag/linear`` (an ICC profile, when present, is always written).
        public var writesColorChunks: Bool

        /// Creates PNG settings.
        public init(compressionLevel: Int = 6, textChunks: [ImageTextChunk] = [], writesColorChunks: Bool = true) {
            self.compressionLevel = compressionLevel
            self.textChunks = textChunks
            self.writesColorChunks = writesColorChunks
        }
    }

    /// How many chroma samples a JPEG keeps (the luma plane is always full resolution).
    public enum ChromaSubsampling: Int, Sendable, Hashable, CaseIterable {
        /// Full-resolution chroma.
        case yuv444 = 444
        /// Half horizontal chroma resolution.
        case yuv422 = 422
        /// Half horizontal and vertical chroma resolution (the usual choice for photographs).
        case yuv420 = 420
    }

    /// JPEG settings.
    public struct JPEGOptions: Sendable, Hashable {
        /// 1 (smallest) to 100 (best), with libjpeg's standard quantisation tables.
        public var quality: Int
        /// Chroma resolution.
        public var chromaSubsampling: ChromaSubsampling
        /// Whether to write a progressive JPEG.
        public var progressive: Bool
        /// Whether to compute optimal Huffman tables (smaller files, slower encoding).
        public var optimizeCoding: Bool

        /// Creates JPEG settings.
        public init(
            quality: Int = 90,
            chromaSubsampling: ChromaSubsampling = .yuv420,
            progressive: Bool = false,
            optimizeCoding: Bool = false
        ) {
            self.quality = quality
            self.chromaSubsampling = chromaSubsampling
            self.progressive = progressive
            self.optimizeCoding = optimizeCoding
        }
    }

    /// An output format and its settings.
    public enum Format: Sendable, Hashable {
        /// PNG: 8- or 16-bit gray, gray+alpha, RGB or RGBA; Float32 is written as 16-bit.
        case png(PNGOptions = PNGOptions())
        /// JPEG: 8-bit gray or RGB; other types are converted to 8 bits and alpha is dropped.
        case jpeg(JPEGOptions = JPEGOptions())

        /// The image format this writes.
        public var imageFormat: ImageFormat {
            switch self {
            case .png: .png
            case .jpeg: .jpeg
            }
        }
    }

    /// What this encoder writes.
    public var format: Format

    /// Creates an encoder.
    public init(format: Format) {
        self.format = format
    }

    /// Creates an encoder with default settings for the format a file name's extension asks for.
    ///
    /// - Throws: ``ImageCodecError/unsupported(_:)`` for an extension other than png, jpg or jpeg.
    public init(forPathExtensionOf url: URL) throws {
        switch ImageFormat(pathExtension: url.pathExtension) {
        case .png: self.init(format: .png())
        case .jpeg: self.init(format: .jpeg())
        case nil:
            throw ImageCodecError.unsupported(
                "cannot tell an image format from the name \(url.lastPathComponent); use .png, .jpg or .jpeg"
            )
        }
    }

    /// Encodes a whole image into memory.
    public func encode(_ image: PixelBuffer) throws -> Data {
        switch format {
        case .png(let options):
            let encoder = try PNGRowEncoder(
                info: image.info,
                options: options,
                colorTag: image.colorTag,
                iccProfile: image.iccProfile,
                file: nil
            )
            return try encodeInMemory(image, CodecRowWriter(info: image.info, encoder: encoder, file: nil))
        case .jpeg(let options):
            let encoder = try JPEGRowEncoder(
                info: image.info, options: options, iccProfile: image.iccProfile, file: nil)
            return try encodeInMemory(image, CodecRowWriter(info: image.info, encoder: encoder, file: nil))
        }
    }

    private func encodeInMemory(_ image: PixelBuffer, _ writer: CodecRowWriter<some RowEncoder>) throws -> Data {
        try write(image, with: writer)
        return writer.takeOutput()
    }

    /// Encodes a whole image into a file, atomically.
    public func write(_ image: PixelBuffer, to url: URL) throws {
        let writer = try rowWriter(to: url, info: image.info, colorTag: image.colorTag, iccProfile: image.iccProfile)
        try write(image, with: writer)
    }

    /// Opens a file for writing an image a band of rows at a time; nothing appears under `url`
    /// until ``ImageRowWriter/finish()`` succeeds.
    public func rowWriter(
        to url: URL,
        info: ImageInfo,
        colorTag: PixelBuffer.ColorTag = .sRGB,
        iccProfile: Data? = nil
    ) throws -> any ImageRowWriter {
        let file = try AtomicFile(destination: url)
        switch format {
        case .png(let options):
            let encoder = try PNGRowEncoder(
                info: info,
                options: options,
                colorTag: colorTag,
                iccProfile: iccProfile,
                file: file
            )
            return CodecRowWriter(info: info, encoder: encoder, file: file)
        case .jpeg(let options):
            let encoder = try JPEGRowEncoder(info: info, options: options, iccProfile: iccProfile, file: file)
            return CodecRowWriter(info: info, encoder: encoder, file: file)
        }
    }

    private func write(_ image: PixelBuffer, with writer: some ImageRowWriter) throws {
        try image.withUnsafeBytes { raw in
            try writer.writeRows(from: raw, rowStride: image.rowStride, rowCount: image.height)
        }
        try writer.finish()
    }
}

extension PixelBuffer {
    /// The image's geometry and sample format.
    public var info: ImageInfo {
        ImageInfo(width: width, height: height, layout: layout, componentType: componentType)
    }
}
