import CStoryForgeCodecs
import Foundation

/// What a format's C encoder provides to ``CodecRowWriter``: the header is written when it is
/// created, then rows, then the end.
protocol RowEncoder: AnyObject {
    /// The format written.
    var format: ImageFormat { get }
    /// Whether rows of the writer's ``ImageInfo`` go to the encoder as they are.
    var passesThrough: Bool { get }
    /// A band converted to what the encoder takes, for rows that do not pass through.
    func converted(_ band: PixelBuffer) -> PixelBuffer
    func encode(rows: UnsafePointer<UnsafePointer<UInt8>?>, count: UInt32) -> sf_status
    func end() -> sf_status
    /// The encoded bytes of an encoder without a file; ownership passes to the caller (`free`).
    func takeOutput(length: inout Int) -> UnsafeMutablePointer<UInt8>?
    /// The C layer's message for the last failure.
    var message: String { get }
}

/// The format-independent half of a row writer: validation, conversion of bands the encoder cannot
/// take as they are, the first failure latched, and publishing the file on ``finish()``.
final class CodecRowWriter<Encoder: RowEncoder>: ImageRowWriter {
    let info: ImageInfo
    private(set) var nextRow = 0
    private let encoder: Encoder
    private let file: AtomicFile?
    private var failure: ImageCodecError?

    init(info: ImageInfo, encoder: Encoder, file: AtomicFile?) {
        self.info = info
        self.encoder = encoder
        self.file = file
    }

    func writeRows(from source: UnsafeRawBufferPointer, rowStride: Int, rowCount: Int) throws {
        if let failure { throw failure }
        try validateRowBuffer(
            byteCount: source.count,
            rowStride: rowStride,
            rowCount: rowCount,
            info: info,
            nextRow: nextRow
        )
        guard rowCount > 0, let base = source.baseAddress else { return }
        do {
            if encoder.passesThrough {
                try encode(base, rowStride, rowCount)
            } else {
                let band = encoder.converted(
                    try PixelBuffer(copyingRows: base, rowStride: rowStride, rowCount: rowCount, info: info)
                )
                try band.withUnsafeBytes { raw in try encode(raw.baseAddress!, band.rowStride, rowCount) }
            }
            nextRow += rowCount
        } catch let error as ImageCodecError {
            failure = error
            throw error
        }
    }

    private func encode(_ base: UnsafeRawPointer, _ stride: Int, _ count: Int) throws {
        try withRowPointers(base, stride, count) { try check(encoder.encode(rows: $0, count: UInt32(count))) }
    }

    func finish() throws {
        if let failure { throw failure }
        try check(encoder.end())
        try file?.commit()
    }

    /// The encoded bytes of a writer without a file, after ``finish()``.
    func takeOutput() -> Data {
        var length = 0
        guard let bytes = encoder.takeOutput(length: &length) else { return Data() }
        return Data(bytesNoCopy: bytes, count: length, deallocator: .free)
    }

    private func check(_ status: sf_status) throws {
        guard status == SF_OK else {
            throw ImageCodecError(
                status: status,
                format: encoder.format,
                message: encoder.message,
                location: file?.destination,
                encoding: true
            )
        }
    }
}
