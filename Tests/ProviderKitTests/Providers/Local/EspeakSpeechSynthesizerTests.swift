import Foundation
import ProviderKit
import Testing

/// These run the real espeak-ng program (CI installs it).
@Suite("espeak-ng speech synthesiser")
struct EspeakSpeechSynthesizerTests {
    @Test("speaks two sentences into one WAV with ordered word timings inside its duration")
    func speaksWithTimings() async throws {
        let synthesizer = EspeakSpeechSynthesizer()
        let speech = try await synthesizer.synthesize(
            SpeechRequest(text: "The lighthouse was dark. Then, slowly, a light came on!"))
        #expect(speech.format == .wav)
        #expect(speech.sampleRate == 22_050)
        #expect(speech.audio.prefix(4) == Data("RIFF".utf8))
        let dataBytes = speech.audio.count - 44
        let duration = Double(dataBytes) / 2 / 22_050
        #expect(duration > 1.5 && duration < 10, "two short sentences last a few seconds, not \(duration) s")
        let words = try #require(speech.wordTimings)
        #expect(
            words.map(\.word) == ["The", "lighthouse", "was", "dark", "Then", "slowly", "a", "light", "came", "on"])
        for (earlier, later) in zip(words, words.dropFirst()) {
            #expect(earlier.start < earlier.end)
            #expect(earlier.end <= later.start + 1e-9)
        }
        #expect(try #require(words.last).end <= duration + 1e-6)
        // The second sentence starts after the first sentence's audio and the gap.
        #expect(words[4].start > words[3].end + 0.2)
    }

    @Test("phrase breaks at commas fall in the silence espeak-ng leaves there")
    func commasAlignWithSilence() async throws {
        let speech = try await EspeakSpeechSynthesizer().synthesize(
            SpeechRequest(text: "Then, slowly and carefully, a light came on."))
        let words = try #require(speech.wordTimings)
        #expect(words.map(\.word) == ["Then", "slowly", "and", "carefully", "a", "light", "came", "on"])
        let samples = speech.audio.dropFirst(44).withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        func peak(from start: Double, to end: Double) -> Int32 {
            let range = Int(start * 22_050)..<max(Int(start * 22_050) + 1, Int(end * 22_050))
            return samples[range].map { abs(Int32($0)) }.max() ?? 0
        }
        // Between "Then" and "slowly", and between "carefully" and "a", the audio is (near) silent,
        // while each of those words is loud somewhere.
        #expect(words[1].start - words[0].end > 0.05)
        #expect(peak(from: words[0].end, to: words[1].start) <= 300)
        #expect(peak(from: words[3].end, to: words[4].start) <= 300)
        #expect(peak(from: words[1].start, to: words[1].end) > 1000)
    }

    @Test("the same text gives the same audio")
    func deterministic() async throws {
        let synthesizer = EspeakSpeechSynthesizer()
        let first = try await synthesizer.synthesize(SpeechRequest(text: "Same words, same sound."))
        let second = try await synthesizer.synthesize(SpeechRequest(text: "Same words, same sound."))
        #expect(first.audio == second.audio)
        _ = try await synthesizer.checkHealth()
    }

    @Test("raw PCM is the WAV's samples without the header")
    func rawPCM() async throws {
        let synthesizer = EspeakSpeechSynthesizer()
        let wav = try await synthesizer.synthesize(SpeechRequest(text: "Short.", format: .wav))
        let pcm = try await synthesizer.synthesize(SpeechRequest(text: "Short.", format: .pcm))
        #expect(pcm.format == .pcm)
        #expect(pcm.audio.startIndex == 0)
        #expect(pcm.audio == wav.audio.dropFirst(44))
    }

    @Test("text that looks like an option is spoken, not obeyed")
    func noOptionInjection() async throws {
        let speech = try await EspeakSpeechSynthesizer().synthesize(SpeechRequest(text: "--version -w /tmp/x.wav"))
        #expect(speech.audio.count > 1000)
    }

    @Test("a missing program is an unsupported error naming it; mp3 is refused")
    func missingProgram() async throws {
        let missing = EspeakSpeechSynthesizer(configuration: .init(executable: "espeak-ng-does-not-exist"))
        let error = await #expect(throws: ProviderError.self) {
            try await missing.synthesize(SpeechRequest(text: "Hi."))
        }
        #expect(error?.code == .unsupported)
        #expect(error?.message.contains("espeak-ng-does-not-exist") == true)
        let error2 = await #expect(throws: ProviderError.self) {
            try await EspeakSpeechSynthesizer().synthesize(SpeechRequest(text: "Hi.", format: .mp3))
        }
        #expect(error2?.code == .unsupported)
    }
}
