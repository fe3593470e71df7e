import Foundation

/// The time source the resilience decorators read and wait on.
///
/// The default is ``SystemProviderClock``; tests inject a ``VirtualProviderClock`` so that backoff
/// delays, breaker cooldowns and rate-limit refills take no real time and can be checked exactly.
public protocol ProviderClock: Sendable {
    /// Time elapsed since the clock's origin.
    var now: Duration { get }
    /// Waits for `duration`.
    ///
    /// - Throws: `CancellationError` when the task is cancelled while waiting.
    func sleep(for duration: Duration) async throws
}

/// Real time, from `ContinuousClock`.
public struct SystemProviderClock: ProviderClock {
    private static let origin = ContinuousClock.now

    /// Creates the clock.
    public init() {}

    /// Time since the first use of any system provider clock in this process.
    public var now: Duration { ContinuousClock.now - Self.origin }

    /// Sleeps for `duration` (returns at once for zero or less).
    public func sleep(for duration: Duration) async throws {
        guard duration > .zero else {
            try Task.checkCancellation()
            return
        }
        try await Task.sleep(for: duration)
    }
}

extension ProviderClock where Self == SystemProviderClock {
    /// Real time.
    public static var system: SystemProviderClock { SystemProviderClock() }
}

/// Virtual time for tests: a sleep returns at once and moves the clock forward by its duration,
/// and every sleep is recorded.
///
/// ```swift
/// let clock = VirtualProviderClock()
/// let generator = provider.withRetry(.exponentialJitter(maxAttempts: 3), clock: clock)
/// _ = try await generator.generate(request)
/// #expect(clock.sleeps == [.seconds(2), .milliseconds(400)])
/// ```
public final class VirtualProviderClock: ProviderClock, @unchecked Sendable {
    // `@unchecked Sendable`: `elapsed` and `recorded` are only touched under `lock`.
    private let lock = NSLock()
    private var elapsed: Duration = .zero
    private var recorded: [Duration] = []

    /// Creates a clock at time zero.
    public init() {}

    /// The virtual time.
    public var now: Duration { lock.withLock { elapsed } }

    /// Every sleep asked for so far, in order.
    public var sleeps: [Duration] { lock.withLock { recorded } }

    /// Moves the clock forward without a sleep (a cooldown passing, say).
    public func advance(by duration: Duration) {
        lock.withLock { elapsed += max(duration, .zero) }
    }

    /// Records the sleep and moves the clock forward by it, without waiting.
    public func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        lock.withLock {
            recorded.append(duration)
            elapsed += max(duration, .zero)
        }
        // Lets other tasks run, as a real sleep would.
        await Task.yield()
    }
}

extension Duration {
    /// The duration in seconds as a `Double`.
    package var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    /// A duration of `seconds`, to the nearest nanosecond: negative values and NaN become zero,
    /// and anything past 10^9 s (about 31 years, +infinity included) becomes 10^9 s, which keeps
    /// the nanosecond count far inside `Int64`.
    package static func seconds(double seconds: Double) -> Duration {
        guard seconds > 0 else { return .zero }  // NaN fails the comparison too
        return .nanoseconds(Int64((min(seconds, 1e9) * 1e9).rounded()))
    }
}
