import Foundation
import ProviderKit
import ProviderKitTesting
import Testing

/// Rate limiting: concurrency over loopback, token buckets on a virtual clock.
@Suite("Resilience: rate limit")
struct ResilienceRateLimitTests {
    typealias Fixtures = ResilienceFixtures

    @Test("concurrent requests through a limiter never exceed its concurrency limit")
    func concurrencyLimit() async throws {
        let gauge = Gauge()
        let server = try LoopbackHTTPServer { _ in
            gauge.enter()
            Thread.sleep(forTimeInterval: 0.01)
            gauge.leave()
            return Fixtures.ok()
        }
        defer { server.shutdown() }
        let limiter = ProviderRateLimiter(provider: "openai", configuration: .init(maxConcurrent: 3))
        let generator = Fixtures.provider(server).withRateLimit(limiter)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<24 {
                group.addTask { _ = try await generator.generate(Fixtures.request) }
            }
            try await group.waitForAll()
        }
        #expect(server.requests.count == 24)
        #expect(gauge.maximum <= 3)
        #expect(limiter.maxCallsInFlight == 3)
        #expect(limiter.callsInFlight == 0)
    }

    @Test("requests per minute: a full bucket then one request per refill interval")
    func requestsPerMinute() async throws {
        let server = try LoopbackHTTPServer { _ in Fixtures.ok() }
        defer { server.shutdown() }
        let clock = VirtualProviderClock()
        let generator = Fixtures.provider(server).withRateLimit(.init(requestsPerMinute: 2), clock: clock)
        for _ in 0..<4 { _ = try await generator.generate(Fixtures.request) }
        #expect(clock.sleeps == [.seconds(30), .seconds(30)])
    }

    @Test("tokens per minute are charged by estimate and corrected by reported usage")
    func tokensPerMinute() async throws {
        // Each answer reports 600 tokens used; the bucket holds 1000 per minute.
        let server = try LoopbackHTTPServer { _ in .json(Fixtures.chatJSON(promptTokens: 500, completionTokens: 100)) }
        defer { server.shutdown() }
        let clock = VirtualProviderClock()
        let limiter = ProviderRateLimiter(
            provider: "openai", configuration: .init(tokensPerMinute: 1000), clock: clock)
        let generator = Fixtures.provider(server).withRateLimit(limiter)
        let request = ChatRequest(messages: [.user("Hi")], maxTokens: 100)
        _ = try await generator.generate(request)
        #expect(clock.sleeps.isEmpty)
        _ = try await generator.generate(request)
        // 1000 − 600 − 600 < 0: the second was let in on its estimate (~101), the third waits.
        _ = try await generator.generate(request)
        #expect(clock.sleeps.count == 1)
    }

    @Test("x-ratelimit headers saying nothing remains hold the next request until the reset")
    func headersFeedTheLimiter() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(
                Fixtures.chatJSON(),
                headers: [
                    ("x-ratelimit-limit-requests", "100"), ("x-ratelimit-remaining-requests", "0"),
                    ("x-ratelimit-reset-requests", "12s"),
                ])
        }
        defer { server.shutdown() }
        let clock = VirtualProviderClock()
        let limiter = ProviderRateLimiter(provider: "openai", configuration: .init(), clock: clock)
        let generator = Fixtures.provider(server).withRateLimit(limiter)
        _ = try await generator.generate(Fixtures.request)
        #expect(clock.sleeps.isEmpty)
        _ = try await generator.generate(Fixtures.request)
        #expect(clock.sleeps == [.seconds(12)])
    }

    @Test("a wait longer than maxWait fails as rate limited instead of hanging")
    func maxWait() async throws {
        let server = try LoopbackHTTPServer { _ in Fixtures.ok() }
        defer { server.shutdown() }
        let clock = VirtualProviderClock()
        let generator = Fixtures.provider(server).withRateLimit(
            .init(requestsPerMinute: 1, maxWait: .seconds(10)), clock: clock)
        _ = try await generator.generate(Fixtures.request)
        let error = await #expect(throws: ProviderError.self) { try await generator.generate(Fixtures.request) }
        #expect(error?.code == .rateLimited)
        #expect(server.requests.count == 1)
    }

    @Test("a task cancelled while queued for a slot leaves the queue")
    func cancelledWaiter() async throws {
        let limiter = ProviderRateLimiter(provider: "p", configuration: .init(maxConcurrent: 1))
        let held = try await limiter.acquire(tokens: 1)
        let waiter = Task { try await limiter.acquire(tokens: 1) }
        try await Task.sleep(for: .milliseconds(50))
        waiter.cancel()
        let result = await waiter.result
        let error = #expect(throws: ProviderError.self) { try result.get() }
        #expect(error?.code == .cancelled)
        limiter.release(held, usedTokens: nil)
        #expect(limiter.callsInFlight == 0)
    }
}

/// Counts handlers running at once on the server's threads.
final class Gauge: @unchecked Sendable {
    // `@unchecked Sendable`: both counts are only touched under `lock`.
    private let lock = NSLock()
    private var current = 0
    private var peak = 0

    func enter() {
        lock.withLock {
            current += 1
            peak = max(peak, current)
        }
    }

    func leave() { lock.withLock { current -= 1 } }

    var maximum: Int { lock.withLock { peak } }
}
