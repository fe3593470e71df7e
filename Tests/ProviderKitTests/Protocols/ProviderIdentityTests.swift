import Foundation
import OfflineProviders
import PropertyBased
import ProviderKit
import ProviderKitCache
import ProviderKitTesting
import Testing

/// Providers say who they are: every concrete provider reports a true identity that holds no secret, decorators
/// pass it through, chains name their members, and origins agree with the identity of the member that answered.
@Suite struct ProviderIdentityTests {
    static let secret = "sk-identity-secret-0123456789"

    static func openAI(_ configure: (inout OpenAICompatibleProvider.Configuration) -> Void = { _ in })
        -> OpenAICompatibleProvider
    {
        var configuration = OpenAICompatibleProvider.Configuration(
            baseURL: URL(string: "http://127.0.0.1:9/v1")!, apiKey: secret, extraHeaders: ["X-Org": "org-secret"])
        configure(&configuration)
        return OpenAICompatibleProvider(configuration: configuration)
    }

    @Test func everyConcreteProviderNamesItselfAndItsModels() {
        let openAI = Self.openAI().identity
        #expect(openAI.name == "openai-compatible")
        #expect(openAI.model(for: .chat) == "gpt-4o-mini")
        #expect(openAI.model(for: .speech) == "tts-1")
        #expect(openAI.model(for: .transcription) == "whisper-1")
        #expect(openAI.model(for: .images) == "dall-e-3")
        let ollama = OllamaProvider(configuration: .init(chatModel: "llama3.2")).identity
        #expect(ollama.name == "ollama" && ollama.model(for: .chat) == "llama3.2" && ollama.model(for: .speech) == nil)
        let eleven = ElevenLabsSpeechSynthesizer(configuration: .init(apiKey: Self.secret, voiceID: "v1")).identity
        #expect(eleven.name == "elevenlabs" && eleven.model(for: .speech) == "eleven_multilingual_v2")
        let espeak = EspeakSpeechSynthesizer(configuration: .init(voice: "en-gb")).identity
        #expect(espeak.name == "espeak-ng" && espeak.model(for: .speech) == "en-gb")
        #expect(TemplateStoryWriter().identity.model(for: .chat) == TemplateStoryWriter.modelName)
        #expect(ProceduralImageGenerator().identity.model(for: .images) == ProceduralImageGenerator.modelName)
    }

    @Test func whatChangesTheOutputChangesTheFingerprintAndTheKeyNeverDoes() {
        let base = Self.openAI().identity
        #expect(Self.openAI { $0.chatModel = "gpt-4o" }.identity.fingerprint != base.fingerprint)
        #expect(Self.openAI { $0.voice = "nova" }.identity.fingerprint != base.fingerprint)
        #expect(
            Self.openAI { $0.baseURL = URL(string: "http://127.0.0.1:10/v1")! }.identity.fingerprint
                != base.fingerprint)
        // Neither the key nor the headers are part of it: a new key reuses the same results, and nothing of it leaks.
        #expect(Self.openAI { $0.apiKey = "sk-other" }.identity == base)
        #expect(Self.openAI { $0.extraHeaders = [:] }.identity == base)
        for text in [base.fingerprint, base.description, base.configurationDigest] {
            #expect(!text.contains("secret") && !text.contains("sk-"))
        }
        let a = EspeakSpeechSynthesizer(configuration: .init(wordsPerMinute: 175)).identity
        let b = EspeakSpeechSynthesizer(configuration: .init(wordsPerMinute: 150)).identity
        #expect(a.name == b.name && a.models == b.models && a.fingerprint != b.fingerprint)
    }

    @Test func decoratorsPassTheIdentityThrough() async throws {
        let provider = Self.openAI()
        let decorated = provider.withRetry().withCircuitBreaker().withRateLimit(.init(requestsPerMinute: 600))
        #expect(decorated.identity == provider.identity)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("identity-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let recording = provider.recording(to: directory, mode: .replay)
        #expect(recording.identity == provider.identity)
        let cache = try ResponseCache(path: directory.appendingPathComponent("cache.sqlite").path)
        #expect(provider.withCache(cache).identity == provider.identity)
        #expect(decorated.capabilities.contains(.retriesTransientFailures))
        #expect(!provider.capabilities.contains(.retriesTransientFailures))
    }

    @Test func aFallbackChainNamesItsMembersAndTheOriginSaysWhichAnswered() async throws {
        let server = try LoopbackHTTPServer { _ in .json(#"{"error": {"message": "down"}}"#, status: 500) }
        defer { server.shutdown() }
        let remote = OpenAICompatibleProvider(configuration: .init(baseURL: server.baseURL, chatModel: "gpt-4o"))
        let chain = remote.fallback(to: TemplateStoryWriter())
        #expect(chain.identity.name == "openai-compatible>template")
        #expect(chain.identity.members == [remote.identity, TemplateStoryWriter().identity])
        #expect(chain.identity.model(for: .chat) == "gpt-4o")
        let response = try await chain.generate(ChatRequest(messages: [.user("a story")]))
        let origin = try #require(response.origin)
        let answered = TemplateStoryWriter().identity
        #expect(origin.provider == answered.name)
        #expect(origin.model == answered.model(for: .chat))
        #expect(origin.fingerprint == answered.fingerprint)
        #expect(origin.usedFallback && origin.skipped == ["openai-compatible"])
        // A different member makes a different chain.
        let other = OpenAICompatibleProvider(configuration: .init(baseURL: server.baseURL, chatModel: "gpt-4.1"))
        #expect(other.fallback(to: TemplateStoryWriter()).identity.fingerprint != chain.identity.fingerprint)
    }

    @Test func aRouterNamesItsRoutesAndItsOriginsCarryTheAnsweringIdentity() async throws {
        let local = TemplateStoryWriter()
        let router = ProviderRouter(routes: [.init(name: "local", textGenerator: local, isLocal: true)])
        #expect(router.identity.members == [local.identity])
        let response = try await router.generate(ChatRequest(messages: [.user("a story")]))
        #expect(response.origin?.provider == "local")
        #expect(response.origin?.fingerprint == local.identity.fingerprint)
        #expect(response.origin?.model == TemplateStoryWriter.modelName)
    }

    /// Random models, keys and headers: the model is always the identity's, the key never shows, and the
    /// identity is the same as without a key.
    @Test func identitiesOfRandomConfigurationsNeverHoldTheKey() async {
        await propertyCheck(count: 300, input: Gen.uint64()) { seed in
            var state = seed
            func text(_ length: Int) -> String {
                let alphabet = Array("abcXYZ019-_.:/ é🙂")
                return String(
                    (0..<length).map { _ in
                        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                        return alphabet[Int((state >> 33) % UInt64(alphabet.count))]
                    })
            }
            let model = text(1 + Int(seed % 30))
            let key = "KEY-" + text(12)
            let provider = OpenAICompatibleProvider(
                configuration: .init(apiKey: key, chatModel: model, extraHeaders: ["Authorization": key]))
            let identity = provider.identity
            #expect(identity.model(for: .chat) == model)
            #expect(!identity.fingerprint.contains(key))
            #expect(identity == OpenAICompatibleProvider(configuration: .init(chatModel: model)).identity)
        }
    }
}
