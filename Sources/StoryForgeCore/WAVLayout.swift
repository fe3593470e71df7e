public import Foundation

/// Where the samples of a RIFF WAVE file are and what they are: the one chunk walker for MediaIO's `WAV` and the
/// speech providers' 16-bit reader, so a hostile header is checked in one place.
///
/// Reading never traps: every size is a 32-bit field added to offsets in a 64-bit `Int`, each read is bounds
/// checked, and a data chunk that claims more than the file holds (a WAV streamed to a pipe declares 0 or
/// `0xFFFFFFFF`) is cut to what is there.
public struct WAVLayout: Sendable, Hashable {
    /// Why a file is not a WAV this reader accepts; `message` says what to fix.
    public struct Malformed: Error, Sendable, Hashable {
        /// What is wrong with the file.
        public let message: String
    }

    /// The format tag (1 PCM, 3 IEEE float), with `WAVE_FORMAT_EXTENSIBLE` resolved to its subformat.
    public var formatTag: Int
    /// Interleaved channels.
    public var channels: Int
    /// Frames per second.
    public var sampleRate: Int
    /// Bits per sample.
    public var bitsPerSample: Int
    /// The header's byte rate (`sampleRate × channels × bytes per sample` in a well-formed file).
    public var byteRate: Int
    /// Where the samples start.
    public var dataOffset: Int
    /// Sample bytes present (the declared size, cut to the file).
    public var dataCount: Int

    /// Reads the layout of the WAV in `data`; see ``parse(_:zeroSizeMeansRest:)-(UnsafeRawBufferPointer,_)``.
    public static func parse(_ data: Data, zeroSizeMeansRest: Bool = false) throws(Malformed) -> WAVLayout {
        let result = data.withUnsafeBytes { raw in
            Result { () throws(Malformed) in try parse(raw, zeroSizeMeansRest: zeroSizeMeansRest) }
        }
        return try result.get()
    }

    /// Reads the layout of the WAV in `bytes`.
    /// - Parameter zeroSizeMeansRest: a data chunk declaring 0 bytes holds the rest of the file (what espeak-ng
    ///   writes to a pipe), instead of no samples.
    /// - Throws: ``Malformed`` when it is not RIFF/WAVE, the fmt chunk is short or missing, or there is no data chunk.
    public static func parse(_ bytes: UnsafeRawBufferPointer, zeroSizeMeansRest: Bool = false) throws(Malformed)
        -> WAVLayout
    {
        func u16(_ at: Int) -> Int { at + 2 <= bytes.count ? Int(bytes[at]) | Int(bytes[at + 1]) << 8 : 0 }
        func u32(_ at: Int) -> Int { at + 4 <= bytes.count ? u16(at) | u16(at + 2) << 16 : 0 }
        func tag(_ at: Int, _ text: String) -> Bool {
            at + 4 <= bytes.count && zip(bytes[at..<(at + 4)], text.utf8).allSatisfy { $0 == $1 }
        }
        guard bytes.count >= 12, tag(0, "RIFF"), tag(8, "WAVE") else {
            throw Malformed(message: "not a RIFF WAVE file (the first 12 bytes must be RIFF....WAVE)")
        }
        var offset = 12
        var format: (tag: Int, channels: Int, rate: Int, byteRate: Int, bits: Int)?
        while offset + 8 <= bytes.count {
            let size = u32(offset + 4)
            let body = offset + 8
            if tag(offset, "fmt ") {
                guard size >= 16, body + 16 <= bytes.count else {
                    throw Malformed(message: "the fmt chunk is \(size) bytes; it needs at least 16")
                }
                var formatTag = u16(body)
                if formatTag == 0xFFFE {
                    guard size >= 40, body + 26 <= bytes.count else {
                        throw Malformed(message: "WAVE_FORMAT_EXTENSIBLE fmt chunk shorter than 40 bytes")
                    }
                    formatTag = u16(body + 24)
                }
                format = (formatTag, u16(body + 2), u32(body + 4), u32(body + 8), u16(body + 14))
            } else if tag(offset, "data") {
                guard let format else { throw Malformed(message: "the data chunk comes before the fmt chunk") }
                let rest = bytes.count - body
                let count = size == 0 && zeroSizeMeansRest ? rest : min(size, rest)
                return WAVLayout(
                    formatTag: format.tag, channels: format.channels, sampleRate: format.rate,
                    bitsPerSample: format.bits, byteRate: format.byteRate, dataOffset: body, dataCount: count)
            }
            offset = body + size + (size & 1)
        }
        throw Malformed(message: format == nil ? "no fmt chunk" : "no data chunk")
    }
}
