import Foundation
import MediaIO
import Testing

@Suite("Loudness")
struct LoudnessMeterTests {
    /// Test signals made by ffmpeg's sources, so the comparison covers real-world files.
    static let signals: [(name: String, source: String, arguments: [String])] = [
        ("sine-1k-mono", "sine=frequency=997:sample_rate=48000:duration=6", []),
        ("sine-stereo-quiet", "sine=frequency=440:sample_rate=48000:duration=8", ["-ac", "2", "-af", "volume=-20dB"]),
        ("pink-noise", "anoisesrc=color=pink:sample_rate=48000:duration=10:amplitude=0.3:seed=7", []),
        (
            "brown-noise-stereo", "anoisesrc=color=brown:sample_rate=48000:duration=7:amplitude=0.5:seed=3",
            ["-ac", "2"]
        ),
        (
            "dynamic-speechlike", "anoisesrc=color=white:sample_rate=48000:duration=12:seed=11",
            ["-af", "volume='if(lt(mod(t,3),1.5),1,0.05)':eval=frame,lowpass=3000"]
        ),
        ("sine-44k1", "sine=frequency=3000:sample_rate=44100:duration=5", []),
        ("sine-5k-peaky", "sine=frequency=5000:sample_rate=48000:duration=4", ["-af", "volume=17dB"]),
    ]

    @Test("integrated loudness, range and true peak agree with ffmpeg ebur128", arguments: signals.indices)
    func agreesWithFFmpeg(index: Int) throws {
        let signal = Self.signals[index]
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("\(signal.name).wav")
        try ffmpeg(["-f", "lavfi", "-i", signal.source] + signal.arguments + ["-c:a", "pcm_f32le", url.path])
        let reference = try ffmpegLoudness(url)
        let ours = try LoudnessMeter().measure(WAV.read(from: url))
        // ffmpeg prints one decimal, so a difference of 0.1 allows 0.05 of true disagreement.
        #expect(
            abs(ours.integrated - reference.integrated) <= 0.1,
            "\(signal.name): I \(ours.integrated) vs \(reference.integrated)")
        #expect(abs(ours.range - reference.range) <= 0.1, "\(signal.name): LRA \(ours.range) vs \(reference.range)")
        #expect(
            abs(ours.truePeak - reference.truePeak) <= 0.1,
            "\(signal.name): TP \(ours.truePeak) vs \(reference.truePeak)")
    }

    @Test("a full-scale 997 Hz sine reads −3.01 LUFS mono, 0.0 LUFS stereo (BS.1770 calibration)")
    func calibration() throws {
        let samples = (0..<(48_000 * 5)).map { Float(sin(2 * Double.pi * 997 * Double($0) / 48_000)) }
        let mono = try AudioBuffer(sampleRate: 48_000, channelCount: 1, samples: samples)
        #expect(abs(try LoudnessMeter().measure(mono).integrated - -3.01) < 0.02)
        #expect(abs(try LoudnessMeter().measure(mono.mixed(toChannels: 2)).integrated - 0.0) < 0.02)
        let silence = try LoudnessMeter().measure(AudioBuffer(silenceOf: 2))
        #expect(silence.integrated == -70)
    }

    @Test("normalisation reaches −14 LUFS, or stops at the −1 dBTP ceiling")
    func normalisation() throws {
        let quiet = try AudioBuffer(
            sampleRate: 48_000, channelCount: 1,
            samples: (0..<(48_000 * 4)).map { Float(0.05 * sin(2 * Double.pi * 500 * Double($0) / 48_000)) })
        let (loud, gain) = try LoudnessNormalizer().normalize(quiet)
        let measured = try LoudnessMeter().measure(loud)
        #expect(abs(measured.integrated - -14) < 0.05)
        #expect(gain > 0)
        let (capped, _) = try LoudnessNormalizer(configuration: .init(target: 0, truePeakCeiling: -1)).normalize(quiet)
        #expect(abs(try LoudnessMeter().measure(capped).truePeak - -1) < 0.05)
        let error = #expect(throws: AudioError.self) { try LoudnessNormalizer().normalize(AudioBuffer(silenceOf: 1)) }
        #expect(error?.code == .invalidArgument)
    }
}
