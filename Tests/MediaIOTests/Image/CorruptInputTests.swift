import Foundation
import MediaIO
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Bad input of every kind must end in a typed error (or, for a mutation that happens to leave a
/// valid image, a valid image): never a crash, a hang or a large allocation.
@Suite("Corrupt input")
struct CorruptInputTests {
    static let pngSeeds = [
        "png-rgb-8.png", "png-palette-4-trns-interlaced.png", "png-gray-alpha-16.png", "png-text.png",
    ]
    static let jpegSeeds = [
        "jpeg-baseline-420-q90.jpg", "jpeg-progressive-420-q85.jpg", "jpeg-cmyk-adobe.jpg",
        "jpeg-exif-orientation-6.jpg",
    ]

    /// Decoding must either succeed with a sane image or throw an `ImageCodecError`.
    static func decodeOutcome(_ data: Data, decoder: ImageDecoder = ImageDecoder()) -> Result<
        DecodedImage, ImageCodecError
    > {
        do {
            let decoded = try decoder.decode(data)
            return .success(decoded)
        } catch let error as ImageCodecError {
            return .failure(error)
        } catch {
            Issue.record("untyped error \(type(of: error)): \(error)")
            return .failure(.corrupt("untyped"))
        }
    }

    @Test("every truncation of a PNG or JPEG is a typed error", arguments: pngSeeds + jpegSeeds)
    func truncationIsAnError(_ name: String) throws {
        let data = try Fixture.data(name)
        for length in 0..<data.count {
            let outcome = Self.decodeOutcome(data.prefix(length))
            guard case .failure(let error) = outcome else {
                Issue.record("\(name) cut to \(length) of \(data.count) bytes decoded without an error")
                continue
            }
            let expected: [ImageCodecError.Code] = length < 3 ? [.unsupported] : [.truncated, .corrupt, .unsupported]
            #expect(expected.contains(error.code), "\(name) cut to \(length): \(error)")
        }
    }

    @Test("10,000 mutated PNGs and 10,000 mutated JPEGs decode or fail cleanly", arguments: [ImageFormat.png, .jpeg])
    func mutationsFailCleanly(_ format: ImageFormat) throws {
        let seeds = try (format == .png ? Self.pngSeeds : Self.jpegSeeds).map(Fixture.data)
        var rng = SplitMix64(state: format == .png ? 0x5EED_0001 : 0x5EED_0002)
        // A lower pixel limit keeps forged sizes from making this test slow; the default limit has
        // its own tests below.
        let decoder = ImageDecoder(configuration: .init(maxPixelCount: 4096 * 4096))
        var failures = 0
        for iteration in 0..<10_000 {
            var bytes = [UInt8](seeds[iteration % seeds.count])
            Self.mutate(&bytes, using: &rng)
            switch Self.decodeOutcome(Data(bytes), decoder: decoder) {
            case .success(let decoded):
                // Plain Booleans: an expectation over the image itself would print all its bytes.
                let pixels = decoded.pixels
                let sane =
                    pixels.width > 0 && pixels.height > 0 && pixels.bytes.count >= pixels.rowStride * pixels.height
                #expect(
                    sane, "iteration \(iteration) decoded to an inconsistent \(pixels.width)×\(pixels.height) image")
            case .failure:
                failures += 1
            }
        }
        // Most mutations must be caught (checksums, markers); if none were, the test is not testing.
        #expect(failures > 1000, "only \(failures) of 10000 mutations were rejected")
    }

    /// One to four random edits: bit flips, byte overwrites with boundary values, deleted or
    /// duplicated runs, and a cut at the end.
    static func mutate(_ bytes: inout [UInt8], using rng: inout SplitMix64) {
        for _ in 0..<Int.random(in: 1...4, using: &rng) {
            guard !bytes.isEmpty else { return }
            let at = Int.random(in: 0..<bytes.count, using: &rng)
            switch Int.random(in: 0..<6, using: &rng) {
            case 0, 1: bytes[at] ^= 1 << UInt8.random(in: 0..<8, using: &rng)
            case 2: bytes[at] = [0x00, 0xFF, 0x7F, 0x80, 0x01].randomElement(using: &rng)!
            case 3: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...16, using: &rng)))
            case 4:
                let run = bytes[at..<min(bytes.count, at + Int.random(in: 1...32, using: &rng))]
                bytes.insert(contentsOf: run, at: at)
            default: bytes.removeSubrange(Int.random(in: (bytes.count / 2)..<bytes.count, using: &rng)...)
            }
        }
    }

    @Test("a bad CRC on a critical PNG chunk is an error; on an ancillary chunk, a warning")
    func pngChecksums() throws {
        let data = [UInt8](try Fixture.data("png-text.png"))
        let chunks = Self.pngChunks(data)
        let ihdr = try #require(chunks.first { $0.type == "IHDR" })
        var badHeader = data
        badHeader[ihdr.crcOffset] ^= 0xFF
        let error = #expect(throws: ImageCodecError.self) { _ = try ImageDecoder().decode(Data(badHeader)) }
        #expect(error?.code == .corrupt)

        let idat = try #require(chunks.first { $0.type == "IDAT" })
        var badData = data
        badData[idat.crcOffset + 1] ^= 0x01
        let error2 = #expect(throws: ImageCodecError.self) { _ = try ImageDecoder().decode(Data(badData)) }
        #expect(error2?.code == .corrupt)

        let text = try #require(chunks.first { $0.type == "tEXt" })
        var badText = data
        badText[text.crcOffset + 3] ^= 0x10
        let decoded = try ImageDecoder().decode(Data(badText))
        #expect(!decoded.warnings.isEmpty)
        #expect(decoded.pixels == (try ImageDecoder().decode(Data(data)).pixels))
    }

    @Test("absurd declared sizes are refused from the header")
    func absurdSizes() throws {
        var png = [UInt8](try Fixture.data("png-rgb-8.png"))
        Self.setPNGSize(&png, width: 100_000, height: 100_000)
        let error = #expect(throws: ImageCodecError.self) { _ = try ImageDecoder().decode(Data(png)) }
        #expect(error?.code == .tooLarge)

        var jpeg = [UInt8](try Fixture.data("jpeg-baseline-420-q90.jpg"))
        try Self.setJPEGSize(&jpeg, width: 65_000, height: 65_000)
        let error2 = #expect(throws: ImageCodecError.self) { _ = try ImageDecoder().decode(Data(jpeg)) }
        #expect(error2?.code == .tooLarge)

        let small = ImageDecoder(configuration: .init(maxPixelCount: 100))
        let error3 = #expect(throws: ImageCodecError.self) { _ = try small.decode(Fixture.data("png-rgb-8.png")) }
        #expect(error3?.code == .tooLarge)
        let error4 = #expect(throws: ImageCodecError.self) { _ = try small.decode(Fixture.data("jpeg-gray-q90.jpg")) }
        #expect(error4?.code == .tooLarge)
    }

    @Test("a size within the limit that the data cannot hold costs no memory")
    func forgedSizesWithinTheLimit() throws {
        var png = [UInt8](try Fixture.data("png-rgb-8.png"))
        Self.setPNGSize(&png, width: 16_000, height: 16_000)
        let error = #expect(throws: ImageCodecError.self) { _ = try ImageDecoder().decode(Data(png)) }
        #expect(error?.code == .truncated)

        for name in ["jpeg-baseline-420-q90.jpg", "jpeg-progressive-420-q85.jpg"] {
            var jpeg = [UInt8](try Fixture.data(name))
            try Self.setJPEGSize(&jpeg, width: 16_000, height: 16_000)
            let before = Self.peakResidentBytes()
            #expect(throws: ImageCodecError.self) { _ = try ImageDecoder().decode(Data(jpeg)) }
            // A 16000² RGB image is 768 MB; the failed decode may touch only a little of it.
            let grown = Self.peakResidentBytes() - before
            #expect(grown < 200 << 20, "\(name): peak resident memory grew by \(grown >> 20) MiB")
        }
    }

    @Test("a forged 1.8 GB ancillary chunk length costs no memory (found by the fuzzer)")
    func forgedChunkLength() throws {
        var png = [UInt8](try Fixture.data("png-rgb-8.png"))
        // After IHDR (8 + 25 bytes): an iTXt chunk claiming 0x6C000000 bytes, followed by a few.
        png.insert(contentsOf: [0x6C, 0x00, 0x00, 0x00] + Array("iTXt".utf8) + Array("Title\0\0\0".utf8), at: 33)
        let before = Self.peakResidentBytes()
        let error = #expect(throws: ImageCodecError.self) { _ = try ImageDecoder().decode(Data(png)) }
        #expect(error?.code == .truncated)
        let grown = Self.peakResidentBytes() - before
        #expect(grown < 100 << 20, "peak resident memory grew by \(grown >> 20) MiB")
    }

    @Test("data that is no image is refused by every entry point (a use-after-free found by the fuzzer)")
    func notAnImage() {
        for bytes in [Data(), Data("GIF89a".utf8), Data([0xFF, 0xD8]), Data(repeating: 0x89, count: 64)] {
            let error = #expect(throws: ImageCodecError.self) { _ = try ImageDecoder().decode(bytes) }
            #expect(error?.code == .unsupported)
            let error2 = #expect(throws: ImageCodecError.self) { _ = try ImageDecoder().rowReader(for: bytes) }
            #expect(error2?.code == .unsupported)
        }
    }

    // MARK: Helpers

    struct PNGChunk {
        var type: String
        var dataOffset: Int
        var length: Int
        var crcOffset: Int { dataOffset + length }
    }

    static func pngChunks(_ data: [UInt8]) -> [PNGChunk] {
        var chunks: [PNGChunk] = []
        var offset = 8
        while offset + 12 <= data.count {
            let length = data[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            let type = String(decoding: data[(offset + 4)..<(offset + 8)], as: UTF8.self)
            chunks.append(PNGChunk(type: type, dataOffset: offset + 8, length: length))
            offset += 12 + length
        }
        return chunks
    }

    /// Rewrites IHDR's width and height and fixes its CRC, so only the size is wrong.
    static func setPNGSize(_ data: inout [UInt8], width: UInt32, height: UInt32) {
        for (i, value) in [width, height].enumerated() {
            for byte in 0..<4 { data[16 + i * 4 + byte] = UInt8(truncatingIfNeeded: value >> (24 - 8 * byte)) }
        }
        let crc = crc32(data[12..<29])
        for byte in 0..<4 { data[29 + byte] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * byte)) }
    }

    /// Rewrites the frame header (SOF0/SOF1/SOF2) dimensions.
    static func setJPEGSize(_ data: inout [UInt8], width: UInt16, height: UInt16) throws {
        var offset = 2
        while offset + 4 < data.count, data[offset] == 0xFF {
            let marker = data[offset + 1]
            let length = Int(data[offset + 2]) << 8 | Int(data[offset + 3])
            if (0xC0...0xC2).contains(marker) {
                data[offset + 5] = UInt8(height >> 8)
                data[offset + 6] = UInt8(height & 0xFF)
                data[offset + 7] = UInt8(width >> 8)
                data[offset + 8] = UInt8(width & 0xFF)
                return
            }
            offset += 2 + length
        }
        throw ImageCodecError.corrupt("no SOF marker found")
    }

    static func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 == 1 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func peakResidentBytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss * 1024
    }
}
