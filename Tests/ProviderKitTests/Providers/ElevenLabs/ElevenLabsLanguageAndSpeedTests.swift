import Foundation
import ProviderKit
import ProviderKitTesting
import StoryForgeCore
import Testing

/// What the ElevenLabs synthesizer sends for a request's language and speed, seen by a real server on loopback.
@Suite("ElevenLabs language and speed over loopback")
struct ElevenLabsLanguageAndSpeedTests {
    /// The JSON body of the one request `request` makes with `model`.
    func body(of request: SpeechRequest, model: String) async throws -> [String: Any] {
        let server = try LoopbackHTTPServer { _ in .bytes(Data([0xFF, 0xFB, 0x90, 0x00]), contentType: "audio/mpeg") }
        defer { server.shutdown() }
        let synthesizer = ElevenLabsSpeechSynthesizer(
            configuration: .init(baseURL: server.baseURL, apiKey: "xi-test", voiceID: "v", modelID: model))
        _ = try? await synthesizer.synthesize(request)
        let sent = try #require(server.requests.first)
        return try #require(try JSONSerialization.jsonObject(with: Data(sent.bodyText.utf8)) as? [String: Any])
    }

    @Test func aV25ModelIsToldTheLanguageAndOthersAreNot() async throws {
        let request = SpeechRequest(text: "Hallo.", format: .mp3, wantsWordTimings: false, language: "de-AT")
        #expect(try await body(of: request, model: "eleven_turbo_v2_5")["language_code"] as? String == "de")
        #expect(try await body(of: request, model: "eleven_multilingual_v2")["language_code"] == nil)
        var bad = request
        bad.language = "deu-x"
        #expect(try await body(of: bad, model: "eleven_flash_v2_5")["language_code"] == nil)
    }

    @Test func theSpeedIsSentWithinElevenLabsRangeAndANaNIsLeftOut() async throws {
        func speed(_ value: Double) async throws -> Double? {
            let body = try await body(
                of: SpeechRequest(text: "Hi.", format: .mp3, speed: value, wantsWordTimings: false),
                model: "eleven_multilingual_v2")
            return ((body["voice_settings"] as? [String: Any])?["speed"] as? NSNumber)?.doubleValue
        }
        #expect(try await speed(1.1) == 1.1)
        #expect(try await speed(1.5) == 1.2)
        #expect(try await speed(0.5) == 0.7)
        #expect(try await speed(.nan) == nil)
    }
}
