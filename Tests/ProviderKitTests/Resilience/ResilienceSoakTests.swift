import Foundation
import Logging
import ProviderKit
import ProviderKitCache
import ProviderKitTesting
import Testing

/// Ten thousand requests through the whole decorator stack against a server that fails a fifth
/// of the time in assorted ways.
@Suite("Resilience: soak")
struct ResilienceSoakTests {
    typealias Fixtures = ResilienceFixtures

    /// 500s, 429s with a zero wait, 503s, malformed JSON (not retried: falls back) and bodies cut
    /// short (a transport error, retried).
    static let failures: [LoopbackHTTPServer.Response] = [
        Fixtures.error(500),
        Fixtures.error(429, headers: [("retry-after-ms", "0")]),
        Fixtures.error(503),
        .json("{not json"),
        LoopbackHTTPServer.Response(
            status: 200, headers: [("Content-Type", "application/json")], parts: [.data(Data("{\"id\":".utf8))],
            framing: .contentLength(400)),
    ]

    @Test(
        "10,000 requests through cache, breaker, retry, rate limit and fallback all end in success or a typed error",
        .timeLimit(.minutes(2)))
    func soak() async throws {
        let primary = try LoopbackHTTPServer(
            handler: ScriptedResponses.randomFailures(rate: 0.2, seed: 42, failures: Self.failures) { request in
                request.path.hasSuffix("completions") && request.bodyText.contains("\"stream\":true")
                    ? Fixtures.completeStream : Fixtures.ok()
            })
        defer { primary.shutdown() }
        let secondary = try LoopbackHTTPServer(
            handler: ScriptedResponses.randomFailures(rate: 0.2, seed: 7, failures: Self.failures) { request in
                request.bodyText.contains("\"stream\":true") ? Fixtures.completeStream : Fixtures.ok("secondary")
            })
        defer { secondary.shutdown() }

        let clock = VirtualProviderClock()
        let cache = try ResponseCache.inMemory()
        let limiter = ProviderRateLimiter(provider: "primary", configuration: .init(maxConcurrent: 8), clock: clock)
        let breaker = CircuitBreaker(
            provider: "primary", configuration: .init(minimumCalls: 20, openDuration: .milliseconds(10)),
            clock: clock, logger: Fixtures.quiet)
        let retry = ProviderRetryPolicy.exponentialJitter(maxAttempts: 3, initialDelay: .zero)
        let stack = Fixtures.provider(primary)
            .withRateLimit(limiter)
            .withRetry(retry, name: "primary", clock: clock, logger: Fixtures.quiet)
            .withCircuitBreaker(breaker)
            .fallback(
                to: Fixtures.provider(secondary).withRetry(
                    retry, name: "secondary", clock: clock, logger: Fixtures.quiet),
                name: "primary", fallbackName: "secondary", logger: Fixtures.quiet
            )
            .withCache(cache, name: "chain")

        let total = 10_000
        let outcomes = try await withThrowingTaskGroup(of: Outcome.self) { group in
            var outcomes = Outcomes()
            var started = 0
            // At most 16 in flight from the client's side: the limiter lets 8 through at once.
            while started < total || !group.isEmpty {
                while started < total, started - outcomes.count < 16 {
                    let index = started
                    group.addTask { await Self.one(index, through: stack) }
                    started += 1
                }
                if let outcome = try await group.next() { outcomes.add(outcome) }
            }
            return outcomes
        }
        #expect(outcomes.count == total)
        #expect(outcomes.untyped.isEmpty, "errors that are not ProviderErrors: \(outcomes.untyped.prefix(3))")
        #expect(outcomes.successes + outcomes.typedFailures == total)
        // With three attempts and a fallback, nearly everything succeeds.
        #expect(outcomes.successes > total * 95 / 100)
        #expect(outcomes.cacheHits > 0)
        #expect(limiter.callsInFlight == 0)
        #expect(limiter.maxCallsInFlight <= 8)
    }

    enum Outcome: Sendable {
        case success(fromCache: Bool)
        case typedFailure(ProviderError)
        case untyped(String)
    }

    struct Outcomes {
        var count = 0
        var successes = 0
        var cacheHits = 0
        var typedFailures = 0
        var untyped: [String] = []

        mutating func add(_ outcome: Outcome) {
            count += 1
            switch outcome {
            case .success(let fromCache):
                successes += 1
                if fromCache { cacheHits += 1 }
            case .typedFailure: typedFailures += 1
            case .untyped(let text): untyped.append(text)
            }
        }
    }

    /// Every tenth request streams; every fifth repeats an earlier prompt at temperature 0 (a cache hit
    /// when the earlier one succeeded); the rest are unique.
    static func one(_ index: Int, through stack: some TextGenerator) async -> Outcome {
        let repeated = index % 5 == 0 && index >= 100
        let prompt = repeated ? "prompt \(index % 100)" : "prompt \(index)"
        let request = ChatRequest(messages: [.user(prompt)], temperature: repeated || index < 100 ? 0 : 0.7)
        do {
            if index % 10 == 3 {
                var finished = false
                for try await part in stack.stream(request) {
                    if case .finish = part { finished = true }
                }
                return finished ? .success(fromCache: false) : .untyped("a stream ended without finishing")
            }
            let response = try await stack.generate(request)
            return .success(fromCache: response.origin?.fromCache == true)
        } catch let error as ProviderError {
            return .typedFailure(error)
        } catch {
            return .untyped(String(describing: error))
        }
    }
}
