import Foundation
import MediaIO
import PropertyBased
import Testing

@Suite("WAV")
struct WAVTests {
    @Test("every sample format round-trips within its quantisation step", arguments: WAVSampleFormat.allCases)
    func roundTrip(format: WAVSampleFormat) throws {
        let samples: [Float] = (0..<2000).map { sin(Float($0) * 0.01) * 0.9 }
        let buffer = try AudioBuffer(sampleRate: 22_050, channelCount: 2, samples: samples)
        let decoded = try WAV.decode(WAV.encode(buffer, format: format))
        #expect(decoded.sampleRate == 22_050)
        #expect(decoded.channelCount == 2)
        #expect(decoded.frameCount == 1000)
        let step: Float = format == .pcm8 ? 2 / 128 : format == .float32 ? 0 : format == .pcm16 ? 2 / 32_768 : 1e-6
        let worst = zip(samples, decoded.samples).map { abs($0 - $1) }.max() ?? 0
        #expect(worst <= step)
    }

    @Test("random buffers round-trip through Float32 bit-exactly")
    func propertyRoundTrip() async {
        await propertyCheck(input: Gen.int(in: 1...3), Gen.int(in: 0...200), Gen.int(in: 8000...96_000)) {
            channels, frames, rate in
            var generator = SystemRandomNumberGenerator()
            let samples = (0..<(channels * frames)).map { _ in Float.random(in: -1...1, using: &generator) }
            let buffer = try! AudioBuffer(sampleRate: rate, channelCount: channels, samples: samples)
            #expect((try? WAV.decode(WAV.encode(buffer, format: .float32))) == buffer)
        }
    }

    @Test("reads what ffmpeg writes: s16, s24, s32, f32, mono and stereo, 44.1 kHz")
    func readsFFmpegOutput() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (codec, channels) in [("pcm_s16le", 1), ("pcm_s24le", 2), ("pcm_s32le", 2), ("pcm_f32le", 1)] {
            let url = directory.appendingPathComponent("\(codec).wav")
            try ffmpeg([
                "-f", "lavfi", "-i", "sine=frequency=441:sample_rate=44100:duration=0.5", "-ac", "\(channels)",
                "-c:a", codec, url.path,
            ])
            let audio = try WAV.read(from: url)
            #expect(audio.sampleRate == 44_100)
            #expect(audio.channelCount == channels)
            #expect(audio.frameCount == 22_050)
            // ffmpeg's sine source has amplitude 1/8; its mono-to-stereo upmix lowers each side by 3 dB.
            let peak = audio.samples.map(abs).max() ?? 0
            let expected: Float = channels == 1 ? 0.125 : 0.125 * Float(0.5).squareRoot()
            #expect(abs(peak - expected) < 0.001, "\(codec): peak \(peak)")
        }
    }

    @Test("ffmpeg reads what WAV.write writes, with the same duration")
    func ffmpegReadsOurs() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("tone.wav")
        let buffer = try AudioBuffer(
            sampleRate: 48_000, channelCount: 2, samples: (0..<96_000).map { sin(Float($0) * 0.05) * 0.5 })
        try WAV.write(buffer, to: url, format: .pcm24)
        let probe = try runTool(
            "ffprobe",
            [
                "-v", "error", "-show_entries", "stream=codec_name,sample_rate,channels,duration", "-of", "csv=p=0",
                url.path,
            ])
        #expect(probe.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "pcm_s24le,48000,2,1.000000")
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(names == ["tone.wav"])
    }

    @Test("corrupt and unsupported files throw, never crash")
    func corrupt() throws {
        let error = #expect(throws: AudioError.self) { try WAV.decode(Data("RIFF0000WAVX".utf8)) }
        #expect(error?.code == .corrupt)
        let error2 = #expect(throws: AudioError.self) { try WAV.decode(Data()) }
        #expect(error2?.code == .corrupt)
        var header = [UInt8](WAV.encode(try AudioBuffer(sampleRate: 8000, channelCount: 1, samples: [0, 0])))
        header[20] = 2  // ADPCM
        let error3 = #expect(throws: AudioError.self) { try WAV.decode(Data(header)) }
        #expect(error3?.code == .unsupported)
        let truncated = WAV.encode(try AudioBuffer(sampleRate: 8000, channelCount: 1, samples: [0.5, 0.5, 0.5]))
        #expect(try WAV.decode(truncated.prefix(48)).frameCount == 2)
        for length in 0..<44 {
            _ = try? WAV.decode(truncated.prefix(length))
        }
        let error4 = #expect(throws: AudioError.self) { try WAV.read(from: URL(fileURLWithPath: "/nonexistent/x.wav")) }
        #expect(error4?.code == .io)
    }
}

@Suite("Audio processing")
struct AudioProcessingTests {
    @Test("resampling 22.05 → 48 kHz keeps a tone's frequency and level and the duration")
    func resample() throws {
        let rate = 22_050
        let samples = (0..<rate).map { Float(0.5 * sin(2 * Double.pi * 1000 * Double($0) / Double(rate))) }
        let audio = try AudioBuffer(sampleRate: rate, channelCount: 1, samples: samples).resampled(to: 48_000)
        #expect(audio.frameCount == 48_000)
        // Compare the middle (away from edges) with the ideal 48 kHz tone.
        var worst: Float = 0
        for index in 2000..<46_000 {
            let ideal = Float(0.5 * sin(2 * Double.pi * 1000 * Double(index) / 48_000))
            worst = max(worst, abs(audio.samples[index] - ideal))
        }
        #expect(worst < 0.001)
    }

    @Test("downsampling 48 → 16 kHz removes content above the new Nyquist frequency")
    func antiAlias() throws {
        let samples = (0..<48_000).map { Float(0.5 * sin(2 * Double.pi * 12_000 * Double($0) / 48_000)) }
        let audio = try AudioBuffer(sampleRate: 48_000, channelCount: 1, samples: samples).resampled(to: 16_000)
        let middle = audio.samples[1000..<15_000].map(abs).max() ?? 1
        #expect(middle < 0.001)
    }

    @Test("channel mixing: mono up to stereo duplicates, stereo down to mono averages")
    func mixing() throws {
        let stereo = try AudioBuffer(sampleRate: 8000, channelCount: 1, samples: [0.5, -0.25]).mixed(toChannels: 2)
        #expect(stereo.samples == [0.5, 0.5, -0.25, -0.25])
        let mono = try AudioBuffer(sampleRate: 8000, channelCount: 2, samples: [1, 0, 0.5, 0.5]).mixed(toChannels: 1)
        #expect(mono.samples == [0.5, 0.5])
        #expect(mono.duration == 2.0 / 8000)
    }

    @Test("silence trimming keeps the sound plus padding, and empties pure silence")
    func trimming() throws {
        var samples = [Float](repeating: 0.0001, count: 48_000)
        for index in 12_000..<24_000 { samples[index] = 0.5 }
        let audio = try AudioBuffer(sampleRate: 48_000, channelCount: 1, samples: samples)
        let trimmed = audio.trimmingSilence(threshold: -50, padding: 0.1)
        #expect(trimmed.frameCount == 12_000 + 2 * 4800)
        #expect(trimmed.samples[4800] == 0.5 && trimmed.samples[4799] != 0.5)
        #expect(try AudioBuffer(silenceOf: 1).trimmingSilence().frameCount == 0)
        #expect(audio.soundRange(threshold: -50, padding: 0.1) == (12_000 - 4800)..<(24_000 + 4800))
        #expect(try AudioBuffer(silenceOf: 1).soundRange() == nil)
    }
}
