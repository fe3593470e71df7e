public import Foundation
import StoryForgeCore

/// Reading and writing RIFF WAVE files: PCM 8/16/24/32-bit and Float32, any channel count and rate.
///
/// ```swift
/// let speech = try WAV.read(from: URL(fileURLWithPath: "voice.wav"))
/// try WAV.write(speech.resampled(to: 48_000), to: URL(fileURLWithPath: "voice-48k.wav"), format: .pcm24)
/// ```
public enum WAV {
    /// Decodes a WAV file held in memory.
    ///
    /// Accepts `WAVE_FORMAT_PCM`, `WAVE_FORMAT_IEEE_FLOAT` and `WAVE_FORMAT_EXTENSIBLE` with either
    /// subformat; skips unknown chunks; tolerates a data size larger than the file (streams written by
    /// ffmpeg to a pipe) by reading what is there.
    /// - Throws: ``AudioError/corrupt`` or ``AudioError/unsupported``.
    public static func decode(_ data: Data) throws -> AudioBuffer {
        let bytes = [UInt8](data)
        let layout: WAVLayout
        do {
            layout = try WAVLayout.parse(data)
        } catch {
            throw AudioError.corrupt(error.message)
        }
        return try bytes.withUnsafeBufferPointer { raw in
            try decodeSamples(
                raw, layout.dataOffset, layout.dataCount,
                (layout.formatTag, layout.channels, layout.sampleRate, layout.bitsPerSample))
        }
    }

    /// Reads and decodes a WAV file.
    /// - Throws: ``AudioError/io`` when the file cannot be read or is not a regular file (a FIFO
    ///   would block the read for ever), or a decoding error.
    public static func read(from url: URL) throws -> AudioBuffer {
        let data: Data
        do { data = try InputFile.read(url) } catch { throw AudioError.io(error.message) }
        return try decode(data)
    }

    /// Encodes audio as a WAV file in memory; samples beyond [−1, 1] are clipped for integer formats.
    public static func encode(_ buffer: AudioBuffer, format: WAVSampleFormat = .pcm16) -> Data {
        let bytesPerSample = format.bitsPerSample / 8
        let dataSize = buffer.samples.count * bytesPerSample
        var out = [UInt8]()
        out.reserveCapacity(44 + dataSize)
        func put32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        func put16(_ value: UInt16) { withUnsafeBytes(of: value.littleEndian) { out += $0 } }
        out += Array("RIFF".utf8)
        put32(UInt32(truncatingIfNeeded: 36 + dataSize))
        out += Array("WAVEfmt ".utf8)
        put32(16)
        put16(format == .float32 ? 3 : 1)
        put16(UInt16(buffer.channelCount))
        put32(UInt32(buffer.sampleRate))
        put32(UInt32(buffer.sampleRate * buffer.channelCount * bytesPerSample))
        put16(UInt16(buffer.channelCount * bytesPerSample))
        put16(UInt16(format.bitsPerSample))
        out += Array("data".utf8)
        put32(UInt32(truncatingIfNeeded: dataSize))
        for sample in buffer.samples {
            let clipped = Double(min(max(sample, -1), 1))
            switch format {
            case .pcm8:
                out.append(UInt8(clamping: Int((clipped * 127).rounded()) + 128))
            case .pcm16:
                put16(UInt16(bitPattern: Int16(clamping: Int((clipped * 32_767).rounded()))))
            case .pcm24:
                let value = Int32(clamping: Int((clipped * 8_388_607).rounded()))
                let bits = UInt32(bitPattern: value)
                out += [UInt8(bits & 0xFF), UInt8((bits >> 8) & 0xFF), UInt8((bits >> 16) & 0xFF)]
            case .pcm32:
                put32(UInt32(bitPattern: Int32(clamping: Int64((clipped * 2_147_483_647).rounded()))))
            case .float32:
                put32(sample.bitPattern)
            }
        }
        return Data(out)
    }

    /// Encodes audio and writes it atomically: readers never see a partial file.
    /// - Throws: ``AudioError/io`` when the file cannot be written.
    public static func write(_ buffer: AudioBuffer, to url: URL, format: WAVSampleFormat = .pcm16) throws {
        try writeAtomically(encode(buffer, format: format), to: url)
    }

    /// The sample format of a fmt chunk's tag and bit depth.
    /// - Throws: ``AudioError/corrupt`` for no channels or no rate, ``AudioError/unsupported`` for another format.
    static func sampleFormat(_ format: (tag: Int, channels: Int, rate: Int, bits: Int)) throws -> WAVSampleFormat {
        guard format.channels > 0, format.rate > 0 else {
            throw AudioError.corrupt("fmt chunk says \(format.channels) channels at \(format.rate) Hz")
        }
        switch (format.tag, format.bits) {
        case (1, 8): return .pcm8
        case (1, 16): return .pcm16
        case (1, 24): return .pcm24
        case (1, 32): return .pcm32
        case (3, 32): return .float32
        default:
            throw AudioError.unsupported(
                "WAV format tag \(format.tag) with \(format.bits) bits; convert to PCM 16/24/32 or Float32 first")
        }
    }

    /// Decodes the whole frames among `size` bytes of `bytes` from `start`.
    static func decodeSamples(
        _ raw: UnsafeBufferPointer<UInt8>, _ start: Int, _ size: Int,
        _ format: (tag: Int, channels: Int, rate: Int, bits: Int)
    ) throws -> AudioBuffer {
        let sampleFormat = try sampleFormat(format)
        let width = sampleFormat.bitsPerSample / 8
        let frameBytes = width * format.channels
        let frames = size / frameBytes
        let count = frames * format.channels
        var samples = [Float](repeating: 0, count: count)
        samples.withUnsafeMutableBufferPointer { out in
            var p = start
            for i in 0..<count {
                switch sampleFormat {
                case .pcm8:
                    out[i] = (Float(raw[p]) - 128) / 128
                case .pcm16:
                    out[i] = Float(Int16(bitPattern: UInt16(raw[p]) | UInt16(raw[p + 1]) << 8)) / 32_768
                case .pcm24:
                    let value = Int32(
                        bitPattern: UInt32(raw[p]) << 8 | UInt32(raw[p + 1]) << 16 | UInt32(raw[p + 2]) << 24)
                    out[i] = Float(value >> 8) / 8_388_608
                case .pcm32:
                    let bits =
                        UInt32(raw[p]) | UInt32(raw[p + 1]) << 8 | UInt32(raw[p + 2]) << 16 | UInt32(raw[p + 3])
                        << 24
                    out[i] = Float(Double(Int32(bitPattern: bits)) / 2_147_483_648)
                case .float32:
                    let bits =
                        UInt32(raw[p]) | UInt32(raw[p + 1]) << 8 | UInt32(raw[p + 2]) << 16 | UInt32(raw[p + 3])
                        << 24
                    out[i] = Float(bitPattern: bits)
                }
                p += width
            }
        }
        return AudioBuffer(unchecked: format.rate, format.channels, samples)
    }
}

/// Writes bytes to a file through ``AtomicFile``, mapping its errors to ``AudioError``.
func writeAtomically(_ data: Data, to url: URL) throws {
    do {
        let file = try AtomicFile(destination: url)
        let written = data.withUnsafeBytes { raw in
            raw.isEmpty ? 0 : fwrite(raw.baseAddress, 1, raw.count, file.handle)
        }
        guard written == data.count else {
            throw AudioError.io(
                "writing \(url.path) stopped after \(written) of \(data.count) bytes; is the disk full?")
        }
        try file.commit()
    } catch let error as ImageCodecError {
        throw AudioError.io(error.message)
    }
}
