public import Foundation

/// Decodes PNG and JPEG images, whole or a band of rows at a time.
///
/// The format is recognised from the data's first bytes, never from a file name. Before anything
/// is allocated for the pixels, the declared size is checked against
/// ``Configuration/maxPixelCount``, so a forged header cannot exhaust memory.
///
/// ```swift
/// let decoded = try ImageDecoder().decode(contentsOf: URL(filePath: "photo.jpg"))
/// print(decoded.pixels.width, decoded.pixels.height, decoded.metadata.orientation as Any)
/// ```
public struct ImageDecoder: Sendable {
    /// How to decode.
    public struct Configuration: Sendable, Hashable {
        /// What to do with a JPEG's EXIF orientation.
        public enum OrientationHandling: Sendable, Hashable {
            /// Turn the pixels upright (the default).
            case apply
            /// Keep the pixels as stored; the orientation is still reported in the metadata.
            case keep
        }

        /// The most pixels an image may declare (default 16384 × 16384).
        public var maxPixelCount: Int
        /// What to do with a JPEG's EXIF orientation (default ``OrientationHandling/apply``).
        public var orientation: OrientationHandling
        /// Whether a JPEG whose data ends early, or whose scan stops before its last block, decodes
        /// anyway, padded and with a warning, as libjpeg does by itself (default `false`: a
        /// ``ImageCodecError/truncated`` or ``ImageCodecError/corrupt`` error).
        public var allowsIncompleteJPEG: Bool

        /// Creates a configuration; every parameter has a safe default.
        public init(
            maxPixelCount: Int = 16384 * 16384,
            orientation: OrientationHandling = .apply,
            allowsIncompleteJPEG: Bool = false
        ) {
            self.maxPixelCount = maxPixelCount
            self.orientation = orientation
            self.allowsIncompleteJPEG = allowsIncompleteJPEG
        }

        func checkPixelCount(width: Int, height: Int, format: ImageFormat) throws {
            let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
            guard width > 0, height > 0 else {
                throw ImageCodecError.corrupt("\(format): the header declares an empty \(width)×\(height) image")
            }
            guard !overflow, pixels <= maxPixelCount else {
                throw ImageCodecError.tooLarge(
                    "\(format): \(width)×\(height) exceeds the limit of \(maxPixelCount) pixels "
                        + "(ImageDecoder.Configuration.maxPixelCount)"
                )
            }
        }
    }

    /// How this decoder decodes.
    public var configuration: Configuration

    /// Creates a decoder.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Decodes a whole image from memory.
    ///
    /// - Throws: ``ImageCodecError``: `unsupported` for data that is neither PNG nor JPEG,
    ///   `truncated`, `corrupt`, `tooLarge`.
    public func decode(_ data: Data) throws -> DecodedImage {
        try data.withUnsafeBytes { raw in
            try decode(from: ImageSource(borrowing: raw))
        }
    }

    /// Decodes a whole image from a file.
    public func decode(contentsOf url: URL) throws -> DecodedImage {
        try decode(from: ImageSource(contentsOf: url))
    }

    /// Opens an image in memory for reading a band of rows at a time (the data is copied once).
    ///
    /// The rows come as stored: a JPEG's EXIF orientation is reported, not applied.
    public func rowReader(for data: Data) throws -> any ImageRowReader {
        try makeReader(ImageSource(copying: data))
    }

    /// Opens an image file for reading a band of rows at a time; only the current band is in memory
    /// (except for Adam7-interlaced PNGs, whose passes span the whole image).
    ///
    /// The rows come as stored: a JPEG's EXIF orientation is reported, not applied.
    public func rowReader(contentsOf url: URL) throws -> any ImageRowReader {
        try makeReader(ImageSource(contentsOf: url))
    }

    private func makeReader(_ source: ImageSource) throws -> any ImageRowReader {
        switch source.format {
        case .png: try PNGRowReader(source: source, configuration: configuration)
        case .jpeg: try JPEGRowReader(source: source, configuration: configuration)
        }
    }

    private func decode(from source: ImageSource) throws -> DecodedImage {
        let reader = try makeReader(source)
        // One band of every row; its storage is uninitialised until decoded, so a decode that
        // fails early touches few pages of a large image.
        var pixels = try reader.readBand(maxRows: reader.info.height)
        let metadata = reader.metadata
        if configuration.orientation == .apply, let orientation = metadata.orientation {
            pixels = pixels.applyingOrientation(orientation)
        }
        return DecodedImage(pixels: pixels, metadata: metadata, warnings: reader.warnings)
    }
}

extension PixelBuffer {
    /// Decodes a PNG or JPEG image from memory with the default ``ImageDecoder``.
    public init(decoding data: Data) throws {
        self = try ImageDecoder().decode(data).pixels
    }

    /// Decodes a PNG or JPEG file with the default ``ImageDecoder``.
    public init(contentsOf url: URL) throws {
        self = try ImageDecoder().decode(contentsOf: url).pixels
    }
}
