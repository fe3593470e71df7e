public import Foundation

/// A per-owner token bucket: each owner may send ``Rate/burst`` requests at once, then ``Rate/perSecond`` a
/// second; a request over it waits the seconds ``take(_:now:)`` answers (sent as `Retry-After`).
///
/// `@unchecked Sendable`: `buckets` is only touched under `lock`.
public final class TokenBucketLimiter: @unchecked Sendable {
    /// How fast one owner may send requests.
    public struct Rate: Sendable, Hashable {
        /// Requests a second, sustained; above 0.
        public var perSecond: Double
        /// Requests at once; at least 1.
        public var burst: Double

        /// Creates a rate; values outside their ranges are clamped (0.001…100 000 a second, 1…100 000 at once).
        public init(perSecond: Double, burst: Double) {
            // 100 000: far above what one server answers, so a clamp there changes nothing real.
            self.perSecond = perSecond.isFinite ? min(max(perSecond, 0.001), 100_000) : 10
            self.burst = burst.isFinite ? min(max(burst, 1), 100_000) : 20
        }

        /// 10 a second, 60 at once: a person's browser and a script polling comfortably, not a flood.
        public static let `default` = Rate(perSecond: 10, burst: 60)
    }

    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    /// The rate.
    public let rate: Rate
    private let lock = NSLock()
    private var buckets: [String: Bucket] = [:]
    /// Owners tracked before idle ones are dropped (a full bucket is the same as none).
    private let capacity = 100_000

    /// Creates a limiter.
    public init(rate: Rate) { self.rate = rate }

    /// Takes one request from `owner`'s bucket: `nil` when allowed, else the whole seconds to wait (at least 1).
    public func take(_ owner: String, now: Double = ProcessInfo.processInfo.systemUptime) -> Int? {
        lock.withLock {
            if buckets.count >= capacity {
                buckets = buckets.filter { now - $0.value.updated < rate.burst / rate.perSecond }
            }
            var bucket = buckets[owner] ?? Bucket(tokens: rate.burst, updated: now)
            bucket.tokens = min(rate.burst, bucket.tokens + max(0, now - bucket.updated) * rate.perSecond)
            bucket.updated = now
            defer { buckets[owner] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            let wait = ((1 - bucket.tokens) / rate.perSecond).rounded(.up)
            // 86 400: a day; a rate slower than one a day is a configuration mistake, not a wait to announce.
            return Int(exactly: min(max(wait, 1), 86_400)) ?? 1
        }
    }
}
