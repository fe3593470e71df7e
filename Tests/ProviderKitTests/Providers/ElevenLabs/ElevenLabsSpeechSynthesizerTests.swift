import Foundation
import ProviderKit
import ProviderKitTesting
import StoryForgeCore
import Testing

@Suite("ElevenLabs over loopback")
struct ElevenLabsSpeechSynthesizerTests {
    static let key = "xi-SECRET-key-123456"

    func synthesizer(_ server: LoopbackHTTPServer) -> ElevenLabsSpeechSynthesizer {
        ElevenLabsSpeechSynthesizer(configuration: .init(baseURL: server.baseURL, apiKey: Self.key, voiceID: "voice1"))
    }

    @Test("with-timestamps turns character alignment into word timings, and PCM into WAV")
    func wordTimings() async throws {
        // 0.7 s of 24 kHz PCM ending in four known samples: word times are clamped to the audio,
        // so it must be as long as the alignment says.
        let tail = Data([0x10, 0x00, 0xF0, 0xFF, 0x00, 0x01, 0x00, 0x00])
        let pcm = Data(count: 24_000 * 7 / 10 * 2 - tail.count) + tail
        let server = try LoopbackHTTPServer { _ in
            .json(
                #"{"audio_base64":"\#(pcm.base64EncodedString())","alignment":{"characters":["H","i",","," ","y","o","u"],"#
                    + #""character_start_times_seconds":[0.0,0.1,0.2,0.25,0.3,0.4,0.5],"#
                    + #""character_end_times_seconds":[0.1,0.2,0.25,0.3,0.4,0.5,0.62]},"normalized_alignment":null}"#)
        }
        defer { server.shutdown() }
        let speech = try await synthesizer(server).synthesize(SpeechRequest(text: "Hi, you", format: .wav))
        #expect(
            speech.wordTimings == [
                TimedWord(word: "Hi", start: 0, end: 0.25), TimedWord(word: "you", start: 0.3, end: 0.62),
            ])
        #expect(speech.sampleRate == 24_000)
        #expect(speech.audio.prefix(4) == Data("RIFF".utf8))
        #expect(speech.audio.suffix(8) == tail)
        #expect(speech.audio.count == 44 + pcm.count)
        let request = try #require(server.requests.first)
        #expect(request.path == "/v1/text-to-speech/voice1/with-timestamps?output_format=pcm_24000")
        #expect(request.header("xi-api-key") == Self.key)
    }

    @Test(
        "its detail error format maps to kinds, without the key",
        arguments: [
            (
                401, #"{"detail":{"status":"invalid_api_key","message":"Invalid API key: xi-SECRET-key-123456"}}"#,
                ProviderError.Code.authentication
            ),
            (
                401, #"{"detail":{"status":"quota_exceeded","message":"This request exceeds your quota."}}"#,
                .quotaExhausted
            ),
            (
                422, #"{"detail":[{"loc":["body","text"],"msg":"field required","type":"value_error.missing"}]}"#,
                .badRequest
            ),
            (429, #"{"detail":{"status":"too_many_concurrent_requests","message":"Too many"}}"#, .rateLimited),
        ])
    func errors(status: Int, body: String, expected: ProviderError.Code) async throws {
        let server = try LoopbackHTTPServer { _ in .json(body, status: status) }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            try await synthesizer(server).synthesize(SpeechRequest(text: "Hi", format: .mp3, wantsWordTimings: false))
        }
        #expect(error?.code == expected)
        #expect(error.map { "\($0)".contains(Self.key) } == false)
        #expect(error?.message.isEmpty == false)
    }
}
