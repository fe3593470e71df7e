import Foundation
import MediaIO

/// A still converted once to planar BT.709 limited-range YCbCr at full resolution: luma at the
/// image's size, Cb and Cr at half its width and height (rounded up), each chroma sample the mean of
/// its 2×2 block (centred siting). The frame renderer resamples these planes straight into yuv420p
/// frames, so no frame goes through RGB.
struct YCbCrStill: Sendable {
    let width: Int
    let height: Int
    let chromaWidth: Int
    let chromaHeight: Int
    let luma: [UInt8]
    let cb: [UInt8]
    let cr: [UInt8]

    /// Decoded bytes (luma and both chroma planes).
    var byteCount: Int { luma.count + cb.count + cr.count }

    // BT.709 (ITU-R BT.709-6 table 3: Kr 0.2126, Kb 0.0722), limited range (219 luma steps from 16,
    // 224 chroma steps about 128), on gamma-encoded 8-bit R'G'B' as ffmpeg's `colorspace=bt709` reads
    // it; Q16 fixed point, rounded.
    private static let kr = 0.2126
    private static let kb = 0.0722
    private static let kg = 1 - kr - kb
    private static func q16(_ value: Double) -> Int32 { Int32((value * 65536).rounded()) }
    private static let yR = q16(219.0 / 255 * kr)
    private static let yG = q16(219.0 / 255 * kg)
    private static let yB = q16(219.0 / 255 * kb)
    private static let cbR = q16(-224.0 / 255 * kr / (2 * (1 - kb)))
    private static let cbG = q16(-224.0 / 255 * kg / (2 * (1 - kb)))
    private static let cbB = q16(224.0 / 255 * 0.5)
    private static let crR = q16(224.0 / 255 * 0.5)
    private static let crG = q16(-224.0 / 255 * kg / (2 * (1 - kr)))
    private static let crB = q16(-224.0 / 255 * kb / (2 * (1 - kr)))

    /// Decodes `url` through `decoder` (its limits apply) and converts it, a band of rows at a time
    /// for an upright image, so the RGB picture is never whole in memory.
    ///
    /// - Throws: ``MediaIO/ImageCodecError`` (its message names the file) or ``UpscaleError/tooLarge``.
    static func decode(_ url: URL, decoder: ImageDecoder) throws -> YCbCrStill {
        do {
            let reader = try decoder.rowReader(contentsOf: url)
            let upright = (reader.metadata.orientation ?? .topLeft) == .topLeft
            if !upright && decoder.configuration.orientation == .apply {
                let image = try decoder.decode(contentsOf: url).pixels
                var builder = try Builder(width: image.width, height: image.height, url: url)
                builder.add(image)
                return builder.finish()
            }
            var builder = try Builder(width: reader.info.width, height: reader.info.height, url: url)
            // 64 rows (even, so chroma pairs never straddle bands): a few hundred kilobytes of RGB.
            while reader.nextRow < reader.info.height {
                builder.add(try reader.readBand(maxRows: 64))
            }
            return builder.finish()
        } catch let error as ImageCodecError {
            throw error.naming(url)
        }
    }

    /// Accumulates bands of rows into the planes.
    private struct Builder {
        let width: Int
        let height: Int
        let chromaWidth: Int
        let chromaHeight: Int
        var luma: [UInt8]
        var cb: [UInt8]
        var cr: [UInt8]
        var row = 0
        /// The previous band's last row when it ended on an even row (its chroma pair comes next).
        var carry: [UInt8] = []

        init(width: Int, height: Int, url: URL) throws {
            let (pixels, overflow) = width.multipliedReportingOverflow(by: height)
            guard width > 0, height > 0, !overflow, pixels <= Int(Int32.max) else {
                throw UpscaleError.tooLarge("\(url.path): a \(width)×\(height) still is too large to render")
            }
            self.width = width
            self.height = height
            chromaWidth = (width + 1) / 2
            chromaHeight = (height + 1) / 2
            luma = [UInt8](repeating: 0, count: pixels)
            cb = [UInt8](repeating: 128, count: chromaWidth * chromaHeight)
            cr = [UInt8](repeating: 128, count: chromaWidth * chromaHeight)
        }

        mutating func add(_ band: PixelBuffer) {
            let rgb =
                band.layout == .rgb && band.componentType == .uint8
                ? band.compacted() : band.converted(to: .rgb, componentType: .uint8)
            let rowBytes = width * 3
            rgb.withUnsafeBytes { raw in
                let bytes = raw.bindMemory(to: UInt8.self)
                var r = 0
                while r < rgb.height {
                    let top = UnsafeBufferPointer(rebasing: bytes[(r * rowBytes)..<((r + 1) * rowBytes)])
                    if !carry.isEmpty {
                        carry.withUnsafeBufferPointer { first in convertPair(first, top, y: row - 1) }
                        carry = []
                        writeLuma(top, y: row)
                        row += 1
                        r += 1
                        continue
                    }
                    if r + 1 < rgb.height {
                        let bottom = UnsafeBufferPointer(rebasing: bytes[((r + 1) * rowBytes)..<((r + 2) * rowBytes)])
                        writeLuma(top, y: row)
                        writeLuma(bottom, y: row + 1)
                        convertPair(top, bottom, y: row)
                        row += 2
                        r += 2
                    } else {
                        writeLuma(top, y: row)
                        if row + 1 < height {
                            carry = Array(top)
                        } else {
                            convertPair(top, top, y: row)
                        }
                        row += 1
                        r += 1
                    }
                }
            }
        }

        private mutating func writeLuma(_ rgb: UnsafeBufferPointer<UInt8>, y: Int) {
            let width = self.width
            let (cR, cG, cB) = (YCbCrStill.yR, YCbCrStill.yG, YCbCrStill.yB)
            luma.withUnsafeMutableBufferPointer { plane in
                let out = plane.baseAddress! + y * width
                for x in 0..<width {
                    let sum = cR * Int32(rgb[3 * x]) + cG * Int32(rgb[3 * x + 1]) + cB * Int32(rgb[3 * x + 2])
                    out[x] = UInt8(clamping: (sum + (16 << 16) + 32768) >> 16)
                }
            }
        }

        /// Chroma of rows `y` and `y + 1` (the same row twice at an odd bottom edge).
        private mutating func convertPair(
            _ top: UnsafeBufferPointer<UInt8>, _ bottom: UnsafeBufferPointer<UInt8>, y: Int
        ) {
            let width = self.width
            let chromaWidth = self.chromaWidth
            let rowStart = (y / 2) * chromaWidth
            cb.withUnsafeMutableBufferPointer { cbPlane in
                cr.withUnsafeMutableBufferPointer { crPlane in
                    for cx in 0..<chromaWidth {
                        let left = 2 * cx
                        let right = min(left + 1, width - 1)
                        let (l, k) = (3 * left, 3 * right)
                        let r = Int32(top[l]) + Int32(bottom[l]) + Int32(top[k]) + Int32(bottom[k])
                        let g = Int32(top[l + 1]) + Int32(bottom[l + 1]) + Int32(top[k + 1]) + Int32(bottom[k + 1])
                        let b = Int32(top[l + 2]) + Int32(bottom[l + 2]) + Int32(top[k + 2]) + Int32(bottom[k + 2])
                        // Sums of four pixels: Q16 coefficients, two more fractional bits.
                        let u = YCbCrStill.cbR * r + YCbCrStill.cbG * g + YCbCrStill.cbB * b
                        let v = YCbCrStill.crR * r + YCbCrStill.crG * g + YCbCrStill.crB * b
                        cbPlane[rowStart + cx] = UInt8(clamping: (u + (128 << 18) + (1 << 17)) >> 18)
                        crPlane[rowStart + cx] = UInt8(clamping: (v + (128 << 18) + (1 << 17)) >> 18)
                    }
                }
            }
        }

        func finish() -> YCbCrStill {
            YCbCrStill(
                width: width, height: height, chromaWidth: chromaWidth, chromaHeight: chromaHeight, luma: luma, cb: cb,
                cr: cr)
        }
    }
}

extension ImageCodecError {
    /// The same kind of error with the file's path in front of the message, so that a composer's log
    /// says which still of which shot failed.
    func naming(_ url: URL) -> ImageCodecError {
        let path = url.path
        if message.contains(path) { return self }
        let message = "\(path): \(self.message)"
        switch code {
        case .truncated: return .truncated(message, underlying: self)
        case .corrupt: return .corrupt(message, underlying: self)
        case .unsupported: return .unsupported(message, underlying: self)
        case .tooLarge: return .tooLarge(message, underlying: self)
        case .io: return .io(message, underlying: self)
        case .outOfMemory: return .outOfMemory(message, underlying: self)
        default: return .invalidArgument(message, underlying: self)
        }
    }
}
