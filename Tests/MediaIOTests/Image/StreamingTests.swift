import Foundation
import MediaIO
import Testing

@Suite("Row-band streaming and files")
struct StreamingTests {
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mediaio-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("an image written and read in bands equals the whole image", arguments: ["png", "jpg"])
    func bandsRoundTrip(_ fileExtension: String) throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let image = try TestImages.smooth(width: 301, height: 203, layout: .rgb, seed: 11)
        let url = directory.appendingPathComponent("banded.\(fileExtension)")
        let encoder = try ImageEncoder(forPathExtensionOf: url)
        let writer = try encoder.rowWriter(to: url, info: image.info)
        var y = 0
        while y < image.height {
            let rows = min(17, image.height - y)
            try image.withUnsafeBytes { raw in
                try writer.writeRows(
                    from: UnsafeRawBufferPointer(rebasing: raw[(y * image.rowStride)...]),
                    rowStride: image.rowStride,
                    rowCount: rows
                )
            }
            y += rows
        }
        #expect(!FileManager.default.fileExists(atPath: url.path), "nothing under the final name before finish()")
        try writer.finish()

        let whole = try ImageDecoder().decode(contentsOf: url).pixels
        #expect(whole == (try ImageDecoder().decode(encoder.encode(image)).pixels))
        if fileExtension == "png" { #expect(whole == image) }
        let reader = try ImageDecoder().rowReader(contentsOf: url)
        var bytes: [UInt8] = []
        while reader.nextRow < reader.info.height { bytes += try reader.readBand(maxRows: 64).bytes }
        #expect(bytes == whole.bytes)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == [url.lastPathComponent])
    }

    @Test("a writer dropped before finish() leaves no file, final or temporary")
    func abandonedWriterLeavesNothing() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("never.png")
        do {
            let writer = try ImageEncoder(format: .png()).rowWriter(
                to: url,
                info: ImageInfo(width: 8, height: 8, layout: .gray, componentType: .uint8)
            )
            try [UInt8](repeating: 7, count: 32).withUnsafeBytes {
                try writer.writeRows(from: $0, rowStride: 8, rowCount: 4)
            }
            let error = #expect(throws: ImageCodecError.self) { try writer.finish() }
            #expect(error?.code == .invalidArgument)
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test("writing replaces an existing file atomically and keeps the old one on failure")
    func atomicReplace() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("frame.png")
        let first = try TestImages.smooth(width: 16, height: 16, layout: .rgb, seed: 1)
        try ImageEncoder(format: .png()).write(first, to: url)
        let before = try Data(contentsOf: url)
        let error = #expect(throws: ImageCodecError.self) {
            try ImageEncoder(format: .png(.init(compressionLevel: 42))).write(first, to: url)
        }
        #expect(error?.code == .invalidArgument)
        #expect(try Data(contentsOf: url) == before)
        let second = try TestImages.smooth(width: 8, height: 8, layout: .gray, seed: 2)
        try ImageEncoder(format: .png()).write(second, to: url)
        #expect(try PixelBuffer(contentsOf: url) == second)
    }

    @Test("a missing directory, a directory as input and a missing file are I/O errors")
    func fileErrors() throws {
        let directory = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let image = try TestImages.smooth(width: 4, height: 4, layout: .rgb, seed: 1)
        let error = #expect(throws: ImageCodecError.self) {
            try ImageEncoder(format: .png()).write(image, to: directory.appendingPathComponent("no/such/dir.png"))
        }
        #expect(error?.code == .io)
        let error2 = #expect(throws: ImageCodecError.self) { _ = try ImageDecoder().decode(contentsOf: directory) }
        #expect(error2?.code == .io)
        let error3 = #expect(throws: ImageCodecError.self) {
            _ = try ImageDecoder().decode(contentsOf: directory.appendingPathComponent("missing.png"))
        }
        #expect(error3?.code == .io)
        let error4 = #expect(throws: ImageCodecError.self) {
            _ = try ImageEncoder(forPathExtensionOf: URL(fileURLWithPath: "x.gif"))
        }
        #expect(error4?.code == .unsupported)
    }

    @Test("a reader refuses to read past the end or into a short buffer")
    func readerMisuse() throws {
        let reader = try ImageDecoder().rowReader(contentsOf: Fixture.directory.appendingPathComponent("png-rgb-8.png"))
        var small = [UInt8](repeating: 0, count: 10)
        let error = #expect(throws: ImageCodecError.self) {
            try small.withUnsafeMutableBytes {
                try reader.readRows(into: $0, rowStride: reader.info.rowByteCount, rowCount: 1)
            }
        }
        #expect(error?.code == .invalidArgument)
        _ = try reader.readBand(maxRows: reader.info.height)
        let error2 = #expect(throws: ImageCodecError.self) { _ = try reader.readBand(maxRows: 1) }
        #expect(error2?.code == .invalidArgument)
    }

    @Test("EXIF orientation is applied by default and kept on request")
    func orientationHandling() throws {
        let url = Fixture.directory.appendingPathComponent("jpeg-exif-orientation-6.jpg")
        let upright = try ImageDecoder().decode(contentsOf: url)
        let stored = try ImageDecoder(configuration: .init(orientation: .keep)).decode(contentsOf: url)
        #expect(upright.metadata.orientation == .rightTop)
        #expect(upright.pixels.width == stored.pixels.height && upright.pixels.height == stored.pixels.width)
        #expect(upright.pixels == stored.pixels.applyingOrientation(.rightTop))
    }
}
