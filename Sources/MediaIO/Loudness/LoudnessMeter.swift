public import Foundation

/// Measures loudness per EBU R128 / ITU-R BS.1770-4: K-weighting, 400 ms momentary blocks every
/// 100 ms with absolute (−70 LUFS) and relative (−10 LU) gating, loudness range from 3 s blocks, and
/// true peak by 4× oversampling.
///
/// The figures agree with ffmpeg's `ebur128` filter (`ebur128=peak=true`) within 0.1 LU / 0.1 dB
/// of its one-decimal summary on the test signals.
///
/// ```swift
/// let loudness = try LoudnessMeter().measure(WAV.read(from: url))
/// print(loudness.integrated, loudness.truePeak)
/// ```
public struct LoudnessMeter: Sendable {
    /// Creates a meter.
    public init() {}

    /// Measures a buffer. Channel weights follow BS.1770 for up to 5.1 (L, R, C, LFE, Ls, Rs):
    /// 1, 1, 1, 0, 1.41, 1.41; mono and stereo weigh every channel 1.
    public func measure(_ buffer: AudioBuffer) throws -> LoudnessMeasurement {
        var accumulator = try LoudnessAccumulator(sampleRate: buffer.sampleRate, channels: buffer.channelCount)
        buffer.samples.withUnsafeBufferPointer { accumulator.add($0) }
        return accumulator.finish()
    }

    /// Measures a WAV file in blocks of 64 Ki frames, without holding its samples: the figures equal
    /// ``measure(_:)`` of ``WAV/read(from:)`` bit for bit, in constant memory at any length.
    /// - Throws: ``AudioError/io`` when the file cannot be read, ``AudioError/corrupt`` or
    ///   ``AudioError/unsupported`` as ``WAV/read(from:)`` does.
    public func measure(wavAt url: URL) throws -> LoudnessMeasurement {
        let reader = try WAVBlockReader(url)
        var accumulator = try LoudnessAccumulator(sampleRate: reader.sampleRate, channels: reader.channels)
        // 64 Ki frames: 512 KB of stereo Float32 a block.
        try reader.forEachBlock(frames: 65_536) { accumulator.add($0) }
        return accumulator.finish()
    }
}

/// Loudness of a mean-square K-weighted energy, BS.1770 eq. 2.
@inline(__always) func lufs(_ energy: Double) -> Double {
    energy > 0 ? -0.691 + 10 * log10(energy) : -.infinity
}

@inline(__always) func decibels(_ amplitude: Double) -> Double {
    amplitude > 0 ? 20 * log10(amplitude) : -.infinity
}
