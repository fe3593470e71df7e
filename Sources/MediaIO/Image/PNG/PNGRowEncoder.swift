import CStoryForgeCodecs
import Foundation

/// libpng's encoder, for ``CodecRowWriter``: the header (with text, ICC and colour chunks) is
/// written on creation.
///
/// 8- and 16-bit rows are written as they are; Float32 rows are converted to 16 bits.
final class PNGRowEncoder: RowEncoder {
    let format = ImageFormat.png
    let passesThrough: Bool
    private let encoder: OpaquePointer
    private let destination: String?

    init(
        info: ImageInfo,
        options: ImageEncoder.PNGOptions,
        colorTag: PixelBuffer.ColorTag,
        iccProfile: Data?,
        file: AtomicFile?
    ) throws {
        guard (0...9).contains(options.compressionLevel) else {
            throw ImageCodecError.invalidArgument(
                "PNG compression level must be 0...9, got \(options.compressionLevel)")
        }
        guard info.width > 0, info.height > 0 else {
            throw ImageCodecError.invalidArgument("PNG dimensions must be positive, got \(info.width)×\(info.height)")
        }
        guard let encoder = sf_png_encoder_create(sf_sink(file: file?.handle)) else {
            throw ImageCodecError.outOfMemory("PNG: cannot allocate an encoder")
        }
        self.encoder = encoder
        self.destination = file?.destination
        self.passesThrough = info.componentType != .float32
        // libpng would only say "Invalid IHDR data" (its size warning goes to the warning handler).
        var maxWidth: UInt32 = 0
        var maxHeight: UInt32 = 0
        sf_png_encoder_size_limits(encoder, &maxWidth, &maxHeight)
        guard info.width <= Int(maxWidth), info.height <= Int(maxHeight) else {
            throw ImageCodecError.tooLarge(Self.sizeLimitMessage(info.width, info.height, maxWidth, maxHeight))
        }
        for chunk in options.textChunks {
            let keyword = chunk.keyword
            guard keyword.unicodeScalars.allSatisfy({ (0x20...0xFF).contains($0.value) }) else {
                throw ImageCodecError.invalidArgument(
                    "PNG text keyword \(keyword.debugDescription) must be printable Latin-1")
            }
            guard chunk.international || chunk.text.unicodeScalars.allSatisfy({ $0.value <= 0xFF && $0.value != 0 })
            else {
                throw ImageCodecError.invalidArgument(
                    "PNG text for \(keyword.debugDescription) needs an international chunk")
            }
            // tEXt/zTXt hold Latin-1 bytes; libpng takes them as a C string.
            let keyBytes = keyword.unicodeScalars.map { CChar(bitPattern: UInt8($0.value)) } + [0]
            let textBytes =
                chunk.international
                ? Array(chunk.text.utf8CString)
                : chunk.text.unicodeScalars.map { CChar(bitPattern: UInt8($0.value)) } + [0]
            try check(
                sf_png_encoder_add_text(
                    encoder, keyBytes, textBytes, chunk.international ? 1 : 0, chunk.compressed ? 1 : 0)
            )
        }
        var settings = sf_png_encode_settings()
        settings.width = UInt32(info.width)
        settings.height = UInt32(info.height)
        settings.channels = Int32(info.layout.channelCount)
        settings.bit_depth = info.componentType == .uint8 ? 8 : 16
        settings.compression_level = Int32(options.compressionLevel)
        settings.srgb_intent = options.writesColorChunks && colorTag == .sRGB ? 0 : -1  // 0: perceptual
        settings.gamma = options.writesColorChunks && colorTag == .linear ? 1.0 : 0
        if let iccProfile, !iccProfile.isEmpty {
            try iccProfile.withUnsafeBytes { raw in
                settings.icc_profile = raw.baseAddress?.assumingMemoryBound(to: UInt8.self)
                settings.icc_length = raw.count
                try check(sf_png_write_header(encoder, &settings))
            }
        } else {
            try check(sf_png_write_header(encoder, &settings))
        }
    }

    deinit {
        sf_png_encoder_destroy(encoder)
    }

    /// Why libpng refuses a size: its per-side limit, not the format's 2³¹−1.
    static func sizeLimitMessage(_ width: Int, _ height: Int, _ maxWidth: UInt32, _ maxHeight: UInt32) -> String {
        let side = width > Int(maxWidth) ? "width \(width) is over" : "height \(height) is over"
        let limit = width > Int(maxWidth) ? maxWidth : maxHeight
        return "PNG: a \(width)×\(height) image cannot be written: its \(side) libpng's limit of \(limit) pixels per "
            + "side (PNG_USER_WIDTH_MAX/PNG_USER_HEIGHT_MAX; the PNG format allows 2³¹−1, but libpng reads and writes "
            + "at most this); make it smaller, or split it into tiles"
    }

    func converted(_ band: PixelBuffer) -> PixelBuffer { band.converted(to: .uint16) }

    func encode(rows: UnsafePointer<UnsafePointer<UInt8>?>, count: UInt32) -> sf_status {
        sf_png_write_rows(encoder, rows, count)
    }

    func end() -> sf_status { sf_png_write_end(encoder) }

    func takeOutput(length: inout Int) -> UnsafeMutablePointer<UInt8>? { sf_png_encoder_output(encoder, &length, 1) }

    var message: String { String(cString: sf_png_encoder_message(encoder)) }

    private func check(_ status: sf_status) throws {
        guard status == SF_OK else {
            throw ImageCodecError(status: status, format: .png, message: message, location: destination, encoding: true)
        }
    }
}
