import Foundation
import Testing

@testable import MediaIO

/// The synthesized music bed: checked inputs, determinism, the mood table, its level, and how deep the composer's
/// ducking pushes it under a real (espeak-ng) voice.
@Suite("MusicBed")
struct MusicBedTests {
    @Test func theSameSeedAndMoodsGiveTheSameBytes() throws {
        let directory = try makeTemporaryDirectory("musicbed")
        defer { try? FileManager.default.removeItem(at: directory) }
        let first = directory.appendingPathComponent("a.wav")
        let second = directory.appendingPathComponent("b.wav")
        let other = directory.appendingPathComponent("c.wav")
        // 2.5 s: not a whole number of blocks, so the last block is a partial one.
        let style = try MusicBed.write(duration: 2.5, moods: ["calm", "hopeful"], seed: 42, to: first)
        try MusicBed.write(duration: 2.5, moods: ["calm", "hopeful"], seed: 42, to: second)
        try MusicBed.write(duration: 2.5, moods: ["calm", "hopeful"], seed: 43, to: other)
        let bytes = try Data(contentsOf: first)
        #expect(bytes == (try Data(contentsOf: second)))
        #expect(bytes != (try Data(contentsOf: other)))
        let decoded = try WAV.read(from: first)
        #expect(decoded.sampleRate == 48_000)
        #expect(decoded.channelCount == 2)
        #expect(decoded.frameCount == 120_000)
        #expect(bytes.count == 44 + 120_000 * 4)
        // The file is what render(duration:) holds in memory.
        let rendered = try MusicBed.render(duration: 2.5, style: style, seed: 42)
        #expect(rendered.samples == decoded.samples)
    }

    @Test func theMoodChoosesTheModeKeyAndTempo() {
        let calm = MusicBed.style(forMoods: ["Calm, peaceful"], seed: 1)
        let dark = MusicBed.style(forMoods: ["dark and tense"], seed: 1)
        let sad = MusicBed.style(forMoods: ["a sad, lonely night"], seed: 1)
        let hopeful = MusicBed.style(forMoods: ["hopeful"], seed: 1)
        #expect(calm.mode == .major && calm.tempo == 60 && !calm.pulse)
        #expect(dark.mode == .minor && dark.tempo == 88 && dark.pulse)
        #expect(sad.mode == .minor && sad.tempo == 60)
        #expect(hopeful.mode == .major && hopeful.tempo == 84)
        #expect(calm.key != dark.key)
        #expect(MusicBed.style(forMoods: [], seed: 1).tempo == 72)
        // Every seed gives a valid key, Int.min included.
        for seed in [Int.min, -1, 0, 1, Int.max] {
            let style = MusicBed.style(forMoods: ["eerie"], seed: seed)
            #expect([57, 60, 62, 64].contains(style.tonic) && style.mode == .minor)
        }
    }

    @Test func differentMoodsGiveDifferentAudio() throws {
        let calm = try MusicBed.render(
            duration: 1, style: MusicBed.style(forMoods: ["calm"], seed: 5), seed: 5)
        let dark = try MusicBed.render(
            duration: 1, style: MusicBed.style(forMoods: ["dark"], seed: 5), seed: 5)
        #expect(calm.samples != dark.samples)
    }

    @Test(arguments: [0, -1, Double.nan, Double.infinity, -Double.infinity, 7_200.5])
    func aBadDurationIsRejected(duration: Double) throws {
        let directory = try makeTemporaryDirectory("musicbed")
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("bed.wav")
        #expect(throws: AudioError.invalidArgument("")) {
            try MusicBed.write(duration: duration, moods: ["calm"], seed: 0, to: url)
        }
        #expect(!FileManager.default.fileExists(atPath: url.path))
        #expect(throws: AudioError.invalidArgument("")) {
            _ = try MusicBed.render(duration: 601, style: MusicBed.style(forMoods: [], seed: 0), seed: 0)
        }
    }

    @Test func theBedIsQuietAndDoesNotClip() throws {
        for moods in [["calm"], ["tense"], ["hopeful"], ["sad"]] {
            let bed = try MusicBed.render(duration: 6, style: MusicBed.style(forMoods: moods, seed: 9), seed: 9)
            let level = try LoudnessMeter().measure(bed)
            // A bed on its own sits well under a −14 LUFS master and keeps headroom before the composer's −14 dB.
            #expect(level.integrated < -16 && level.integrated > -32, "\(moods): \(level.integrated) LUFS")
            #expect(level.samplePeak < -3, "\(moods): peak \(level.samplePeak) dBFS")
        }
    }

    /// Ducking depth, measured honestly: the composer's own mix is rendered twice through the same
    /// `sidechaincompress` path, once with the espeak-ng voice and once with a silent voice of the same length; the
    /// music in the first mix is the mix minus the voice (amix adds them with normalize=0, the voice is already 48 kHz
    /// stereo Float32 so it passes unchanged). The depth is the music's energy without the voice over its energy with
    /// it, in the 50 ms windows where the voice speaks (RMS above −40 dBFS).
    @Test(arguments: ["calm", "tense", "hopeful", "sad"])
    func theComposerDucksTheBedAtLeast10dBUnderSpeech(mood: String) async throws {
        let directory = try makeTemporaryDirectory("musicbed-duck")
        defer { try? FileManager.default.removeItem(at: directory) }
        let raw = directory.appendingPathComponent("raw.wav")
        let speech = try runTool(
            "espeak-ng",
            ["-w", raw.path, "Once upon a time, a small fox crossed the frozen river. The night was calm and clear."])
        guard speech.status == 0 else { throw AudioError.io("espeak-ng failed: \(speech.stderr)") }
        let voiceURL = directory.appendingPathComponent("voice.wav")
        try ffmpeg(["-i", raw.path, "-ar", "48000", "-ac", "2", "-c:a", "pcm_f32le", voiceURL.path])
        let voice = try WAV.read(from: voiceURL)
        let silentURL = directory.appendingPathComponent("silent.wav")
        try WAV.write(
            try AudioBuffer(
                sampleRate: 48_000, channelCount: 2, samples: [Float](repeating: 0, count: voice.samples.count)),
            to: silentURL, format: .float32)
        let duration = Double(voice.frameCount) / 48_000
        let bedURL = directory.appendingPathComponent("bed.wav")
        try MusicBed.write(duration: duration, moods: [mood], seed: 3, to: bedURL)

        let ffmpegTool = try await FFmpeg.locate()
        let composer = VideoComposer(ffmpeg: ffmpegTool)
        let settings = RenderSettings()
        func mix(_ voice: URL, _ name: String) async throws -> AudioBuffer {
            let url = directory.appendingPathComponent(name)
            let composition = VideoComposition(shots: [], voice: voice, music: bedURL)
            try await ffmpegTool.run(composer.audioMixArguments(composition, settings, duration: duration, to: url))
            return try WAV.read(from: url)
        }
        let withVoice = try await mix(voiceURL, "mix-voice.wav")
        let alone = try await mix(silentURL, "mix-silent.wav")
        let depth = try #require(Self.duckingDepth(voice: voice, mix: withVoice, bedAlone: alone))
        print(
            "music bed (\(mood)) ducking under espeak-ng speech: \(depth.depth) dB; bed \(depth.voiceOverBed) dB under the voice"
        )
        #expect(depth.depth >= 10, "ducking depth \(depth.depth) dB")
        #expect(depth.voiceOverBed >= 10, "the voice is only \(depth.voiceOverBed) dB above the ducked bed")
    }

    /// The ducking depth and how far the voice sits above the ducked bed, over the windows where the voice speaks.
    static func duckingDepth(voice: AudioBuffer, mix: AudioBuffer, bedAlone: AudioBuffer)
        -> (depth: Double, voiceOverBed: Double)?
    {
        let window = 2_400 * 2  // 50 ms of stereo samples at 48 kHz
        let count = min(voice.samples.count, mix.samples.count, bedAlone.samples.count)
        var reference = 0.0
        var ducked = 0.0
        var speech = 0.0
        var start = 0
        while start + window <= count {
            var v = 0.0
            var d = 0.0
            var r = 0.0
            for i in start..<(start + window) {
                let voiceSample = Double(voice.samples[i])
                let music = Double(mix.samples[i]) - voiceSample
                v += voiceSample * voiceSample
                d += music * music
                r += Double(bedAlone.samples[i]) * Double(bedAlone.samples[i])
            }
            // −40 dBFS RMS: the voice is speaking in this window.
            if v / Double(window) > 1e-4 {
                speech += v
                ducked += d
                reference += r
            }
            start += window
        }
        guard speech > 0, ducked > 0 else { return nil }
        return (10 * log10(reference / ducked), 10 * log10(speech / ducked))
    }
}
