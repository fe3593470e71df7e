import Foundation

/// A clock that only moves when told to, so retry delays and timeouts can be tested without waiting.
///
/// ```swift
/// let clock = TestClock()
/// async let output = runner.run(pipeline, input: x)   // a stage sleeps or retries on `clock`
/// await clock.waitForSleepers(1)
/// clock.advance(by: .seconds(5))
/// ```
///
/// `@unchecked Sendable`: `current` and `sleepers` are only touched under `lock`.
public final class TestClock: Clock, @unchecked Sendable {
    /// A point on the test clock: the time advanced since the clock was made.
    public struct Instant: InstantProtocol {
        /// Time since the clock's start.
        public let offset: Duration

        /// Creates an instant.
        public init(offset: Duration) {
            self.offset = offset
        }

        /// The instant `duration` later.
        public func advanced(by duration: Duration) -> Instant { Instant(offset: offset + duration) }

        /// The time from this instant to `other`.
        public func duration(to other: Instant) -> Duration { other.offset - offset }

        /// Orders instants.
        public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.offset < rhs.offset }
    }

    private struct Sleeper {
        let deadline: Instant
        let continuation: CheckedContinuation<Void, any Error>
    }

    private let lock = NSLock()
    private var current = Instant(offset: .zero)
    private var sleepers: [UUID: Sleeper] = [:]
    private var totalSleeps = 0

    /// Creates a clock at offset zero.
    public init() {}

    /// The current instant.
    public var now: Instant { lock.withLock { current } }

    /// The smallest step; zero.
    public var minimumResolution: Duration { .zero }

    /// How many tasks are sleeping on the clock now.
    public var sleeperCount: Int { lock.withLock { sleepers.count } }

    /// How many sleeps have ever started on the clock.
    public var sleepCount: Int { lock.withLock { totalSleeps } }

    /// Suspends until the clock is advanced to `deadline`; throws `CancellationError` if cancelled first.
    public func sleep(until deadline: Instant, tolerance: Duration? = nil) async throws {
        let id = UUID()
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let resumeNow = lock.withLock { () -> Bool in
                    totalSleeps += 1
                    if deadline <= current { return true }
                    if Task.isCancelled { return true }
                    sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return false
                }
                if resumeNow {
                    if Task.isCancelled {
                        continuation.resume(throwing: CancellationError())
                    } else {
                        continuation.resume()
                    }
                }
            }
        } onCancel: {
            let sleeper = lock.withLock { sleepers.removeValue(forKey: id) }
            sleeper?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves the clock forward, waking every sleeper whose deadline has come.
    public func advance(by duration: Duration) {
        let woken = lock.withLock { () -> [Sleeper] in
            current = current.advanced(by: duration)
            let due = sleepers.filter { $0.value.deadline <= current }
            for id in due.keys { sleepers.removeValue(forKey: id) }
            return Array(due.values)
        }
        for sleeper in woken { sleeper.continuation.resume() }
    }

    /// Waits (polling, up to about ten seconds of real time) until at least `count` tasks sleep on the clock and at
    /// least `started` sleeps have begun since the clock was made. Returns whether that happened.
    ///
    /// Counting started sleeps tells a new sleeper from one that is about to be woken or cancelled.
    @discardableResult
    public func waitForSleepers(_ count: Int = 1, started: Int = 0) async -> Bool {
        for _ in 0..<10_000 {
            let (sleeping, total) = lock.withLock { (sleepers.count, totalSleeps) }
            if sleeping >= count && total >= started { return true }
            try? await Task.sleep(for: .milliseconds(1))
        }
        return false
    }
}
