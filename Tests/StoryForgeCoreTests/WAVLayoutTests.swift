import Foundation
import StoryForgeCore
import Testing

@Suite struct WAVLayoutTests {
    /// A 16-bit mono WAV at 8 kHz whose data chunk declares `declared` bytes and holds `held`.
    func wav(declared: UInt32, held: Int, extraChunk: Bool = false) -> Data {
        var bytes = Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WAVE".utf8)
        if extraChunk { bytes += Array("LIST".utf8) + [3, 0, 0, 0, 1, 2, 3, 0] }
        bytes += Array("fmt ".utf8) + [16, 0, 0, 0, 1, 0, 1, 0]
        bytes += [0x40, 0x1F, 0, 0, 0x80, 0x3E, 0, 0, 2, 0, 16, 0]
        bytes += Array("data".utf8) + withUnsafeBytes(of: declared.littleEndian) { Array($0) }
        bytes += [UInt8](repeating: 7, count: held)
        return Data(bytes)
    }

    @Test func readsTheFormatAndSkipsUnknownChunksIncludingOddSizedOnes() throws {
        let layout = try WAVLayout.parse(wav(declared: 8, held: 8, extraChunk: true))
        #expect(layout.formatTag == 1 && layout.channels == 1 && layout.sampleRate == 8000)
        #expect(layout.bitsPerSample == 16 && layout.byteRate == 16000 && layout.dataCount == 8)
        #expect(layout.dataOffset == 12 + 12 + 24 + 8)
    }

    @Test func aDataSizeBeyondTheFileIsCutToWhatIsThere() throws {
        #expect(try WAVLayout.parse(wav(declared: 0xFFFF_FFFF, held: 6)).dataCount == 6)
    }

    @Test func aZeroDataSizeMeansTheRestOnlyWhenAsked() throws {
        #expect(try WAVLayout.parse(wav(declared: 0, held: 6)).dataCount == 0)
        #expect(try WAVLayout.parse(wav(declared: 0, held: 6), zeroSizeMeansRest: true).dataCount == 6)
    }

    @Test func everyTruncationOfAFileIsATypedErrorOrALayoutWithinIt() {
        let full = wav(declared: 8, held: 8, extraChunk: true)
        for length in 0..<full.count {
            let prefix = full.prefix(length)
            do {
                let layout = try WAVLayout.parse(prefix)
                #expect(layout.dataOffset + layout.dataCount <= length)
            } catch {
                #expect(!error.message.isEmpty)
            }
        }
    }

    @Test func notRIFFAndMissingChunksSayWhat() {
        #expect(throws: WAVLayout.Malformed.self) { try WAVLayout.parse(Data("hello world!".utf8)) }
        var dataFirst = Array("RIFF".utf8) + [0, 0, 0, 0] + Array("WAVE".utf8)
        dataFirst += Array("data".utf8) + [0, 0, 0, 0]
        #expect(
            performing: { try WAVLayout.parse(Data(dataFirst)) },
            throws: { error in
                (error as? WAVLayout.Malformed)?.message.contains("before the fmt chunk") == true
            })
    }
}
