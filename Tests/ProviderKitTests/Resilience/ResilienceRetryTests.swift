import Foundation
import ProviderKit
import ProviderKitTesting
import Testing

/// Retry over real loopback HTTP on a virtual clock.
@Suite("Resilience: retry")
struct ResilienceRetryTests {
    typealias Fixtures = ResilienceFixtures

    @Test("429 with Retry-After, then 500, then success: three attempts at 0 s, 2 s and 3 s")
    func scriptedSequence() async throws {
        let clock = VirtualProviderClock()
        let arrivals = ArrivalLog(clock: clock)
        let script = ScriptedResponses(
            [Fixtures.error(429, headers: [("Retry-After", "2")]), Fixtures.error(500)], then: Fixtures.ok("third"))
        let server = try LoopbackHTTPServer { request in
            arrivals.record()
            return script.handler(request)
        }
        defer { server.shutdown() }
        let generator = Fixtures.provider(server).withRetry(
            .exponentialJitter(maxAttempts: 4, initialDelay: .milliseconds(500), jitter: .none), clock: clock)
        let response = try await generator.generate(Fixtures.request)
        #expect(response.text == "third")
        #expect(server.requests.count == 3)
        // Retry-After wins for the 429; the 500 gets the second backoff step, 500 ms × 2.
        #expect(clock.sleeps == [.seconds(2), .seconds(1)])
        #expect(arrivals.times == [.zero, .seconds(2), .seconds(3)])
    }

    @Test("retry-after-ms and x-ratelimit-reset-* durations set the wait")
    func serverDelays() async throws {
        let clock = VirtualProviderClock()
        let script = ScriptedResponses(
            [
                Fixtures.error(429, headers: [("retry-after-ms", "1500")]),
                Fixtures.error(
                    429,
                    headers: [
                        ("x-ratelimit-remaining-requests", "0"), ("x-ratelimit-reset-requests", "6m0s"),
                        ("x-ratelimit-remaining-tokens", "100"), ("x-ratelimit-reset-tokens", "20ms"),
                    ]),
            ], then: Fixtures.ok())
        let server = try LoopbackHTTPServer(handler: script.handler)
        defer { server.shutdown() }
        let generator = Fixtures.provider(server).withRetry(
            .exponentialJitter(maxAttempts: 3, maxServerDelay: .seconds(600)), clock: clock)
        _ = try await generator.generate(Fixtures.request)
        #expect(clock.sleeps == [.milliseconds(1500), .seconds(360)])
    }

    @Test("a provider asking for a longer wait than the policy allows gets its error back at once")
    func tooLongServerDelay() async throws {
        let server = try LoopbackHTTPServer { _ in Fixtures.error(429, headers: [("Retry-After", "600")]) }
        defer { server.shutdown() }
        let clock = VirtualProviderClock()
        let generator = Fixtures.provider(server).withRetry(
            .exponentialJitter(maxAttempts: 3, maxServerDelay: .seconds(120)), clock: clock)
        let error = await #expect(throws: ProviderError.self) { try await generator.generate(Fixtures.request) }
        #expect(error?.code == .rateLimited)
        #expect(error?.retryAfter == .seconds(600))
        #expect(server.requests.count == 1)
    }

    @Test(
        "Go-style durations parse",
        arguments: [
            ("6m0s", Duration.seconds(360)), ("1.5s", .milliseconds(1500)), ("120ms", .milliseconds(120)),
            ("1h2m3s", .seconds(3723)), ("20", .seconds(20)),
        ])
    func durations(text: String, expected: Duration) {
        #expect(RateLimitHeaders.parseDuration(text) == expected)
    }

    @Test("malformed durations are rejected", arguments: ["", "s", "6x", "1m2", "-3"])
    func badDurations(text: String) {
        #expect(RateLimitHeaders.parseDuration(text) == nil)
    }

    @Test(
        "errors that cannot succeed on a retry are returned after one attempt",
        arguments: [
            (401, nil as String?, ProviderError.Code.authentication), (400, nil, .badRequest),
            (429, "insufficient_quota", .quotaExhausted), (400, "context_length_exceeded", .contextTooLong),
        ])
    func neverRetried(status: Int, code: String?, kind: ProviderError.Code) async throws {
        let server = try LoopbackHTTPServer { _ in Fixtures.error(status, code: code) }
        defer { server.shutdown() }
        let clock = VirtualProviderClock()
        let generator = Fixtures.provider(server).withRetry(.exponentialJitter(maxAttempts: 5), clock: clock)
        let error = await #expect(throws: ProviderError.self) { try await generator.generate(Fixtures.request) }
        #expect(error?.code == kind)
        #expect(server.requests.count == 1)
        #expect(clock.sleeps.isEmpty)
        #expect(error?.description.contains(Fixtures.secret) == false)
    }

    @Test("408, 409 and 503 are retried until the attempts run out")
    func retriedStatuses() async throws {
        for status in [408, 409, 503] {
            let server = try LoopbackHTTPServer { _ in Fixtures.error(status) }
            defer { server.shutdown() }
            let clock = VirtualProviderClock()
            let generator = Fixtures.provider(server).withRetry(.exponentialJitter(maxAttempts: 3), clock: clock)
            await #expect(throws: ProviderError.self) { try await generator.generate(Fixtures.request) }
            #expect(server.requests.count == 3, "HTTP \(status)")
        }
    }

    @Test("full jitter stays between zero and the capped backoff")
    func jitterBounds() {
        let policy = ProviderRetryPolicy.exponentialJitter(
            maxAttempts: 100, initialDelay: .milliseconds(100), maxDelay: .seconds(2))
        for attempt in 1..<60 {
            let delay = policy.delay(afterAttempt: attempt, error: .server("x"))
            let cap = min(Duration.milliseconds(100) * (1 << min(attempt - 1, 30)), .seconds(2))
            #expect(delay.map { $0 >= .zero && $0 <= cap } == true)
        }
        #expect(policy.delay(afterAttempt: 100, error: .server("x")) == nil)
    }

    @Test("a stream that fails before any text is retried; one that fails after text is not")
    func streams() async throws {
        let clock = VirtualProviderClock()
        let early = ScriptedResponses([Fixtures.error(503)], then: Fixtures.completeStream)
        let earlyServer = try LoopbackHTTPServer(handler: early.handler)
        defer { earlyServer.shutdown() }
        var text = ""
        for try await part in Fixtures.provider(earlyServer).withRetry(clock: clock).stream(Fixtures.request) {
            if case .textDelta(let delta) = part { text += delta }
        }
        #expect(text == "Hello")
        #expect(earlyServer.requests.count == 2)

        // Text, then the connection closes without [DONE]: a transport error after text reached us.
        let late = try LoopbackHTTPServer { _ in .stream([Fixtures.chunk(#"{"content":"par"}"#)]) }
        defer { late.shutdown() }
        var partial = ""
        let error = await #expect(throws: ProviderError.self) {
            for try await part in Fixtures.provider(late).withRetry(clock: clock).stream(Fixtures.request) {
                if case .textDelta(let delta) = part { partial += delta }
            }
        }
        #expect(error?.code == .transport)
        #expect(partial == "par")
        #expect(late.requests.count == 1)
    }
}

/// When requests reached the server, on the test's virtual clock.
final class ArrivalLog: @unchecked Sendable {
    // `@unchecked Sendable`: `entries` is only touched under `lock`.
    private let lock = NSLock()
    private var entries: [Duration] = []
    private let clock: VirtualProviderClock

    init(clock: VirtualProviderClock) { self.clock = clock }

    func record() {
        let now = clock.now
        lock.withLock { entries.append(now) }
    }

    var times: [Duration] { lock.withLock { entries } }
}
