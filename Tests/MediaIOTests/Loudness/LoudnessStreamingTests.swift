import Foundation
import Testing

@testable import MediaIO

/// The meter fed in blocks (the QC pass's stream, the mastered WAV read in blocks) against the whole-buffer meter:
/// the same figures bit for bit, whatever the block size.
@Suite("Loudness in blocks")
struct LoudnessStreamingTests {
    /// 7 s of stereo: a loud and a quiet noise burst and a sine, so gating, the range and the true peak all matter,
    /// and a silent last 1.3 s so the end of sound is inside the signal.
    static func signal(frames: Int = 48_000 * 7) -> AudioBuffer {
        var generator = NoiseSource(seed: 7)
        var samples = [Float](repeating: 0, count: frames * 2)
        for frame in 0..<(frames - 62_400) {
            let t = Double(frame) / 48_000
            let envelope = t.truncatingRemainder(dividingBy: 2) < 1 ? 0.6 : 0.03
            let noise = Double(generator.next() % 2001) / 1000 - 1
            samples[2 * frame] = Float(envelope * noise)
            samples[2 * frame + 1] = Float(0.4 * sin(2 * Double.pi * 5000 * t) + 0.2 * envelope * noise)
        }
        return AudioBuffer(unchecked: 48_000, 2, samples)
    }

    @Test(
        "blocks of 1, 7, 4 799 and 65 536 frames give the whole buffer's figures exactly",
        arguments: [1, 7, 4799, 65_536])
    func blocksMatchTheWholeBuffer(blockFrames: Int) throws {
        let buffer = Self.signal(frames: blockFrames == 1 ? 48_000 * 2 : 48_000 * 7)
        let whole = try LoudnessMeter().measure(buffer)
        var accumulator = try LoudnessAccumulator(sampleRate: 48_000, channels: 2)
        buffer.samples.withUnsafeBufferPointer { samples in
            var start = 0
            while start < samples.count {
                let end = min(samples.count, start + blockFrames * 2)
                accumulator.add(UnsafeBufferPointer(rebasing: samples[start..<end]))
                start = end
            }
        }
        let blocks = accumulator.finish()
        #expect(blocks == whole)
        #expect(whole.integrated.isFinite && whole.integrated > -70)
        #expect(accumulator.frameCount == buffer.frameCount)
    }

    @Test("the end of sound is the last frame above −45 dBFS")
    func endOfSound() throws {
        let buffer = Self.signal()
        var accumulator = try LoudnessAccumulator(sampleRate: 48_000, channels: 2)
        buffer.samples.withUnsafeBufferPointer { accumulator.add($0) }
        let threshold = Float(pow(10, -45.0 / 20))
        let last = try #require(
            (0..<buffer.frameCount).last { frame in
                abs(buffer.samples[2 * frame]) > threshold || abs(buffer.samples[2 * frame + 1]) > threshold
            })
        #expect(accumulator.endOfSound == Double(last + 1) / 48_000)
        #expect(accumulator.endOfSound < 7 - 1.2)
        var silent = try LoudnessAccumulator(sampleRate: 48_000, channels: 2)
        [Float](repeating: 0, count: 9_600).withUnsafeBufferPointer { silent.add($0) }
        #expect(silent.endOfSound == 0)
    }

    @Test(
        "a WAV measured in blocks from disk equals the decoded file's measurement",
        arguments: [WAVSampleFormat.float32, .pcm16, .pcm24])
    func wavFileInBlocks(format: WAVSampleFormat) throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("signal.wav")
        try WAV.write(Self.signal(), to: url, format: format)
        let streamed = try LoudnessMeter().measure(wavAt: url)
        #expect(streamed == (try LoudnessMeter().measure(WAV.read(from: url))))
    }

    @Test("a WAV cut short is measured to where it ends, as WAV.read reads it; a missing or non-WAV file is an error")
    func truncatedAndBrokenFiles() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("cut.wav")
        var data = WAV.encode(Self.signal(), format: .float32)
        // The header still declares 7 s; 3 s and half a frame are there.
        data = data.prefix(44 + 48_000 * 3 * 8 + 4)
        try data.write(to: url)
        #expect(try LoudnessMeter().measure(wavAt: url) == (try LoudnessMeter().measure(WAV.read(from: url))))
        let text = directory.appendingPathComponent("text.wav")
        try Data("not a wave file at all".utf8).write(to: text)
        #expect(throws: AudioError.self) { try LoudnessMeter().measure(wavAt: text) }
        let missing = #expect(throws: AudioError.self) {
            try LoudnessMeter().measure(wavAt: directory.appendingPathComponent("missing.wav"))
        }
        #expect(missing?.code == .io)
        #expect(throws: AudioError.self) { try LoudnessMeter().measure(wavAt: directory) }
    }
}

/// A small deterministic generator (NoiseSource64), so the test signal is the same on every run.
private struct NoiseSource {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
