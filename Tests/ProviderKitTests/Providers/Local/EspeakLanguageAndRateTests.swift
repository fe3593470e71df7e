import Foundation
import Testing

@testable import ProviderKit

/// The voice chosen for a request's language, and the speaking rate, against the real espeak-ng program.
@Suite("espeak-ng languages and speech rate")
struct EspeakLanguageAndRateTests {
    @Test("the configured voice is kept for its own language; other languages get espeak-ng's voice for them")
    func voiceForLanguage() {
        let cases: [(String?, String, String)] = [
            (nil, "en-us", "en-us"), ("en", "en-us", "en-us"), ("en-US", "en-us", "en-us"), ("en-GB", "en-us", "en-gb"),
            ("de", "en-us", "de"), ("de-AT", "en-us", "de"), ("es", "en-us", "es"), ("es-MX", "en-us", "es-419"),
            ("es-419", "en-us", "es-419"), ("ja", "en-us", "ja"), ("pt-BR", "en-us", "pt-br"), ("fr", "en-us", "fr-fr"),
            ("zh-Hans-CN", "en-us", "cmn"), ("de", "de", "de"), ("en", "en-gb", "en-gb"), ("", "en-us", "en-us"),
        ]
        for (language, configured, expected) in cases {
            #expect(
                EspeakSpeechSynthesizer.voice(for: language, configured: configured) == expected,
                "\(language ?? "nil") with \(configured)")
        }
    }

    static func seconds(_ speech: SynthesizedSpeech) -> Double {
        Double(speech.audio.count - 44) / 2 / Double(speech.sampleRate ?? 22_050)
    }

    @Test("German text in German speaks with the German voice: other audio than the English voice makes")
    func germanVoice() async throws {
        let text = "Der Leuchtturm war dunkel. Dann ging langsam ein Licht an."
        let synthesizer = EspeakSpeechSynthesizer()
        let german = try await synthesizer.synthesize(SpeechRequest(text: text, language: "de"))
        let english = try await synthesizer.synthesize(SpeechRequest(text: text, language: "en"))
        let explicit = try await synthesizer.synthesize(SpeechRequest(text: text, voice: "de", language: "en"))
        #expect(german.audio != english.audio)
        // A voice named in the request wins over the language.
        #expect(explicit.audio == german.audio)
        #expect(german.wordTimings?.count == 10)
    }

    @Test("Japanese sentences end at 。 and each is spoken with the Japanese voice")
    func japaneseSentences() async throws {
        #expect(EspeakSpeechSynthesizer.sentences("とうだいの ひかり。 よるが きた！") == ["とうだいの ひかり。", "よるが きた！"])
        let speech = try await EspeakSpeechSynthesizer().synthesize(
            SpeechRequest(text: "とうだいの ひかり。 よるが きた。", language: "ja"))
        let words = try #require(speech.wordTimings)
        #expect(words.map(\.word) == ["とうだいの", "ひかり", "よるが", "きた"])
        #expect(try #require(words.last).end <= Self.seconds(speech) + 1e-6)
    }

    @Test("a speech rate of 1.5 gives shorter audio than 1.0 and 0.75 longer, with every word timing inside it")
    func speechRate() async throws {
        let text = "The lighthouse was dark. Then, slowly, a light came on, and the ships came home."
        let synthesizer = EspeakSpeechSynthesizer()
        var durations: [Double] = []
        for rate in [0.75, 1.0, 1.5] {
            let speech = try await synthesizer.synthesize(SpeechRequest(text: text, speed: rate))
            let duration = Self.seconds(speech)
            durations.append(duration)
            let words = try #require(speech.wordTimings)
            #expect(words.count == 15)
            for (earlier, later) in zip(words, words.dropFirst()) {
                #expect(earlier.start < earlier.end && earlier.end <= later.start + 1e-9)
            }
            #expect(try #require(words.last).end <= duration + 1e-6, "rate \(rate)")
        }
        // espeak-ng's rate is words per minute, so duration scales close to 1/rate (pauses scale less).
        #expect(durations[2] < durations[1] * 0.8, "\(durations)")
        #expect(durations[0] > durations[1] * 1.15, "\(durations)")
    }

    @Test("a language espeak-ng has no voice for is a bad request saying how to list voices")
    func unknownVoice() async throws {
        await #expect {
            _ = try await EspeakSpeechSynthesizer().synthesize(SpeechRequest(text: "Hallo.", language: "qx"))
        } throws: { error in
            guard let error = error as? ProviderError else { return false }
            return "\(error)".contains("espeak-ng --voices")
        }
    }
}
