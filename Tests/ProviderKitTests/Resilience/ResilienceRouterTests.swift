import Foundation
import OfflineProviders
import ProviderKit
import ProviderKitTesting
import Testing

/// The configured router: budgets, fallback, strategies, over loopback HTTP.
@Suite("Resilience: router and budgets")
struct ResilienceRouterTests {
    typealias Fixtures = ResilienceFixtures

    /// `cloud` is an OpenAI-compatible server on loopback at $1000 per million tokens (so that a
    /// few calls spend cents); `local` is the offline template writer.
    static func configuration(server: LoopbackHTTPServer, budget: Double?, strategy: String = "ordered") -> Data {
        Data(
            """
            {
              "strategy": "\(strategy)",
              \(budget.map { "\"budget_usd\": \($0)," } ?? "")
              "prices": { "test-model": { "input_per_million_tokens": 1000, "output_per_million_tokens": 1000 } },
              "providers": [
                { "name": "cloud", "kind": "openai", "base_url": "\(server.baseURL.absoluteString)/v1",
                  "api_key_env": "TEST_KEY", "model": "test-model",
                  "retry": { "max_attempts": 2, "initial_delay": 0 },
                  "circuit_breaker": { "minimum_calls": 2, "open_seconds": 30 } },
                { "name": "local", "kind": "template" }
              ]
            }
            """.utf8)
    }

    static let small = ChatRequest(messages: [.user("Hi")], maxTokens: 5)

    @Test("a budget exhausted mid-run switches to the local provider, and origins say so")
    func budgetSwitchesToLocal() async throws {
        let server = try LoopbackHTTPServer { _ in Fixtures.ok("from the cloud") }
        defer { server.shutdown() }
        let configuration = try RouterConfiguration.decode(json: Self.configuration(server: server, budget: 0.05))
        let router = try ProviderRouter(
            configuration: configuration, environment: ["TEST_KEY": Fixtures.secret], clock: VirtualProviderClock(),
            factories: ProviderRouter.offlineFactories)
        var servedBy: [String] = []
        for _ in 0..<6 {
            let response = try await router.generate(Self.small)
            servedBy.append(response.origin?.provider ?? "?")
        }
        // Each cloud call uses 15 tokens = $0.015; the fourth's estimate would pass $0.05.
        #expect(servedBy == ["cloud", "cloud", "cloud", "local", "local", "local"])
        #expect(server.requests.count == 3)
        #expect(server.requests.first?.header("Authorization") == "Bearer \(Fixtures.secret)")
        let spent = await router.ledger.totalCost
        #expect(abs(spent - 0.045) < 1e-9)
        let usage = await router.ledger.usageByProvider
        #expect(usage["cloud"]?.calls == 3)
        #expect(usage["cloud"]?.promptTokens == 30)
        #expect(usage["local"]?.calls == 3)
        #expect(usage["local"]?.cost == 0)
        let last = try await router.generate(Self.small)
        #expect(last.origin?.usedFallback == true)
        #expect(last.origin?.skipped == ["cloud"])
    }

    @Test("without a cheaper provider left, the budget is a clear error")
    func budgetError() async throws {
        let server = try LoopbackHTTPServer { _ in Fixtures.ok() }
        defer { server.shutdown() }
        let cloud = ProviderRouter.Route(
            name: "cloud", textGenerator: Fixtures.provider(server), defaultModels: ["chat": "test-model"])
        let router = ProviderRouter(
            routes: [cloud], prices: PriceTable(["test-model": ModelPrice(inputPerMillionTokens: 1000)]),
            ledger: CostLedger(budget: 0.000_1))
        let error = await #expect(throws: ProviderError.self) { try await router.generate(Self.small) }
        #expect(error?.code == .budgetExceeded)
        #expect(error?.message.contains("budget") == true)
        #expect(server.requests.isEmpty)
    }

    @Test("a failing provider is retried, then skipped for the next; its breaker then skips it without a call")
    func failureFallsBackAndBreakerSkips() async throws {
        let server = try LoopbackHTTPServer { _ in Fixtures.error(500) }
        defer { server.shutdown() }
        let configuration = try RouterConfiguration.decode(json: Self.configuration(server: server, budget: nil))
        let router = try ProviderRouter(
            configuration: configuration, environment: [:], clock: VirtualProviderClock(),
            factories: ProviderRouter.offlineFactories)
        for _ in 0..<2 {
            let response = try await router.generate(Self.small)
            #expect(response.origin?.provider == "local")
            #expect(response.origin?.usedFallback == true)
        }
        // Two calls × two attempts each, then the breaker (minimum 2 calls) is open.
        #expect(server.requests.count == 4)
        _ = try await router.generate(Self.small)
        #expect(server.requests.count == 4)
    }

    @Test("the cheapest strategy puts the free local provider first")
    func cheapestFirst() async throws {
        let server = try LoopbackHTTPServer { _ in Fixtures.ok() }
        defer { server.shutdown() }
        let configuration = try RouterConfiguration.decode(
            json: Self.configuration(server: server, budget: nil, strategy: "cheapest"))
        let router = try ProviderRouter(
            configuration: configuration, environment: [:], factories: ProviderRouter.offlineFactories)
        let response = try await router.generate(Self.small)
        // The request names no model: the origin gives the answering provider's, from its identity.
        let local = TemplateStoryWriter().identity
        #expect(
            response.origin
                == ResponseOrigin(
                    provider: "local", model: local.model(for: .chat), fingerprint: local.fingerprint))
        #expect(server.requests.isEmpty)
    }

    @Test("a router streams, and books the reported usage")
    func streaming() async throws {
        let server = try LoopbackHTTPServer { _ in
            .stream([
                Fixtures.chunk(#"{"content":"Hi"}"#), Fixtures.chunk("{}", finish: "stop"),
                #"data: {"id":"c1","choices":[],"usage":{"prompt_tokens":4,"completion_tokens":2}}"# + "\n\n",
                "data: [DONE]\n\n",
            ])
        }
        defer { server.shutdown() }
        let configuration = try RouterConfiguration.decode(json: Self.configuration(server: server, budget: 1))
        let router = try ProviderRouter(
            configuration: configuration, environment: [:], factories: ProviderRouter.offlineFactories)
        var text = ""
        for try await part in router.stream(Self.small) {
            if case .textDelta(let delta) = part { text += delta }
        }
        #expect(text == "Hi")
        #expect(abs(await router.ledger.totalCost - 0.006) < 1e-9)
    }

    @Test(
        "configuration errors name the problem",
        arguments: [
            (#"{"providers": []}"#, "providers is empty"),
            (#"{"providers": [{"name": "x", "kind": "nope"}]}"#, "unknown kind nope"),
            (
                #"{"providers": [{"name": "x", "kind": "template"}, {"name": "x", "kind": "template"}]}"#,
                "two providers"
            ),
            (#"{"providers": [{"kind": "template"}]}"#, "name"),
            (#"{"providers": [{"name": "x", "kind": "openai", "base_url": "ftp://h"}]}"#, "base_url"),
        ])
    func configurationErrors(json: String, fragment: String) throws {
        let error = #expect(throws: ProviderError.self) {
            _ = try ProviderRouter(
                configuration: try RouterConfiguration.decode(json: Data(json.utf8)),
                factories: ProviderRouter.offlineFactories)
        }
        #expect(error?.code == .badRequest)
        #expect(error?.message.contains(fragment) == true, "\(error?.message ?? "")")
    }

    @Test("prices: tokens, characters, images and audio minutes; the host extends the table")
    func pricing() {
        var prices = PriceTable.standard
        prices["mine"] = ModelPrice(inputPerMillionTokens: 2, outputPerMillionTokens: 4)
        let chat = ProviderCall(.chat(ChatRequest(messages: [.user("Hi")])))
        #expect(
            prices.cost(chat, model: "mine", usage: TokenUsage(promptTokens: 1_000_000, completionTokens: 500_000)) == 4
        )
        let speech = ProviderCall(.speech(SpeechRequest(text: String(repeating: "a", count: 2000))))
        #expect(abs(prices.cost(speech, model: "tts-1", usage: nil) - 0.03) < 1e-12)
        let images = ProviderCall(.images(ImageRequest(prompt: "x", count: 2)))
        #expect(abs(prices.cost(images, model: "dall-e-3", usage: nil) - 0.08) < 1e-12)
        let audio = ProviderCall(.transcription(TranscriptionRequest(audio: Data())))
        #expect(abs(prices.cost(audio, model: "whisper-1", usage: nil, audioSeconds: 120) - 0.012) < 1e-12)
        #expect(prices.cost(chat, model: "unknown", usage: TokenUsage(promptTokens: 5, completionTokens: 5)) == 0)
    }

    @Test("the fastest strategy moves to the provider with the lower observed latency")
    func fastestFirst() async throws {
        let slow = try LoopbackHTTPServer { _ in
            var response = Fixtures.ok("slow")
            response.delayBeforeHead = .milliseconds(60)
            return response
        }
        defer { slow.shutdown() }
        let fast = try LoopbackHTTPServer { _ in Fixtures.ok("fast") }
        defer { fast.shutdown() }
        let router = ProviderRouter(
            routes: [
                .init(name: "slow", textGenerator: Fixtures.provider(slow)),
                .init(name: "fast", textGenerator: Fixtures.provider(fast)),
            ], strategy: .fastest)
        // Unmeasured routes count as fastest, in listed order: slow, then fast, get measured first.
        #expect(try await router.generate(Self.small).origin?.provider == "slow")
        #expect(try await router.generate(Self.small).origin?.provider == "fast")
        for _ in 0..<3 {
            #expect(try await router.generate(Self.small).origin?.provider == "fast")
        }
    }
}
