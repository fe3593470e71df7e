import Foundation
import MediaIO
import Testing

/// Sizes at the overflow boundaries (Int.max, 2³¹, 2³², width × height × channels overflowing) and
/// at the codecs' real limits: every one is a typed error, never a trap or an aborted allocation.
@Suite("Hostile image sizes")
struct HostileSizeTests {
    static let boundaries = [Int.max, 1 << 32, (1 << 32) - 1, 1 << 31, (1 << 31) - 1, 1 << 62, 3_037_000_500]

    @Test("PixelBuffer refuses sizes that overflow or that no memory holds")
    func pixelBufferSizes() {
        // Every size here overflows or needs more than 2⁶² bytes: refused whatever the machine's memory.
        for width in Self.boundaries {
            for height in [1 << 31, 1 << 32, width] {
                for type in PixelBuffer.ComponentType.allCases {
                    #expect(throws: ImageCodecError.self, "\(width)×\(height) \(type)") {
                        _ = try PixelBuffer(width: width, height: height, layout: .rgba, componentType: type)
                    }
                }
            }
        }
        // 3,037,000,500² overflows Int by itself; × 4 channels × 4 bytes overflows far smaller sizes.
        let error = #expect(throws: ImageCodecError.self) {
            _ = try PixelBuffer(width: 1 << 31, height: 1 << 31, layout: .rgba, componentType: .float32)
        }
        #expect(error?.code == .invalidArgument)
        // No overflow, but a petabyte: refused before the allocation would abort the process.
        let error2 = #expect(throws: ImageCodecError.self) {
            _ = try PixelBuffer(width: 1 << 25, height: 1 << 25, layout: .gray, componentType: .uint8)
        }
        #expect(error2?.code == .outOfMemory)
        for (width, height) in [(0, 1), (1, 0), (-1, 5), (5, Int.min)] {
            let error3 = #expect(throws: ImageCodecError.self) {
                _ = try PixelBuffer(width: width, height: height, layout: .gray, componentType: .uint8)
            }
            #expect(error3?.code == .invalidArgument)
        }
        let error4 = #expect(throws: ImageCodecError.self) {
            _ = try PixelBuffer(width: 4, height: 4, layout: .gray, componentType: .uint8, rowStride: Int.max)
        }
        #expect(error4?.code == .invalidArgument)
        let error5 = #expect(throws: ImageCodecError.self) {
            _ = try PixelBuffer(width: 4, height: 4, layout: .gray, componentType: .uint8, bytes: [0], rowStride: -4)
        }
        #expect(error5?.code == .invalidArgument)
        #expect(ImageInfo(width: .max, height: 1, layout: .rgba, componentType: .float32).rowByteCount == .max)
    }

    @Test("PNG headers at the overflow boundaries are refused, with libpng's reason")
    func pngHeaders() throws {
        let original = [UInt8](try Fixture.data("png-rgb-8.png"))
        let sizes: [(UInt32, UInt32)] = [
            (0xFFFF_FFFF, 1), (0x8000_0000, 1), (0x7FFF_FFFF, 1), (1, 0x8000_0000), (0x7FFF_FFFF, 0x7FFF_FFFF),
            (1_000_001, 1), (1, 1_000_001), (65_536, 65_536), (0, 1), (1, 0),
        ]
        for (width, height) in sizes {
            var png = original
            CorruptInputTests.setPNGSize(&png, width: width, height: height)
            do {
                _ = try ImageDecoder().decode(Data(png))
                Issue.record("decoded a \(width)×\(height) PNG")
            } catch let error as ImageCodecError {
                #expect(
                    error.code == .tooLarge || error.code == .corrupt || error.code == .truncated,
                    "\(width)×\(height): \(error)")
                // Never libpng's bare "Invalid IHDR data": its reason comes along.
                #expect(!error.message.hasSuffix("Invalid IHDR data"), "\(error)")
            }
        }
        var wide = original
        CorruptInputTests.setPNGSize(&wide, width: 1_000_001, height: 1)
        do {
            _ = try ImageDecoder().decode(Data(wide))
        } catch let error as ImageCodecError {
            #expect(error.code == .tooLarge)
            #expect(error.message.contains("libpng's limit of 1000000 pixels wide"), "\(error)")
        }
    }

    @Test("a pixel limit of Int.max or below zero does not overflow the decoders' memory bounds")
    func extremePixelLimits() throws {
        for name in ["jpeg-baseline-420-q90.jpg", "jpeg-progressive-420-q85.jpg", "png-rgb-8.png"] {
            let data = try Fixture.data(name)
            let unlimited = try ImageDecoder(configuration: .init(maxPixelCount: .max)).decode(data)
            #expect(unlimited.pixels == (try ImageDecoder().decode(data)).pixels, "\(name)")
            let error = #expect(throws: ImageCodecError.self, "\(name)") {
                _ = try ImageDecoder(configuration: .init(maxPixelCount: .min)).decode(data)
            }
            #expect(error?.code == .tooLarge, "\(name)")
        }
    }

    @Test("a JPEG frame of 65,535² is refused (libjpeg's own limit is 65,500)")
    func jpegHeaders() throws {
        var jpeg = [UInt8](try Fixture.data("jpeg-baseline-420-q90.jpg"))
        try CorruptInputTests.setJPEGSize(&jpeg, width: 65_535, height: 65_535)
        #expect(throws: ImageCodecError.self) { _ = try ImageDecoder().decode(Data(jpeg)) }
    }

    @Test("a PNG wider than libpng's 1,000,000 says so; one exactly that wide round-trips")
    func pngWidthLimit() throws {
        let tooWide = try PixelBuffer(width: 1_000_001, height: 1, layout: .gray, componentType: .uint8)
        do {
            _ = try ImageEncoder(format: .png()).encode(tooWide)
            Issue.record("encoded a 1000001-pixel-wide PNG")
        } catch let error as ImageCodecError {
            #expect(error.code == .tooLarge)
            #expect(error.message.contains("width 1000001 is over libpng's limit of 1000000 pixels"), "\(error)")
            #expect(error.message.contains("2³¹−1"))
            #expect(!error.message.contains("Invalid IHDR"))
        }
        let directory = try makeTemporaryDirectory("png-limit")
        defer { try? FileManager.default.removeItem(at: directory) }
        for info in [
            ImageInfo(width: Int.max, height: 1, layout: .rgba, componentType: .uint16),
            ImageInfo(width: 1 << 31, height: 1, layout: .gray, componentType: .uint8),
            ImageInfo(width: 1, height: 1 << 32, layout: .gray, componentType: .uint8),
            ImageInfo(width: 1, height: 1_000_001, layout: .rgb, componentType: .uint8),
        ] {
            let error2 = #expect(throws: ImageCodecError.self, "\(info)") {
                _ = try ImageEncoder(format: .png()).rowWriter(
                    to: directory.appendingPathComponent("a.png"), info: info)
            }
            #expect(error2?.code == .tooLarge, "\(info)")
        }
        var edge = try PixelBuffer(width: 1_000_000, height: 1, layout: .gray, componentType: .uint8)
        edge.setComponent(1, x: 999_999, y: 0, channel: 0)
        let decoded = try ImageDecoder().decode(ImageEncoder(format: .png()).encode(edge)).pixels
        #expect(decoded == edge)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty, "a partial file was left")
    }

    @Test("a JPEG past 65,500 pixels says so")
    func jpegSizeLimit() throws {
        let directory = try makeTemporaryDirectory("jpeg-limit")
        defer { try? FileManager.default.removeItem(at: directory) }
        for info in [
            ImageInfo(width: 65_501, height: 1, layout: .rgb, componentType: .uint8),
            ImageInfo(width: 1, height: Int.max, layout: .rgb, componentType: .uint8),
        ] {
            do {
                _ = try ImageEncoder(format: .jpeg()).rowWriter(
                    to: directory.appendingPathComponent("a.jpg"), info: info)
                Issue.record("opened a JPEG writer for \(info)")
            } catch let error as ImageCodecError {
                #expect(error.code == .tooLarge)
                #expect(error.message.contains("65500 pixels per side"), "\(error)")
            }
        }
        let edge = try PixelBuffer(width: 65_500, height: 1, layout: .gray, componentType: .uint8)
        #expect(try ImageDecoder().decode(ImageEncoder(format: .jpeg()).encode(edge)).pixels.width == 65_500)
    }

    @Test("row buffers with huge strides or counts are refused, not overflowed")
    func rowBufferArithmetic() throws {
        let directory = try makeTemporaryDirectory("rows")
        defer { try? FileManager.default.removeItem(at: directory) }
        let writer = try ImageEncoder(format: .png()).rowWriter(
            to: directory.appendingPathComponent("a.png"),
            info: ImageInfo(width: 4, height: 4, layout: .gray, componentType: .uint8))
        let bytes = [UInt8](repeating: 0, count: 16)
        bytes.withUnsafeBytes { raw in
            for (stride, count) in [(Int.max, 2), (Int.max / 2, 3), (4, Int.max), (4, -1), (Int.min, 2)] {
                let error = #expect(throws: ImageCodecError.self, "stride \(stride), \(count) rows") {
                    try writer.writeRows(from: raw, rowStride: stride, rowCount: count)
                }
                #expect(error?.code == .invalidArgument, "stride \(stride), \(count) rows")
            }
        }
        let reader = try ImageDecoder().rowReader(for: try Fixture.data("png-rgb-8.png"))
        var small = [UInt8](repeating: 0, count: 64)
        small.withUnsafeMutableBytes { raw in
            for (stride, count) in [(Int.max, 2), (Int.max / 3, 4), (reader.info.rowByteCount, Int.max)] {
                let error2 = #expect(throws: ImageCodecError.self, "stride \(stride), \(count) rows") {
                    try reader.readRows(into: raw, rowStride: stride, rowCount: count)
                }
                #expect(error2?.code == .invalidArgument, "stride \(stride), \(count) rows")
            }
        }
    }
}
