import Foundation
import StoryForgeCore

/// Reads a WAV file's samples in blocks of whole frames, so a long file (20 minutes of 48 kHz stereo Float32 is
/// 460 MB) is measured without holding it: memory is one block.
///
/// The header is parsed by the same `WAVLayout` walker as ``WAV/decode(_:)``, from the file's first 1 MiB (a header
/// with larger chunks before its samples is refused); a data chunk that declares more than the file holds (`0xFFFFFFFF`
/// from a stream written to a pipe) is read to the end of the file, as ``WAV/decode(_:)`` reads it.
struct WAVBlockReader {
    let url: URL
    let sampleRate: Int
    let channels: Int
    private let format: (tag: Int, channels: Int, rate: Int, bits: Int)
    private let frameBytes: Int
    private let dataOffset: Int
    /// The sample bytes to read (whole frames or not; a trailing part frame is dropped).
    private let dataCount: Int

    /// The most header read to find the data chunk: 1 MiB is far past any fmt/LIST/fact chunks a tool writes.
    static let headerLimit = 1 << 20

    /// - Throws: ``AudioError/io`` when the file cannot be opened or read, ``AudioError/corrupt`` or
    ///   ``AudioError/unsupported`` as ``WAV/decode(_:)``.
    init(_ url: URL) throws {
        self.url = url
        let (descriptor, size): (Int32, Int)
        do { (descriptor, size) = try InputFile.open(url.path) } catch { throw AudioError.io(error.message) }
        defer { close(descriptor) }
        var header = [UInt8](repeating: 0, count: min(size, Self.headerLimit))
        let got = try Self.read(descriptor, into: &header, at: 0, path: url.path)
        header.removeSubrange(got...)
        let layout: WAVLayout
        do { layout = try WAVLayout.parse(Data(header)) } catch { throw AudioError.corrupt(error.message) }
        format = (layout.formatTag, layout.channels, layout.sampleRate, layout.bitsPerSample)
        let sampleFormat = try WAV.sampleFormat(format)
        (sampleRate, channels) = (layout.sampleRate, layout.channels)
        let (bytes, overflow) = (sampleFormat.bitsPerSample / 8).multipliedReportingOverflow(by: layout.channels)
        guard !overflow else { throw AudioError.corrupt("fmt chunk says \(layout.channels) channels") }
        frameBytes = bytes
        dataOffset = layout.dataOffset
        // The declared size sits in the 4 bytes before the samples; WAVLayout cut it to the header read.
        let at = layout.dataOffset - 4
        let declared = (0..<4).reduce(0) { $0 | Int(header[at + $1]) << (8 * $1) }
        let rest = max(0, size - layout.dataOffset)
        dataCount = min(declared, rest)
    }

    /// Calls `body` with each block of at most `frames` whole interleaved frames, in order.
    /// - Throws: ``AudioError/io`` when reading fails, or what `body` throws.
    func forEachBlock(frames: Int, _ body: (UnsafeBufferPointer<Float>) throws -> Void) throws {
        let (descriptor, _): (Int32, Int)
        do { (descriptor, _) = try InputFile.open(url.path) } catch { throw AudioError.io(error.message) }
        defer { close(descriptor) }
        let blockBytes = max(1, frames) * frameBytes
        var bytes = [UInt8](repeating: 0, count: blockBytes)
        var offset = dataOffset
        var left = dataCount - dataCount % frameBytes
        while left > 0 {
            let want = min(blockBytes, left)
            if bytes.count != want { bytes = [UInt8](repeating: 0, count: want) }
            let got = try Self.read(descriptor, into: &bytes, at: offset, path: url.path)
            guard got == want else {
                throw AudioError.io("\(url.path) ended \(left - got) bytes before its samples did; was it truncated?")
            }
            let block = try bytes.withUnsafeBufferPointer { try WAV.decodeSamples($0, 0, want, format) }
            try block.samples.withUnsafeBufferPointer { try body($0) }
            offset += want
            left -= want
        }
    }

    /// Fills `buffer` from `offset` with `pread`, short only at the end of the file; returns the bytes read.
    private static func read(_ descriptor: Int32, into buffer: inout [UInt8], at offset: Int, path: String) throws
        -> Int
    {
        var filled = 0
        while filled < buffer.count {
            let got = buffer.withUnsafeMutableBytes { raw in
                pread(descriptor, raw.baseAddress! + filled, raw.count - filled, off_t(offset + filled))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw AudioError.io("cannot read \(path): \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            filled += got
        }
        return filled
    }
}
