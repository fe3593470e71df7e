import CStoryForgeCodecs
import Foundation

/// Encodes a JPEG through libjpeg(-turbo), a band of rows at a time, into memory or an
/// ``AtomicFile``.
///
/// JPEG holds 8-bit gray or colour without alpha: 16-bit and Float32 rows are converted to 8 bits,
/// and alpha is dropped (not composited).
final class JPEGRowWriter: ImageRowWriter {
    let info: ImageInfo
    private(set) var nextRow = 0
    private let encoder: OpaquePointer
    private let file: AtomicFile?
    private var failure: ImageCodecError?

    init(info: ImageInfo, options: ImageEncoder.JPEGOptions, iccProfile: Data?, file: AtomicFile?) throws {
        guard (1...100).contains(options.quality) else {
            throw ImageCodecError.invalidArgument("JPEG quality must be 1...100, got \(options.quality)")
        }
        guard (1...65500).contains(info.width), (1...65500).contains(info.height) else {
            throw ImageCodecError.invalidArgument("JPEG dimensions must be 1...65500, got \(info.width)×\(info.height)")
        }
        guard let encoder = sf_jpeg_encoder_create(sf_sink(file: file?.handle)) else {
            throw ImageCodecError.outOfMemory("JPEG: cannot allocate an encoder")
        }
        self.info = info
        self.encoder = encoder
        self.file = file
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

    /// 8-bit gray and RGB go straight in; RGBA goes in as RGBX (libjpeg-turbo skips the fourth
    /// byte); everything else is converted per band.
    private static func encodedChannels(_ info: ImageInfo) -> Int32 {
        switch info.layout {
        case .gray, .grayAlpha: 1
        case .rgb: 3
        case .rgba: info.componentType == .uint8 ? 4 : 3
        }
    }

    private var passesThrough: Bool {
        info.componentType == .uint8 && info.layout != .grayAlpha
    }

    func writeRows(from source: UnsafeRawBufferPointer, rowStride: Int, rowCount: Int) throws {
        if let failure { throw failure }
        try validateRowBuffer(
            byteCount: source.count, rowStride: rowStride, rowCount: rowCount, info: info, nextRow: nextRow)
        guard rowCount > 0, let base = source.baseAddress else { return }
        do {
            if passesThrough {
                try writeEncoded(base, rowStride, rowCount)
            } else {
                let band = try PixelBuffer(copyingRows: base, rowStride: rowStride, rowCount: rowCount, info: info)
                    .converted(to: info.layout.withoutAlpha, componentType: .uint8)
                try band.withUnsafeBytes { raw in try writeEncoded(raw.baseAddress!, band.rowStride, rowCount) }
            }
            nextRow += rowCount
        } catch let error as ImageCodecError {
            failure = error
            throw error
        }
    }

    private func writeEncoded(_ base: UnsafeRawPointer, _ stride: Int, _ count: Int) throws {
        try withRowPointers(base, stride, count) { try check(sf_jpeg_write_rows(encoder, $0, UInt32(count))) }
    }

    func finish() throws {
        if let failure { throw failure }
        try check(sf_jpeg_write_end(encoder))
        try file?.commit()
    }

    /// The encoded bytes of a writer without a file, after ``finish()``.
    func takeOutput() -> Data {
        var length = 0
        guard let bytes = sf_jpeg_encoder_output(encoder, &length, 1) else { return Data() }
        return Data(bytesNoCopy: bytes, count: length, deallocator: .free)
    }

    private func check(_ status: sf_status) throws {
        guard status == SF_OK else {
            throw ImageCodecError(
                status: status,
                format: .jpeg,
                message: String(cString: sf_jpeg_encoder_message(encoder)),
                location: file?.destination,
                encoding: true
            )
        }
    }
}
