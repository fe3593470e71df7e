import CStoryForgeCodecs
import Foundation

/// Encodes a PNG through libpng, a band of rows at a time, into memory or an ``AtomicFile``.
///
/// 8- and 16-bit rows are written as they are; Float32 rows are converted to 16 bits.
final class PNGRowWriter: ImageRowWriter {
    let info: ImageInfo
    private(set) var nextRow = 0
    private let encoder: OpaquePointer
    private let file: AtomicFile?
    private var failure: ImageCodecError?

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
        guard info.width > 0, info.height > 0, info.width <= 0x7FFF_FFFF, info.height <= 0x7FFF_FFFF else {
            throw ImageCodecError.invalidArgument("PNG dimensions must be 1...2³¹−1, got \(info.width)×\(info.height)")
        }
        guard let encoder = sf_png_encoder_create(sf_sink(file: file?.handle)) else {
            throw ImageCodecError.outOfMemory("PNG: cannot allocate an encoder")
        }
        self.info = info
        self.encoder = encoder
        self.file = file
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

    func writeRows(from source: UnsafeRawBufferPointer, rowStride: Int, rowCount: Int) throws {
        if let failure { throw failure }
        try validateRowBuffer(
            byteCount: source.count, rowStride: rowStride, rowCount: rowCount, info: info, nextRow: nextRow)
        guard rowCount > 0, let base = source.baseAddress else { return }
        do {
            if info.componentType == .float32 {
                let band = try PixelBuffer(copyingRows: base, rowStride: rowStride, rowCount: rowCount, info: info)
                    .converted(to: .uint16)
                try band.withUnsafeBytes { raw in
                    try writeConverted(raw.baseAddress!, band.rowStride, rowCount)
                }
            } else {
                try writeConverted(base, rowStride, rowCount)
            }
            nextRow += rowCount
        } catch let error as ImageCodecError {
            failure = error
            throw error
        }
    }

    private func writeConverted(_ base: UnsafeRawPointer, _ stride: Int, _ count: Int) throws {
        try withRowPointers(base, stride, count) { try check(sf_png_write_rows(encoder, $0, UInt32(count))) }
    }

    func finish() throws {
        if let failure { throw failure }
        try check(sf_png_write_end(encoder))
        try file?.commit()
    }

    /// The encoded bytes of a writer without a file, after ``finish()``.
    func takeOutput() -> Data {
        var length = 0
        guard let bytes = sf_png_encoder_output(encoder, &length, 1) else { return Data() }
        return Data(bytesNoCopy: bytes, count: length, deallocator: .free)
    }

    private func check(_ status: sf_status) throws {
        guard status == SF_OK else {
            throw ImageCodecError(
                status: status,
                format: .png,
                message: String(cString: sf_png_encoder_message(encoder)),
                location: file?.destination,
                encoding: true
            )
        }
    }
}
