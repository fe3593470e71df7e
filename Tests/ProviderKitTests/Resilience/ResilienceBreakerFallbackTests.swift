import Foundation
import ProviderKit
import ProviderKitTesting
import Testing

/// Circuit breakers and fallback chains over loopback HTTP on a virtual clock.
@Suite("Resilience: circuit breaker and fallback")
struct ResilienceBreakerFallbackTests {
    typealias Fixtures = ResilienceFixtures

    @Test("a failing provider opens its breaker, and the chain falls back within each request")
    func breakerOpensAndChainFallsBack() async throws {
        let primaryHealthy = Flag()
        let primaryServer = try LoopbackHTTPServer { _ in
            primaryHealthy.value ? Fixtures.ok("primary") : Fixtures.error(500)
        }
        defer { primaryServer.shutdown() }
        let secondaryServer = try LoopbackHTTPServer { _ in Fixtures.ok("secondary") }
        defer { secondaryServer.shutdown() }
        let clock = VirtualProviderClock()
        let breaker = CircuitBreaker(
            provider: "primary",
            configuration: .init(failureRatio: 0.5, minimumCalls: 3, window: .seconds(60), openDuration: .seconds(30)),
            clock: clock)
        let chain = Fixtures.provider(primaryServer)
            .withCircuitBreaker(breaker)
            .fallback(to: Fixtures.provider(secondaryServer), name: "primary", fallbackName: "secondary")

        for _ in 0..<3 {
            let response = try await chain.generate(Fixtures.request)
            #expect(response.text == "secondary")
            #expect(
                response.origin?.route
                    == ResponseOrigin(provider: "secondary", usedFallback: true, skipped: ["primary"]))
            #expect(response.origin?.fingerprint == Fixtures.provider(secondaryServer).identity.fingerprint)
        }
        #expect(primaryServer.requests.count == 3)
        #expect(breaker.state(model: nil) == .open)

        // Open: the primary is not even asked.
        let skipped = try await chain.generate(Fixtures.request)
        #expect(skipped.text == "secondary")
        #expect(primaryServer.requests.count == 3)
        #expect(secondaryServer.requests.count == 4)

        // After the cooldown a probe goes through; it succeeds and closes the breaker.
        primaryHealthy.value = true
        clock.advance(by: .seconds(31))
        let probed = try await chain.generate(Fixtures.request)
        #expect(probed.text == "primary")
        #expect(probed.origin?.route == ResponseOrigin(provider: "primary"))
        #expect(probed.origin?.fingerprint == Fixtures.provider(primaryServer).identity.fingerprint)
        #expect(breaker.state(model: nil) == .closed)

        var transitions: [String] = []
        for await event in breaker.events {
            transitions.append("\(event.from.rawValue)→\(event.to.rawValue)")
            if transitions.count == 3 { break }
        }
        #expect(transitions == ["closed→open", "open→half_open", "half_open→closed"])
    }

    @Test("breakers are per model, and a failed probe opens the breaker again")
    func perModelAndFailedProbe() async throws {
        let clock = VirtualProviderClock()
        let breaker = CircuitBreaker(
            provider: "p", configuration: .init(minimumCalls: 2, openDuration: .seconds(10)), clock: clock)
        for _ in 0..<2 {
            let ticket = try breaker.admit(model: "a")
            breaker.record(ticket, error: .server("down"))
        }
        #expect(breaker.state(model: "a") == .open)
        #expect(breaker.state(model: "b") == .closed)
        let error = #expect(throws: ProviderError.self) { try breaker.admit(model: "a") }
        #expect(error?.code == .circuitOpen)
        #expect(error?.retryAfter == .seconds(10))

        clock.advance(by: .seconds(10))
        let probe = try breaker.admit(model: "a")
        // Only one probe at a time.
        #expect(throws: ProviderError.self) { try breaker.admit(model: "a") }
        breaker.record(probe, error: .timeout("slow"))
        #expect(breaker.state(model: "a") == .open)
    }

    @Test("a 429 that says how long to wait opens the breaker for that long")
    func rateLimitCooldown() async throws {
        let clock = VirtualProviderClock()
        let breaker = CircuitBreaker(provider: "p", clock: clock)
        let ticket = try breaker.admit(model: nil)
        breaker.record(ticket, error: .rateLimited("slow down", retryAfter: .seconds(7)))
        #expect(breaker.state(model: nil) == .open)
        clock.advance(by: .seconds(7))
        #expect(breaker.state(model: nil) == .halfOpen)
    }

    @Test("bad requests do not count against the provider")
    func badRequestsDoNotOpen() async throws {
        let breaker = CircuitBreaker(provider: "p", configuration: .init(minimumCalls: 1))
        for _ in 0..<5 {
            let ticket = try breaker.admit(model: nil)
            breaker.record(ticket, error: .badRequest("no"))
        }
        #expect(breaker.state(model: nil) == .closed)
    }

    @Test("a stream falls back before text, and chains nest with the skipped providers named")
    func streamFallbackAndNesting() async throws {
        let down = try LoopbackHTTPServer { _ in Fixtures.error(503) }
        defer { down.shutdown() }
        let alsoDown = try LoopbackHTTPServer { _ in Fixtures.error(500) }
        defer { alsoDown.shutdown() }
        let up = try LoopbackHTTPServer { _ in Fixtures.completeStream }
        defer { up.shutdown() }
        let chain = Fixtures.provider(down)
            .fallback(to: Fixtures.provider(alsoDown), name: "a", fallbackName: "b")
            .fallback(to: Fixtures.provider(up), fallbackName: "c")
        var text = ""
        for try await part in chain.stream(Fixtures.request) {
            if case .textDelta(let delta) = part { text += delta }
        }
        #expect(text == "Hello")

        let okServer = try LoopbackHTTPServer { _ in Fixtures.ok("from c") }
        defer { okServer.shutdown() }
        let buffered = Fixtures.provider(down)
            .fallback(to: Fixtures.provider(alsoDown), name: "a", fallbackName: "b")
            .fallback(to: Fixtures.provider(okServer), fallbackName: "c")
        let response = try await buffered.generate(Fixtures.request)
        #expect(response.origin?.route == ResponseOrigin(provider: "c", usedFallback: true, skipped: ["a", "b"]))
    }

    @Test("cancellation is not a reason to fall back")
    func cancellationDoesNotFallBack() async throws {
        let slow = try LoopbackHTTPServer { _ in
            var response = Fixtures.ok()
            response.delayBeforeHead = .seconds(2)
            return response
        }
        defer { slow.shutdown() }
        let backup = try LoopbackHTTPServer { _ in Fixtures.ok("backup") }
        defer { backup.shutdown() }
        let chain = Fixtures.provider(slow).fallback(to: Fixtures.provider(backup))
        let task = Task { try await chain.generate(Fixtures.request) }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        let result = await task.result
        let error = #expect(throws: ProviderError.self) { try result.get() }
        #expect(error?.code == .cancelled)
        #expect(backup.requests.isEmpty)
    }
}

/// A Boolean shared with a server's handler thread.
final class Flag: @unchecked Sendable {
    // `@unchecked Sendable`: `stored` is only touched under `lock`.
    private let lock = NSLock()
    private var stored = false

    var value: Bool {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
