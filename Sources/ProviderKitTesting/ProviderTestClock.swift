import Foundation
public import ProviderKit

/// A `Clock` in virtual time for tests of retries, backoff, breaker cooldowns and rate limits: no test waits for
/// real seconds, and every sleep is recorded.
///
/// In ``Mode/automatic`` mode (the default) a sleep returns at once and moves the clock forward to its deadline, so
/// a whole retry schedule runs in microseconds and ``sleeps`` shows it. In ``Mode/manual`` mode a sleep suspends
/// until the test calls ``advance(by:)`` past its deadline, so the test can look at what happened before the
/// backoff ended. ProviderKit's decorators take it through ``providerClock``; a host's own code takes it as any
/// `Clock` with `Duration`:
///
/// ```swift
/// let clock = ProviderTestClock(mode: .manual)
/// let generator = provider.withRetry(.exponentialJitter(maxAttempts: 2, jitter: .none), clock: clock.providerClock)
/// async let answer = generator.generate(request)   // the server answers 503 first
/// await clock.waitForSleepers(1)                   // the retry is waiting
/// clock.advance(by: .milliseconds(500))            // the backoff passes; the second attempt goes out
/// _ = try await answer
/// ```
///
/// `@unchecked Sendable`: `current`, `sleepers` and `recorded` are only touched under `lock`.
public final class ProviderTestClock: Clock, @unchecked Sendable {
    /// How a sleep passes.
    public enum Mode: Sendable, Hashable {
        /// A sleep returns at once and moves the clock forward to its deadline.
        case automatic
        /// A sleep waits until ``ProviderTestClock/advance(by:)`` moves the clock past its deadline.
        case manual
    }

    /// A point on the test clock: the virtual time since the clock was made.
    public struct Instant: InstantProtocol {
        /// Virtual time since the clock's start.
        public let offset: Duration

        /// Creates an instant.
        public init(offset: Duration) { self.offset = offset }

        /// The instant `duration` later.
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }

        /// The time from this instant to `other`.
        public func duration(to other: Instant) -> Duration { other.offset - offset }

        /// Orders instants.
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    /// This clock as the ``ProviderKit/ProviderClock`` that ProviderKit's decorators (`withRetry`, circuit
    /// breakers, rate limiters) take: the same virtual time and the same recorded sleeps.
    public struct ProviderView: ProviderClock {
        /// The clock it shows.
        public let clock: ProviderTestClock

        /// The clock's virtual time since it was made.
        public var now: Duration { clock.now.offset }

        /// Sleeps on the clock for `duration` from now.
        public func sleep(for duration: Duration) async throws {
            try await clock.sleep(until: clock.now.advanced(by: max(duration, .zero)))
        }
    }

    private struct Sleeper {
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    /// How a sleep passes.
    public let mode: Mode
    private let lock = NSLock()
    private var current = Instant(offset: .zero)
    private var sleepers: [UUID: Sleeper] = [:]
    private var recorded: [Duration] = []

    /// Creates a clock at virtual time zero.
    public init(mode: Mode = .automatic) {
        self.mode = mode
    }

    /// The current instant.
    public var now: Instant { lock.withLock { current } }

    /// The smallest step; zero.
    public var minimumResolution: Duration { .zero }

    /// This clock for ProviderKit's decorators.
    public var providerClock: ProviderView { ProviderView(clock: self) }

    /// Every sleep asked for so far, as the time from its start to its deadline, in order.
    public var sleeps: [Duration] { lock.withLock { recorded } }

    /// How many tasks are sleeping on the clock now (always 0 in ``Mode/automatic`` mode).
    public var sleeperCount: Int { lock.withLock { sleepers.count } }

    /// Sleeps until `deadline` in virtual time; throws `CancellationError` if the task is cancelled first.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        try Task.checkCancellation()
        if mode == .automatic {
            let woken = lock.withLock { () -> [Sleeper] in
                recorded.append(max(current.duration(to: deadline), .zero))
                if current < deadline { current = deadline }
                return takeDue()
            }
            for sleeper in woken { sleeper.continuation.resume() }
            // Lets other tasks run, as a real sleep would.
            await Task.yield()
            return
        }
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = lock.withLock { () -> Bool? in
                    recorded.append(max(current.duration(to: deadline), .zero))
                    if Task.isCancelled { return false }
                    if deadline <= current { return true }
                    sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return nil
                }
                switch outcome {
                case true?: continuation.resume()
                case false?: continuation.resume(throwing: CancellationError())
                case nil: break
                }
            }
        } onCancel: {
            let sleeper = lock.withLock { sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward by `duration` (a negative one is ignored), waking every sleeper whose deadline has
    /// come.
    public func advance(by duration: Duration) {
        let woken = lock.withLock { () -> [Sleeper] in
            current = current.advanced(by: max(duration, .zero))
            return takeDue()
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    /// Waits, polling for up to about ten seconds of real time, until at least `count` tasks sleep on the clock.
    /// Returns whether they did.
    @discardableResult
    public func waitForSleepers(_ count: Int = 1) async -> Bool {
        // 10 000 polls of 1 ms: long enough for a loaded CI machine, short enough to fail a hung test.
        for _ in 0..<10_000 {
            if sleeperCount >= count { return true }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return false
    }

    /// Removes and returns the sleepers whose deadline has come; call under `lock`.
    private func takeDue() -> [Sleeper] {
        let due = sleepers.filter { $0.value.deadline <= current }
        for id in due.keys { sleepers.removeValue(forKey: id) }
        return Array(due.values)
    }
}
