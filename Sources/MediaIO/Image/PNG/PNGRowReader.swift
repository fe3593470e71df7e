import CStoryForgeCodecs
import Foundation

/// Decodes a PNG through libpng, a band of rows at a time.
///
/// Delivered rows: palette images become RGB (RGBA with tRNS), gray of 1, 2 or 4 bits becomes 8-bit
/// gray (scaled, so 1-bit white is 255), a tRNS colour becomes an alpha channel, and 16-bit samples
/// stay 16-bit in host byte order. An Adam7-interlaced image is decoded whole on the first read,
/// since its passes cover the full height; a non-interlaced one needs memory for the band only.
final class PNGRowReader: ImageRowReader {
    let info: ImageInfo
    private(set) var metadata: ImageMetadata
    private(set) var nextRow = 0
    private let decoder: OpaquePointer
    private let source: ImageSource
    private let interlaced: Bool
    private var interlacedRows: [UInt8]?
    private var failure: ImageCodecError?

    /// The error for a header libpng refused. For a bad IHDR libpng's error says only "Invalid IHDR
    /// data"; the reason went to its warnings, so it is added, and a size over libpng's per-side
    /// limit reads as too large.
    private static func headerError(_ decoder: OpaquePointer, status: sf_status, source: ImageSource)
        -> ImageCodecError
    {
        var message = String(cString: sf_png_decoder_message(decoder))
        let reasons = (0..<sf_png_decoder_warning_count(decoder)).map {
            String(cString: sf_png_decoder_warning(decoder, $0))
        }
        guard message.contains("IHDR"), !reasons.isEmpty else {
            return ImageCodecError(status: status, format: .png, message: message, location: source.name)
        }
        if reasons.contains(where: { $0.contains("exceeds user limit") }) {
            var maxWidth: UInt32 = 0
            var maxHeight: UInt32 = 0
            sf_png_decoder_size_limits(decoder, &maxWidth, &maxHeight)
            return .tooLarge(
                "PNG: \(source.name) is over libpng's limit of \(maxWidth) pixels wide and \(maxHeight) high "
                    + "(PNG_USER_WIDTH_MAX/PNG_USER_HEIGHT_MAX): \(reasons.joined(separator: "; "))")
        }
        message += ": " + reasons.joined(separator: "; ")
        return ImageCodecError(status: status, format: .png, message: message, location: source.name)
    }

    init(source: ImageSource, configuration: ImageDecoder.Configuration) throws {
        guard let decoder = sf_png_decoder_create(source.cSource) else {
            throw ImageCodecError.outOfMemory("PNG: cannot allocate a decoder")
        }
        var header = sf_png_info()
        let status = sf_png_read_header(decoder, &header)
        guard status == SF_OK else {
            let error = Self.headerError(decoder, status: status, source: source)
            sf_png_decoder_destroy(decoder)
            throw error
        }
        let width = Int(header.width)
        let height = Int(header.height)
        do {
            try configuration.checkPixelCount(width: width, height: height, format: .png)
            // Deflate cannot expand data more than 1032:1 (a 258-byte match in two bits), so a
            // header declaring more image than the input could hold is a truncated or forged file:
            // refuse it before allocating anything for it.
            let sourceChannels = [0: 1, 2: 3, 3: 1, 4: 2, 6: 4][Int(header.source_color_type)] ?? 4
            let packedRow = (width * sourceChannels * Int(header.source_bit_depth) + 7) / 8
            let (declared, overflow) = packedRow.multipliedReportingOverflow(by: height)
            if overflow || declared > source.byteCount * 1032 + 4096 {
                throw ImageCodecError.truncated(
                    "PNG: \(source.name) declares \(width)×\(height) pixels, more than its \(source.byteCount) "
                        + "bytes can hold"
                )
            }
        } catch {
            sf_png_decoder_destroy(decoder)
            throw error
        }
        let layout: PixelBuffer.Layout =
            switch header.channels {
            case 1: .gray
            case 2: .grayAlpha
            case 3: .rgb
            default: .rgba
            }
        self.info = ImageInfo(
            width: width,
            height: height,
            layout: layout,
            componentType: header.bit_depth == 16 ? .uint16 : .uint8
        )
        self.decoder = decoder
        self.source = source
        self.interlaced = header.interlaced != 0

        var icc: Data?
        var iccLength = 0
        if let bytes = sf_png_icc_profile(decoder, &iccLength), iccLength > 0 {
            icc = Data(bytes: bytes, count: iccLength)
        }
        let gamma = header.has_gamma != 0 ? header.gamma : nil
        let intent = header.srgb_intent >= 0 ? Int(header.srgb_intent) : nil
        let colorTag: PixelBuffer.ColorTag
        if intent != nil {
            colorTag = .sRGB
        } else if icc != nil {
            colorTag = .unknown
        } else if let gamma {
            // gAMA holds the encoding exponent: 1.0 is linear light, 1/2.2 is the sRGB approximation.
            colorTag = abs(gamma - 1) < 0.01 ? .linear : abs(gamma - 0.45455) < 0.01 ? .sRGB : .unknown
        } else {
            colorTag = .sRGB  // PNG (3rd edition) tells decoders to treat untagged images as sRGB
        }
        let colorModel =
            switch header.source_color_type {
            case 0: "gray"
            case 2: "rgb"
            case 3: "palette"
            case 4: "grayAlpha"
            default: "rgba"
            }
        self.metadata = ImageMetadata(
            format: .png,
            sourceBitDepth: Int(header.source_bit_depth),
            sourceColorModel: colorModel,
            interlaced: header.interlaced != 0,
            gamma: gamma,
            sRGBIntent: intent,
            colorTag: colorTag,
            iccProfile: icc,
            textChunks: [],
            orientation: nil,
            storedWidth: width,
            storedHeight: height
        )
        self.metadata.textChunks = readTextChunks()
    }

    deinit {
        sf_png_decoder_destroy(decoder)
    }

    var warnings: [ImageCodecWarning] {
        (0..<sf_png_decoder_warning_count(decoder)).map {
            ImageCodecWarning(format: .png, message: String(cString: sf_png_decoder_warning(decoder, $0)))
        }
    }

    func readRows(into destination: UnsafeMutableRawBufferPointer, rowStride: Int, rowCount: Int) throws {
        if let failure { throw failure }
        try validateRowBuffer(
            byteCount: destination.count,
            rowStride: rowStride,
            rowCount: rowCount,
            info: info,
            nextRow: nextRow
        )
        guard rowCount > 0, let base = destination.baseAddress else { return }
        do {
            if !interlaced {
                try withRowPointers(base, rowStride, rowCount) {
                    try check(sf_png_read_rows(decoder, $0, UInt32(rowCount)))
                }
            } else if nextRow == 0 && rowCount == info.height {
                try withRowPointers(base, rowStride, rowCount) { try check(sf_png_read_image(decoder, $0)) }
            } else {
                try copyInterlacedRows(to: base, rowStride: rowStride, rowCount: rowCount)
            }
            nextRow += rowCount
            if nextRow == info.height {
                try check(sf_png_read_end(decoder))
                metadata.textChunks = readTextChunks()
            }
        } catch let error as ImageCodecError {
            failure = error
            throw error
        }
    }

    private func copyInterlacedRows(to base: UnsafeMutableRawPointer, rowStride: Int, rowCount: Int) throws {
        let rowBytes = info.rowByteCount
        if interlacedRows == nil {
            interlacedRows = try [UInt8](unsafeUninitializedCapacity: rowBytes * info.height) { buffer, count in
                try withRowPointers(UnsafeMutableRawPointer(buffer.baseAddress!), rowBytes, info.height) {
                    try check(sf_png_read_image(decoder, $0))
                }
                count = rowBytes * info.height
            }
        }
        interlacedRows!.withUnsafeBytes { all in
            for row in 0..<rowCount {
                (base + row * rowStride).copyMemory(
                    from: all.baseAddress! + (nextRow + row) * rowBytes, byteCount: rowBytes)
            }
        }
        if nextRow + rowCount == info.height { interlacedRows = nil }
    }

    private func readTextChunks() -> [ImageTextChunk] {
        (0..<sf_png_text_count(decoder)).compactMap { index in
            var key: UnsafePointer<CChar>?
            var text: UnsafePointer<CChar>?
            var length = 0
            var international: Int32 = 0
            var compressed: Int32 = 0
            guard sf_png_text(decoder, Int32(index), &key, &text, &length, &international, &compressed) == SF_OK,
                let key, let text
            else { return nil }
            let bytes = UnsafeRawBufferPointer(start: text, count: length)
            let value =
                international != 0
                ? String(decoding: bytes, as: UTF8.self) : String(bytes.map { Character(Unicode.Scalar($0)) })
            let keyword = String(
                UnsafeRawBufferPointer(start: key, count: strlen(key)).map { Character(Unicode.Scalar($0)) }
            )
            return ImageTextChunk(
                keyword: keyword, text: value, compressed: compressed != 0, international: international != 0)
        }
    }

    private func check(_ status: sf_status) throws {
        guard status == SF_OK else {
            throw ImageCodecError(
                status: status, format: .png, message: String(cString: sf_png_decoder_message(decoder)),
                location: source.name)
        }
    }
}
