import CStoryForgeCodecs
import Foundation

/// Decodes a JPEG through libjpeg(-turbo), a band of rows at a time.
///
/// Delivered rows are 8-bit gray for grayscale files and 8-bit RGB otherwise (YCbCr, RGB, and
/// CMYK/YCCK converted naively, as Pillow does without colour management). Rows come as stored:
/// the EXIF orientation is reported in ``metadata``, and applied by ``ImageDecoder`` for whole images.
final class JPEGRowReader: ImageRowReader {
    let info: ImageInfo
    let metadata: ImageMetadata
    private(set) var nextRow = 0
    private let decoder: OpaquePointer
    private let source: ImageSource
    private var failure: ImageCodecError?

    init(source: ImageSource, configuration: ImageDecoder.Configuration) throws {
        guard let decoder = sf_jpeg_decoder_create(source.cSource, configuration.allowsIncompleteJPEG ? 0 : 1) else {
            throw ImageCodecError.outOfMemory("JPEG: cannot allocate a decoder")
        }
        self.decoder = decoder
        self.source = source
        var header = sf_jpeg_info()
        // libjpeg's big buffers (a progressive image's coefficients: 2 bytes a sample) stay within
        // what an image at the pixel limit needs, so a forged header cannot ask for more.
        // Saturating: a host may set maxPixelCount to Int.max to mean "no limit".
        let (coefficients, overflow) = max(configuration.maxPixelCount, 0).multipliedReportingOverflow(by: 4 * 2)
        let (sum, sumOverflow) = coefficients.addingReportingOverflow(64 << 20)
        let memoryLimit = overflow || sumOverflow ? Int.max : sum
        var status = sf_jpeg_read_header(decoder, memoryLimit, &header)
        if status == SF_OK {
            do {
                try configuration.checkPixelCount(width: Int(header.width), height: Int(header.height), format: .jpeg)
            } catch {
                sf_jpeg_decoder_destroy(decoder)
                throw error
            }
            status = sf_jpeg_start(decoder)
        }
        guard status == SF_OK else {
            let error = ImageCodecError(
                status: status, format: .jpeg, message: String(cString: sf_jpeg_decoder_message(decoder)),
                location: source.name)
            sf_jpeg_decoder_destroy(decoder)
            throw error
        }
        let width = Int(header.width)
        let height = Int(header.height)
        self.info = ImageInfo(
            width: width, height: height, layout: header.channels == 1 ? .gray : .rgb, componentType: .uint8)

        var icc: Data?
        var length = 0
        if let bytes = sf_jpeg_icc_profile(decoder, &length), length > 0 {
            icc = Data(bytes: bytes, count: length)
        }
        var orientation: ImageOrientation?
        if let exif = sf_jpeg_exif(decoder, &length) {
            orientation = ImageOrientation(exif: UnsafeRawBufferPointer(start: exif, count: length))
        }
        let colorModel =
            switch header.source_color_space {
            case 1: "gray"
            case 2: "RGB"
            case 3: "YCbCr"
            case 4: "CMYK"
            case 5: "YCCK"
            default: "unknown"
            }
        self.metadata = ImageMetadata(
            format: .jpeg,
            sourceBitDepth: 8,
            sourceColorModel: colorModel,
            interlaced: header.progressive != 0,
            gamma: nil,
            sRGBIntent: nil,
            colorTag: icc == nil ? .sRGB : .unknown,
            iccProfile: icc,
            textChunks: [],
            orientation: orientation,
            storedWidth: width,
            storedHeight: height
        )
    }

    deinit {
        sf_jpeg_decoder_destroy(decoder)
    }

    var warnings: [ImageCodecWarning] {
        (0..<sf_jpeg_decoder_warning_count(decoder)).map {
            ImageCodecWarning(format: .jpeg, message: String(cString: sf_jpeg_decoder_warning(decoder, $0)))
        }
    }

    func readRows(into destination: UnsafeMutableRawBufferPointer, rowStride: Int, rowCount: Int) throws {
        if let failure { throw failure }
        try validateRowBuffer(
            byteCount: destination.count, rowStride: rowStride, rowCount: rowCount, info: info, nextRow: nextRow)
        guard rowCount > 0, let base = destination.baseAddress else { return }
        do {
            try withRowPointers(base, rowStride, rowCount) {
                try check(sf_jpeg_read_rows(decoder, $0, UInt32(rowCount)))
            }
            nextRow += rowCount
            if nextRow == info.height { try check(sf_jpeg_finish(decoder)) }
        } catch let error as ImageCodecError {
            failure = error
            throw error
        }
    }

    private func check(_ status: sf_status) throws {
        guard status == SF_OK else {
            throw ImageCodecError(
                status: status, format: .jpeg, message: String(cString: sf_jpeg_decoder_message(decoder)),
                location: source.name)
        }
    }
}
