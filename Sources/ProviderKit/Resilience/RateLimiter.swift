import Foundation

/// Token buckets for requests and tokens per minute, and a limit on calls in flight, for one
/// provider.
///
/// The buckets learn from the provider's `x-ratelimit-*` headers when it sends them: what is
/// left, when it resets, and the limits themselves when none were configured. A call waits (on
/// the injectable clock) until the buckets allow it; the concurrency limit queues calls first in,
/// first out. ElevenLabs, for one, queues requests per concurrency slot.
public final class ProviderRateLimiter: @unchecked Sendable {
    // `@unchecked Sendable`: the buckets, counts and waiters are only touched under `lock`; the
    // rest never changes after init. A lock, not an actor: a call that need not wait must not
    // cost an executor hop.
    /// The limits; `nil` means no limit of that kind.
    public struct Configuration: Sendable, Hashable {
        /// Requests per minute.
        public var requestsPerMinute: Int?
        /// Tokens per minute (prompt and completion; estimated before the call, corrected after).
        public var tokensPerMinute: Int?
        /// Calls in flight at once.
        public var maxConcurrent: Int?
        /// The longest a call waits for the buckets (5 minutes by default); past it the call fails
        /// at once with ``ProviderError/rateLimited``, so no wait a provider's headers ask for
        /// (`x-ratelimit-reset-*`, clamped to a day when read) is ever slept beyond it.
        public var maxWait: Duration

        /// Creates limits.
        public init(
            requestsPerMinute: Int? = nil,
            tokensPerMinute: Int? = nil,
            maxConcurrent: Int? = nil,
            maxWait: Duration = .seconds(300)
        ) {
            self.requestsPerMinute = requestsPerMinute.map { max(1, $0) }
            self.tokensPerMinute = tokensPerMinute.map { max(1, $0) }
            self.maxConcurrent = maxConcurrent.map { max(1, $0) }
            self.maxWait = max(.zero, maxWait)
        }
    }

    /// A call's place in the limiter, returned by ``acquire(tokens:)``.
    public struct Lease: Sendable {
        let estimatedTokens: Int
        let holdsSlot: Bool
    }

    private struct Bucket {
        var capacity: Double
        var available: Double
        var updated: Duration
        /// Set from a provider's "0 remaining, resets in …": nothing is granted before this.
        var blockedUntil: Duration = .zero

        mutating func refill(at now: Duration) {
            let elapsed = max(0, (now - updated).seconds)
            available = min(capacity, available + elapsed * capacity / 60)
            updated = now
        }

        /// How long until `amount` is available.
        func wait(for amount: Double, at now: Duration) -> Duration {
            var wait = max(.zero, blockedUntil - now)
            if available < amount {
                wait = max(wait, .seconds(double: (amount - available) * 60 / capacity))
            }
            return wait
        }
    }

    private enum WaiterState {
        case waiting
        case cancelled
    }

    /// The provider's name, for errors and logs.
    public let provider: String
    /// The configured limits.
    public let configuration: Configuration
    private let clock: any ProviderClock
    private let lock = NSLock()
    private var requests: Bucket?
    private var tokens: Bucket?
    private var inFlight = 0
    private var highWater = 0
    private var waiters: [(id: UInt64, continuation: CheckedContinuation<Void, any Error>)] = []
    private var waiterStates: [UInt64: WaiterState] = [:]
    private var nextWaiter: UInt64 = 0

    /// Creates a limiter for `provider`.
    public init(
        provider: String,
        configuration: Configuration,
        clock: any ProviderClock = SystemProviderClock()
    ) {
        self.provider = provider
        self.configuration = configuration
        self.clock = clock
        let now = clock.now
        requests = configuration.requestsPerMinute.map {
            Bucket(capacity: Double($0), available: Double($0), updated: now)
        }
        tokens = configuration.tokensPerMinute.map {
            Bucket(capacity: Double($0), available: Double($0), updated: now)
        }
    }

    /// Calls in flight now.
    public var callsInFlight: Int { lock.withLock { inFlight } }
    /// The most calls that were in flight at once.
    public var maxCallsInFlight: Int { lock.withLock { highWater } }

    /// Waits for a concurrency slot and for the buckets to allow a call of about `tokens` tokens.
    ///
    /// - Throws: ``ProviderError/rateLimited`` when the wait would pass ``Configuration/maxWait``,
    ///   ``ProviderError/cancelled(_:)`` when the task is cancelled while waiting.
    public func acquire(tokens estimate: Int) async throws -> Lease {
        let holdsSlot = configuration.maxConcurrent != nil
        if let limit = configuration.maxConcurrent {
            let granted = lock.withLock { takeSlotIfFree(limit) }
            if !granted { try await waitForSlot(limit) }
        }
        do {
            try await waitForBuckets(tokens: Double(estimate))
        } catch {
            if holdsSlot { releaseSlot() }
            throw error
        }
        return Lease(estimatedTokens: estimate, holdsSlot: holdsSlot)
    }

    /// Ends a call: frees its slot and corrects the token bucket by what it really used.
    public func release(_ lease: Lease, usedTokens: Int?) {
        if let usedTokens {
            // Negative balance is allowed: a call that used more than estimated delays the next ones,
            // by at most one minute's worth (the debt stops at one bucket), so that a usage count a
            // server made up (2^53 tokens) cannot block the limiter for years.
            lock.withLock {
                guard var bucket = tokens else { return }
                bucket.available -= Double(usedTokens) - Double(lease.estimatedTokens)
                bucket.available = min(bucket.capacity, max(-bucket.capacity, bucket.available))
                tokens = bucket
            }
        }
        if lease.holdsSlot { releaseSlot() }
    }

    /// Takes in what the provider said about its limits.
    public func update(from headers: RateLimitHeaders) {
        let now = clock.now
        func apply(_ bucket: inout Bucket?, limit: Int?, remaining: Int?, reset: Duration?) {
            if bucket == nil, let limit, limit > 0 {
                bucket = Bucket(capacity: Double(limit), available: Double(remaining ?? limit), updated: now)
            }
            guard var current = bucket else { return }
            current.refill(at: now)
            if let remaining { current.available = min(current.available, Double(remaining)) }
            if remaining == 0, let reset { current.blockedUntil = max(current.blockedUntil, now + reset) }
            bucket = current
        }
        lock.withLock {
            apply(
                &requests, limit: headers.limitRequests, remaining: headers.remainingRequests,
                reset: headers.resetRequests)
            apply(&tokens, limit: headers.limitTokens, remaining: headers.remainingTokens, reset: headers.resetTokens)
        }
    }

    /// Under the lock: takes a slot when one is free and nobody queues before us.
    private func takeSlotIfFree(_ limit: Int) -> Bool {
        guard inFlight < limit, waiters.isEmpty else { return false }
        inFlight += 1
        highWater = max(highWater, inFlight)
        return true
    }

    /// Takes what the buckets allow now, or says how long to wait.
    private func takeFromBuckets(_ estimate: Double) -> Duration {
        lock.withLock {
            let now = clock.now
            requests?.refill(at: now)
            tokens?.refill(at: now)
            let tokenNeed = min(estimate, tokens?.capacity ?? estimate)
            let wait = max(
                requests?.wait(for: 1, at: now) ?? .zero,
                tokens?.wait(for: tokenNeed, at: now) ?? .zero)
            if wait <= .zero {
                requests?.available -= 1
                tokens?.available -= estimate
            }
            return wait
        }
    }

    private func waitForBuckets(tokens estimate: Double) async throws {
        var waited = Duration.zero
        while true {
            let wait = takeFromBuckets(estimate)
            if wait <= .zero { return }
            guard waited + wait <= configuration.maxWait else {
                throw ProviderError.rateLimited(
                    "\(provider): the local rate limit would need a wait of "
                        + "\(CheckedNumber.wholeSecondsRoundedUp(wait)) s, more than its maximum of "
                        + "\(CheckedNumber.wholeSecondsRoundedUp(configuration.maxWait)) s",
                    retryAfter: wait, statusCode: nil)
            }
            do { try await clock.sleep(for: wait) } catch {
                throw ProviderError.cancelled("cancelled while waiting for the rate limit")
            }
            waited += wait
        }
    }

    private enum Registration {
        case granted, queued, cancelled
    }

    private func waitForSlot(_ limit: Int) async throws {
        let id = lock.withLock {
            nextWaiter += 1
            waiterStates[nextWaiter] = .waiting
            return nextWaiter
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome: Registration = lock.withLock {
                    defer { waiterStates[id] = nil }
                    if waiterStates[id] == .cancelled { return .cancelled }
                    if takeSlotIfFree(limit) { return .granted }
                    waiters.append((id, continuation))
                    return .queued
                }
                switch outcome {
                case .granted: continuation.resume()
                case .cancelled:
                    continuation.resume(throwing: ProviderError.cancelled("cancelled while waiting for a slot"))
                case .queued: break
                }
            }
        } onCancel: {
            let removed: CheckedContinuation<Void, any Error>? = lock.withLock {
                if let index = waiters.firstIndex(where: { $0.id == id }) {
                    return waiters.remove(at: index).continuation
                }
                // Not queued yet: tell the registration it is cancelled.
                if waiterStates[id] == .waiting { waiterStates[id] = .cancelled }
                return nil
            }
            removed?.resume(throwing: ProviderError.cancelled("cancelled while waiting for a slot"))
        }
    }

    private func releaseSlot() {
        let next: CheckedContinuation<Void, any Error>? = lock.withLock {
            guard !waiters.isEmpty else {
                inFlight -= 1
                return nil
            }
            // The slot passes straight to the first waiter; `inFlight` stays the same.
            return waiters.removeFirst().continuation
        }
        next?.resume()
    }
}

/// A provider whose calls pass through a ``ProviderRateLimiter``, which also learns from the
/// provider's `x-ratelimit-*` headers.
public struct RateLimitedProvider<Base: Provider>: ProviderDecorator {
    /// The wrapped provider.
    public let base: Base
    /// The limiter, shared by every copy of this decorator.
    public let limiter: ProviderRateLimiter

    /// Wraps `base`; prefer ``Provider/withRateLimit(_:)``.
    public init(_ base: Base, limiter: ProviderRateLimiter) {
        self.base = base
        self.limiter = limiter
    }

    /// Waits for the limiter, calls, and hands back the slot and the real token usage.
    public func intercept<Output: Sendable>(
        _ call: ProviderCall,
        _ operation: @escaping @Sendable () async throws -> Output
    ) async throws -> Output {
        let lease = try await limiter.acquire(tokens: call.estimatedTokens)
        let seen = SeenRateLimitHeaders()
        do {
            let output = try await ResponseHeadObserver.$current.withValue(seen.observer()) { try await operation() }
            if let headers = seen.latest { limiter.update(from: headers) }
            limiter.release(lease, usedTokens: (output as? ChatResponse)?.usage?.totalTokens)
            return output
        } catch {
            if let headers = seen.latest { limiter.update(from: headers) }
            limiter.release(lease, usedTokens: nil)
            throw ProviderError.typed(error)
        }
    }

    /// Holds a slot for the whole stream.
    public func interceptStream(
        _ call: ProviderCall,
        _ open: @escaping @Sendable () -> AsyncThrowingStream<ChatStreamPart, any Error>
    ) -> AsyncThrowingStream<ChatStreamPart, any Error> {
        let limiter = limiter
        return makeDecoratedStream { continuation in
            let lease = try await limiter.acquire(tokens: call.estimatedTokens)
            let seen = SeenRateLimitHeaders()
            var used: Int?
            do {
                let stream = ResponseHeadObserver.$current.withValue(seen.observer()) { open() }
                for try await part in stream {
                    if case .usage(let usage) = part { used = usage.totalTokens }
                    continuation.yield(part)
                }
                if let headers = seen.latest { limiter.update(from: headers) }
                limiter.release(lease, usedTokens: used)
            } catch {
                if let headers = seen.latest { limiter.update(from: headers) }
                limiter.release(lease, usedTokens: used)
                throw error
            }
        }
    }
}

/// The last `x-ratelimit-*` headers seen during one call.
private final class SeenRateLimitHeaders: @unchecked Sendable {
    // `@unchecked Sendable`: `headers` is only touched under `lock`.
    private let lock = NSLock()
    private var headers: RateLimitHeaders?

    var latest: RateLimitHeaders? { lock.withLock { headers } }

    /// An observer that keeps the headers and passes every head on to the observer around it.
    func observer() -> ResponseHeadObserver {
        let parent = ResponseHeadObserver.current
        return ResponseHeadObserver { [self] head in
            parent?.onHead(head)
            guard let parsed = RateLimitHeaders(head) else { return }
            lock.withLock { headers = parsed }
        }
    }
}

extension RateLimitedProvider: NamedDecorator {
    package var decoratedName: String { limiter.provider }
}

extension RateLimitedProvider: TextGenerator where Base: TextGenerator {}
extension RateLimitedProvider: SpeechSynthesizer where Base: SpeechSynthesizer {}
extension RateLimitedProvider: Transcriber where Base: Transcriber {}
extension RateLimitedProvider: ImageGenerator where Base: ImageGenerator {}
extension RateLimitedProvider: VideoClipGenerator where Base: VideoClipGenerator {}

extension Provider {
    /// Passes calls through `limiter`; share one limiter between decorators of the same account.
    public func withRateLimit(_ limiter: ProviderRateLimiter) -> RateLimitedProvider<Self> {
        RateLimitedProvider(self, limiter: limiter)
    }

    /// Passes calls through a new limiter with `configuration`.
    public func withRateLimit(
        _ configuration: ProviderRateLimiter.Configuration,
        name: String? = nil,
        clock: any ProviderClock = SystemProviderClock()
    ) -> RateLimitedProvider<Self> {
        RateLimitedProvider(
            self,
            limiter: ProviderRateLimiter(
                provider: name ?? providerName(of: self), configuration: configuration, clock: clock))
    }
}
