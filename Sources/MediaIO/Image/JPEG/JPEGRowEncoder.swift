import CStoryForgeCodecs
import Foundation

/// libjpeg(-turbo)'s encoder, for ``CodecRowWriter``: the header (with ICC markers) is written on
/// creation.
///
/// JPEG holds 8-bit gray or colour without alpha: 16-bit and Float32 rows are converted to 8 bits,
/// and alpha is dropped (not composited). 8-bit RGBA goes in as RGBX (libjpeg-turbo skips the
/// fourth byte).
final class JPEGRowEncoder: RowEncoder {
    let format = ImageFormat.jpeg
    let passesThrough: Bool
    private let layout: PixelBuffer.Layout
    private let encoder: OpaquePointer
    private let destination: String?

    init(info: ImageInfo, options: ImageEncoder.JPEGOptions, iccProfile: Data?, file: AtomicFile?) throws {
        guard (1...100).contains(options.quality) else {
            throw ImageCodecError.invalidArgument("JPEG quality must be 1...100, got \(options.quality)")
        }
        guard info.width > 0, info.height > 0 else {
            throw ImageCodecError.invalidArgument("JPEG dimensions must be positive, got \(info.width)×\(info.height)")
        }
        // 65,500: libjpeg's JPEG_MAX_DIMENSION (jmorecfg.h), a little under the format's 16-bit 65,535.
        guard info.width <= 65500, info.height <= 65500 else {
            throw ImageCodecError.tooLarge(
                "JPEG: a \(info.width)×\(info.height) image cannot be written: JPEG holds at most 65500 pixels per "
                    + "side (libjpeg's JPEG_MAX_DIMENSION); write a PNG (up to 1000000 per side) or a smaller image")
        }
        guard let encoder = sf_jpeg_encoder_create(sf_sink(file: file?.handle)) else {
            throw ImageCodecError.outOfMemory("JPEG: cannot allocate an encoder")
        }
        self.encoder = encoder
        self.destination = file?.destination
        self.layout = info.layout
        self.passesThrough = info.componentType == .uint8 && info.layout != .grayAlpha
        var settings = sf_jpeg_encode_settings()
        settings.width = UInt32(info.width)
        settings.height = UInt32(info.height)
        settings.channels = Self.encodedChannels(info)
        settings.quality = Int32(options.quality)
        settings.subsampling = Int32(options.chromaSubsampling.rawValue)
        settings.progressive = options.progressive ? 1 : 0
        settings.optimize_coding = options.optimizeCoding ? 1 : 0
        if let iccProfile, !iccProfile.isEmpty {
            try iccProfile.withUnsafeBytes { raw in
                settings.icc_profile = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
                settings.icc_length = raw.count
                try check(sf_jpeg_write_header(encoder, &settings))
            }
        } else {
            try check(sf_jpeg_write_header(encoder, &settings))
        }
    }

    deinit {
        sf_jpeg_encoder_destroy(encoder)
    }

    /// 8-bit gray and RGB go straight in; RGBA goes in as RGBX; everything else is converted per band.
    private static func encodedChannels(_ info: ImageInfo) -> Int32 {
        switch info.layout {
        case .gray, .grayAlpha: 1
        case .rgb: 3
        case .rgba: info.componentType == .uint8 ? 4 : 3
        }
    }

    func converted(_ band: PixelBuffer) -> PixelBuffer {
        band.converted(to: layout.withoutAlpha, componentType: .uint8)
    }

    func encode(rows: UnsafePointer<UnsafePointer<UInt8>?>, count: UInt32) -> sf_status {
        sf_jpeg_write_rows(encoder, rows, count)
    }

    func end() -> sf_status { sf_jpeg_write_end(encoder) }

    func takeOutput(length: inout Int) -> UnsafeMutablePointer<UInt8>? { sf_jpeg_encoder_output(encoder, &length, 1) }

    var message: String { String(cString: sf_jpeg_encoder_message(encoder)) }

    private func check(_ status: sf_status) throws {
        guard status == SF_OK else {
            throw ImageCodecError(
                status: status, format: .jpeg, message: message, location: destination, encoding: true)
        }
    }
}
