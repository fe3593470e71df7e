import Foundation
import ProviderKit
import ProviderKitTesting
import Testing

/// The `ProviderKitTesting` clock, used as a host would: retries over real loopback HTTP in virtual time.
@Suite("ProviderKitTesting: test clock")
struct ProviderTestClockTests {
    typealias Fixtures = ResilienceFixtures

    /// Code written against any `Clock`, as a host's own would be.
    static func pause<C: Clock>(on clock: C, for duration: C.Duration) async throws {
        try await clock.sleep(until: clock.now.advanced(by: duration), tolerance: nil)
    }

    @Test("automatic: a retry schedule runs at once, and its waits are recorded in order")
    func automaticRetrySchedule() async throws {
        let clock = ProviderTestClock()
        let script = ScriptedResponses([Fixtures.error(503), Fixtures.error(500)], then: Fixtures.ok("third"))
        let server = try LoopbackHTTPServer { script.handler($0) }
        defer { server.shutdown() }
        let generator = Fixtures.provider(server).withRetry(
            .exponentialJitter(maxAttempts: 3, initialDelay: .milliseconds(500), jitter: .none),
            clock: clock.providerClock)
        let started = ContinuousClock.now
        let response = try await generator.generate(Fixtures.request)
        #expect(response.text == "third")
        #expect(server.requests.count == 3)
        #expect(clock.sleeps == [.milliseconds(500), .seconds(1)])
        #expect(clock.now.offset == .milliseconds(1500))
        #expect(ContinuousClock.now - started < .seconds(1), "virtual waits must take no real time")
    }

    @Test("manual: the second attempt waits until the test moves the clock past the backoff")
    func manualRetryWaitsForTheClock() async throws {
        let clock = ProviderTestClock(mode: .manual)
        let script = ScriptedResponses([Fixtures.error(503)], then: Fixtures.ok("second"))
        let server = try LoopbackHTTPServer { script.handler($0) }
        defer { server.shutdown() }
        let generator = Fixtures.provider(server).withRetry(
            .exponentialJitter(maxAttempts: 2, initialDelay: .seconds(2), jitter: .none), clock: clock.providerClock)
        let answer = Task { try await generator.generate(Fixtures.request) }
        #expect(await clock.waitForSleepers(1))
        #expect(server.requests.count == 1)
        clock.advance(by: .milliseconds(1999))
        // Still asleep: one virtual millisecond of backoff is left.
        try await Task.sleep(for: .milliseconds(50))
        #expect(clock.sleeperCount == 1)
        #expect(server.requests.count == 1)
        clock.advance(by: .milliseconds(1))
        #expect(try await answer.value.text == "second")
        #expect(server.requests.count == 2)
        #expect(clock.sleeps == [.seconds(2)])
    }

    @Test("manual: a cancelled sleeper throws CancellationError and leaves the clock")
    func manualCancellation() async throws {
        let clock = ProviderTestClock(mode: .manual)
        let sleeper = Task { try await Self.pause(on: clock, for: .seconds(60)) }
        #expect(await clock.waitForSleepers(1))
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
        #expect(clock.now.offset == .zero)
    }

    @Test("as a Clock: a host's generic code sleeps on it; a deadline already past returns at once")
    func genericClock() async throws {
        let automatic = ProviderTestClock()
        try await Self.pause(on: automatic, for: .seconds(90))
        #expect(automatic.now.offset == .seconds(90))
        let manual = ProviderTestClock(mode: .manual)
        manual.advance(by: .seconds(5))
        manual.advance(by: .seconds(-3))  // ignored: time does not run backwards
        try await manual.sleep(until: .init(offset: .seconds(4)))
        #expect(manual.now.offset == .seconds(5))
        #expect(manual.sleeps == [.zero])
    }
}
