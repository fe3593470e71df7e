import Foundation
import Logging
import OfflineProviders
import ProviderKit
import ProviderKitCache
import ProviderKitTesting

/// The overhead of the full resilience stack (cache, fallback, circuit breaker, retry, rate
/// limit) per request against the bare provider, on one loopback server, in alternating rounds
/// so that both meet the same machine load.
enum ResilienceBench {
    static func run(requests: Int, rounds: Int = 5) async throws {
        let body =
            #"{"id":"x","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":1}}"#
        let server = try LoopbackHTTPServer { _ in .json(body) }
        defer { server.shutdown() }
        var quiet = Logger(label: "storyforge.bench")
        quiet.logLevel = .error
        let bare = OpenAICompatibleProvider(
            configuration: .init(baseURL: server.baseURL.appending(path: "v1"), chatModel: "m", logger: quiet))

        let directory = FileManager.default.temporaryDirectory.appending(path: "provider-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let cache = try ResponseCache(path: directory.appending(path: "cache.sqlite").path)
        let uncached =
            bare
            .withRateLimit(.init(requestsPerMinute: 1_000_000_000, maxConcurrent: 8), name: "bench")
            .withRetry(.exponentialJitter(maxAttempts: 3), name: "bench", logger: quiet)
            .withCircuitBreaker(name: "bench")
            .fallback(to: TemplateStoryWriter(), name: "bench", fallbackName: "offline", logger: quiet)
        let stack = uncached.withCache(cache, name: "bench")

        // Warm up connections, the database and the code paths.
        for index in 0..<200 {
            _ = try await bare.generate(request(index, round: -1))
            _ = try await stack.generate(request(index, round: -2))
            _ = try await uncached.generate(request(index, round: -3))
        }
        let hitRequest = request(0, round: -2)

        var bareTimes: [Double] = []
        var missTimes: [Double] = []
        var hitTimes: [Double] = []
        var uncachedTimes: [Double] = []
        for round in 0..<rounds {
            bareTimes.append(try await time(requests) { try await bare.generate(request($0, round: round)) })
            uncachedTimes.append(try await time(requests) { try await uncached.generate(request($0, round: round)) })
            // Unique prompts at temperature 0: every one is looked up, missed, sent and stored.
            missTimes.append(try await time(requests) { try await stack.generate(request($0, round: round)) })
            hitTimes.append(try await time(requests) { _ in try await stack.generate(hitRequest) })
        }
        guard server.requests.count == 600 + 3 * rounds * requests else {
            throw ProviderError.server("unexpected request count \(server.requests.count)")
        }
        // Request by request, alternating, so that machine load falls on all three alike; medians
        // ignore the scheduling spikes that dominate block averages on a busy machine.
        var paired: (bare: [Double], uncached: [Double], miss: [Double]) = ([], [], [])
        for index in 0..<(rounds * requests) {
            paired.bare.append(try await time(1) { _ in try await bare.generate(request(index, round: 1000)) })
            paired.uncached.append(try await time(1) { _ in try await uncached.generate(request(index, round: 1000)) })
            paired.miss.append(try await time(1) { _ in try await stack.generate(request(index, round: 2000)) })
        }
        func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
        let (medianBare, medianUncached, medianMiss) = (
            median(paired.bare), median(paired.uncached), median(paired.miss)
        )
        print(
            String(
                format:
                    "resilience: interleaved request by request (%d each), median latency: bare %.1f µs, "
                    + "stack without cache %.1f µs (%+.1f%%), full stack on a miss %.1f µs (%+.1f%%)",
                rounds * requests, medianBare * 1e6, medianUncached * 1e6, (medianUncached / medianBare - 1) * 100,
                medianMiss * 1e6, (medianMiss / medianBare - 1) * 100))

        try cache.flush()
        let ratios = zip(missTimes, bareTimes).map { $0 / $1 - 1 }.sorted()
        let uncachedRatios = zip(uncachedTimes, bareTimes).map { $0 / $1 - 1 }.sorted()
        let bestBare = bareTimes.min()!
        let bestMiss = missTimes.min()!
        print(
            String(
                format: "resilience: bare provider, %d sequential requests: best %.1f µs/request", requests,
                bestBare * 1e6))
        print(
            String(
                format:
                    "resilience: stack without cache (rate limit, retry, breaker, fallback): best %.1f µs/request, "
                    + "overhead best-to-best %+.1f%%, per round median %+.1f%% (%+.1f…%+.1f%%)",
                uncachedTimes.min()! * 1e6, (uncachedTimes.min()! / bestBare - 1) * 100,
                uncachedRatios[uncachedRatios.count / 2] * 100, uncachedRatios.first! * 100,
                uncachedRatios.last! * 100))
        print(
            String(
                format: "resilience: full stack, cache miss (lookup + send + store): best %.1f µs/request",
                bestMiss * 1e6))
        print(
            String(
                format:
                    "resilience: stack overhead on a miss: best-to-best %+.1f%%, per round median %+.1f%% (%+.1f…%+.1f%%)",
                (bestMiss / bestBare - 1) * 100, ratios[ratios.count / 2] * 100, ratios.first! * 100,
                ratios.last! * 100))
        print(
            String(
                format: "resilience: full stack, cache hit: best %.1f µs/request, median %.1f µs/request",
                hitTimes.min()! * 1e6, hitTimes.sorted()[hitTimes.count / 2] * 1e6))
        try await inProcess(requests: requests, quiet: quiet, directory: directory)
        let statistics = cache.statistics
        print("resilience: cache hits \(statistics.hits), misses \(statistics.misses), stored \(statistics.stores)")
    }

    /// The same stacks over a provider that answers at once, without HTTP: the decorators' own cost,
    /// free of the loopback round trip's noise.
    static func inProcess(requests: Int, quiet: Logger, directory: URL) async throws {
        let instant = InstantGenerator()
        let cache = try ResponseCache(path: directory.appending(path: "in-process.sqlite").path)
        let uncached =
            instant
            .withRateLimit(.init(requestsPerMinute: 1_000_000_000, maxConcurrent: 8), name: "bench")
            .withRetry(.exponentialJitter(maxAttempts: 3), name: "bench", logger: quiet)
            .withCircuitBreaker(name: "bench")
            .fallback(to: TemplateStoryWriter(), name: "bench", fallbackName: "offline", logger: quiet)
        let stack = uncached.withCache(cache, name: "bench")
        for index in 0..<1000 {
            _ = try await stack.generate(request(index, round: -10))
            _ = try await uncached.generate(request(index, round: -10))
        }
        try cache.flush()
        var bare: [Double] = []
        var plain: [Double] = []
        var miss: [Double] = []
        var memoryHit: [Double] = []
        var databaseHit: [Double] = []
        for round in 0..<5 {
            bare.append(try await time(requests) { try await instant.generate(request($0, round: round)) })
            plain.append(try await time(requests) { try await uncached.generate(request($0, round: round)) })
            miss.append(try await time(requests) { try await stack.generate(request($0, round: 100 + round)) })
            // The newest answers are kept decoded in memory; older ones come from SQLite.
            try cache.flush()
            memoryHit.append(
                try await time(requests) {
                    try await stack.generate(request(requests - 1 - $0 % 500, round: 100 + round))
                })
            databaseHit.append(try await time(requests) { try await stack.generate(request($0 % 1000, round: -10)) })
        }
        func micro(_ times: [Double]) -> String { String(format: "%.1f µs", times.min()! * 1e6) }
        print(
            "resilience, in process (no HTTP; best of 5 × \(requests)): bare call \(micro(bare)); "
                + "stack without cache \(micro(plain)); full stack on a miss \(micro(miss)); "
                + "hit from memory \(micro(memoryHit)); hit from SQLite \(micro(databaseHit))")
    }

    static func request(_ index: Int, round: Int) -> ChatRequest {
        ChatRequest(messages: [.user("Benchmark prompt \(round)-\(index): tell me a story.")], temperature: 0)
    }

    static func time(_ count: Int, _ body: (Int) async throws -> ChatResponse) async throws -> Double {
        let start = ContinuousClock.now
        for index in 0..<count { _ = try await body(index) }
        let elapsed = ContinuousClock.now - start
        return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18) / Double(count)
    }
}

/// A text generator that answers at once, for measuring the decorators alone.
struct InstantGenerator: TextGenerator {
    var identity: ProviderIdentity { ProviderIdentity(name: "instant", models: [.chat: "m"]) }
    var capabilities: ProviderCapabilities { [] }

    func checkHealth() async throws -> HealthReport { HealthReport(latency: .zero, detail: "instant") }

    func generate(_ request: ChatRequest) async throws -> ChatResponse {
        ChatResponse(
            text: "ok", finishReason: .stop, usage: TokenUsage(promptTokens: 9, completionTokens: 1), model: "m",
            latency: .zero)
    }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamPart, any Error> {
        AsyncThrowingStream { continuation in
            continuation.yield(.textDelta("ok"))
            continuation.yield(.finish(.stop))
            continuation.finish()
        }
    }
}
