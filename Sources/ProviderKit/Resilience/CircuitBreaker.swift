import Foundation
public import Logging
import Metrics

/// A circuit breaker per model of one provider: closed → open after too many failures in a window
/// (or at once on a 429 that says how long to wait) → half-open, letting a probe through after a
/// cooldown → closed when the probe succeeds, open again when it fails.
///
/// While open, calls fail at once with ``ProviderError/circuitOpen(_:retryAfter:)``, which a
/// ``FallbackProvider`` or ``ProviderRouter`` takes as a reason to skip to the next provider.
/// Transitions are logged, counted (`storyforge_provider_circuit_transitions_total`) and published
/// on ``events``.
public final class CircuitBreaker: @unchecked Sendable {
    // `@unchecked Sendable`: `models` and `pendingEvents` are only touched under `lock`; the rest
    // never changes after init. A lock, not an actor: admitting a call must not cost an executor hop.
    /// When the breaker opens and how long it stays open.
    public struct Configuration: Sendable {
        /// The share of failed calls in the window that opens the breaker.
        public var failureRatio: Double
        /// The fewest calls in the window before the ratio is judged.
        public var minimumCalls: Int
        /// How far back calls count.
        public var window: Duration
        /// How long the breaker stays open before a probe.
        public var openDuration: Duration
        /// Whether a 429 with a wait (`Retry-After`) opens the breaker for that long at once.
        public var opensOnRateLimit: Bool
        /// The longest the breaker stays open before a probe, whatever ``openDuration`` or a
        /// provider's `Retry-After` says: 10 minutes by default.
        public var maxOpenDuration: Duration
        /// Which errors count against the provider; by default all but bad requests, context too
        /// long, content filtering, malformed output, cancellation, open circuits and budgets.
        public var isFailure: @Sendable (ProviderError) -> Bool

        /// Creates a configuration.
        public init(
            failureRatio: Double = 0.5,
            minimumCalls: Int = 5,
            window: Duration = .seconds(60),
            openDuration: Duration = .seconds(30),
            opensOnRateLimit: Bool = true,
            maxOpenDuration: Duration = .seconds(600),
            isFailure: @escaping @Sendable (ProviderError) -> Bool = CircuitBreaker.defaultIsFailure
        ) {
            // NaN fails both comparisons of a clamp and would stay NaN: the default ratio instead.
            self.failureRatio = failureRatio.isNaN ? 0.5 : min(max(failureRatio, 0), 1)
            self.minimumCalls = max(1, minimumCalls)
            self.window = max(window, .milliseconds(1))
            self.maxOpenDuration = max(maxOpenDuration, .zero)
            self.openDuration = min(max(openDuration, .zero), self.maxOpenDuration)
            self.opensOnRateLimit = opensOnRateLimit
            self.isFailure = isFailure
        }
    }

    /// The default failure classifier.
    public static let defaultIsFailure: @Sendable (ProviderError) -> Bool = { error in
        let notTheProvidersFault: [ProviderError.Code] = [
            .badRequest, .contextTooLong, .contentFiltered, .malformedResponse, .cancelled, .circuitOpen,
            .budgetExceeded, .insecureTransport,
        ]
        return !notTheProvidersFault.contains(error.code)
    }

    /// A breaker's state.
    public enum State: String, Sendable, Hashable, Codable {
        /// Calls pass.
        case closed
        /// Calls fail at once.
        case open
        /// One probe call passes; the rest fail at once.
        case halfOpen = "half_open"
    }

    /// A change of state.
    public struct Event: Sendable, Hashable {
        /// The provider's name.
        public var provider: String
        /// The model (`default` when requests name none).
        public var model: String
        /// The state before.
        public var from: State
        /// The state after.
        public var to: State
        /// When, on the breaker's clock.
        public var at: Duration
        /// Why, e.g. `4 of 5 calls failed in 60 s`.
        public var reason: String
    }

    /// A permission to call, returned by ``admit(model:)``.
    public struct Ticket: Sendable {
        let model: String
        let isProbe: Bool
    }

    private struct Bucket {
        var start: Duration
        var successes = 0
        var failures = 0
    }

    private struct ModelState {
        var state: State = .closed
        var openUntil: Duration = .zero
        var probeInFlight = false
        var buckets: [Bucket] = []
    }

    /// The provider's name in events, logs and metrics.
    public let provider: String
    /// The configuration.
    public let configuration: Configuration
    /// Every state change, as it happens; read it from one task (events are dropped when 1000 wait unread).
    public let events: AsyncStream<Event>
    private let eventContinuation: AsyncStream<Event>.Continuation
    private let clock: any ProviderClock
    private let logger: Logger
    private let lock = NSLock()
    private var models: [String: ModelState] = [:]
    private var pendingEvents: [Event] = []

    /// Creates a breaker for `provider`.
    public init(
        provider: String,
        configuration: Configuration = Configuration(),
        clock: any ProviderClock = SystemProviderClock(),
        logger: Logger = Logger(label: "storyforge.provider.resilience")
    ) {
        self.provider = provider
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        (events, eventContinuation) = AsyncStream.makeStream(of: Event.self, bufferingPolicy: .bufferingNewest(1000))
    }

    deinit { eventContinuation.finish() }

    /// The state for `model` (`nil`: requests that name none).
    public func state(model: String?) -> State {
        locked { refresh(model ?? "default") }
    }

    /// Lets a call through, or throws ``ProviderError/circuitOpen(_:retryAfter:)``.
    public func admit(model: String?) throws -> Ticket {
        try locked { try admitLocked(model: model) }
    }

    /// Records how an admitted call ended: `nil` for success, or its error.
    public func record(_ ticket: Ticket, error: ProviderError?) {
        locked { recordLocked(ticket, error: error) }
    }

    /// Closes every breaker and forgets the history.
    public func reset() {
        locked { resetLocked() }
    }

    /// Runs `body` under the lock, then publishes the transitions it made, outside the lock.
    private func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer {
            let events = pendingEvents
            pendingEvents = []
            lock.unlock()
            for event in events { publish(event) }
        }
        return try body()
    }

    private func admitLocked(model: String?) throws -> Ticket {
        let key = model ?? "default"
        switch refresh(key) {
        case .closed:
            return Ticket(model: key, isProbe: false)
        case .halfOpen:
            if models[key, default: ModelState()].probeInFlight {
                throw ProviderError.circuitOpen(
                    "\(provider) (\(key)): circuit half-open, a probe call is in flight",
                    retryAfter: configuration.openDuration)
            }
            models[key, default: ModelState()].probeInFlight = true
            return Ticket(model: key, isProbe: true)
        case .open:
            let wait = max(models[key, default: ModelState()].openUntil - clock.now, .zero)
            throw ProviderError.circuitOpen(
                "\(provider) (\(key)): circuit open after repeated failures; next probe in "
                    + "\(CheckedNumber.wholeSecondsRoundedUp(wait)) s",
                retryAfter: wait)
        }
    }

    private func recordLocked(_ ticket: Ticket, error: ProviderError?) {
        let key = ticket.model
        var entry = models[key, default: ModelState()]
        let now = clock.now
        if ticket.isProbe { entry.probeInFlight = false }
        let failed = error.map(configuration.isFailure) ?? false
        if let error, !failed, error.code == .cancelled || !ticket.isProbe {
            models[key] = entry
            return  // not the provider's fault: no verdict
        }
        if ticket.isProbe, entry.state == .halfOpen {
            models[key] = entry
            if failed {
                open(key, until: now + configuration.openDuration, reason: "the probe call failed: \(error!)")
            } else {
                models[key]?.buckets = []
                transition(key, to: .closed, reason: "the probe call succeeded")
            }
            return
        }
        // Rolling window of ten buckets.
        let width = configuration.window / 10
        entry.buckets.removeAll { now - $0.start >= configuration.window }
        if let last = entry.buckets.last, now - last.start < width {
            entry.buckets[entry.buckets.count - 1].successes += failed ? 0 : 1
            entry.buckets[entry.buckets.count - 1].failures += failed ? 1 : 0
        } else {
            entry.buckets.append(Bucket(start: now, successes: failed ? 0 : 1, failures: failed ? 1 : 0))
        }
        models[key] = entry
        guard failed, let error, entry.state == .closed else { return }
        if configuration.opensOnRateLimit, error.code == .rateLimited, let asked = error.retryAfter, asked > .zero {
            // The provider's wait is capped like every cooldown: a `Retry-After: 1e300` (read as a
            // day) must not shut the provider out for that long.
            let wait = min(asked, configuration.maxOpenDuration)
            open(key, until: now + wait, reason: "rate limited for \(CheckedNumber.wholeSecondsRoundedUp(wait)) s")
            return
        }
        let failures = entry.buckets.reduce(0) { $0 + $1.failures }
        let calls = entry.buckets.reduce(0) { $0 + $1.successes + $1.failures }
        if calls >= configuration.minimumCalls, Double(failures) >= configuration.failureRatio * Double(calls) {
            open(
                key, until: now + configuration.openDuration,
                reason: "\(failures) of \(calls) calls failed in \(configuration.window.components.seconds) s")
        }
    }

    private func resetLocked() {
        for key in models.keys where models[key]?.state != .closed {
            transition(key, to: .closed, reason: "reset")
        }
        models = [:]
    }

    private func refresh(_ key: String) -> State {
        guard let entry = models[key] else { return .closed }
        if entry.state == .open, clock.now >= entry.openUntil {
            transition(key, to: .halfOpen, reason: "cooldown over")
            return .halfOpen
        }
        return entry.state
    }

    private func open(_ key: String, until: Duration, reason: String) {
        models[key, default: ModelState()].openUntil = until
        models[key, default: ModelState()].buckets = []
        transition(key, to: .open, reason: reason)
    }

    private func transition(_ key: String, to state: State, reason: String) {
        let from = models[key, default: ModelState()].state
        models[key, default: ModelState()].state = state
        pendingEvents.append(
            Event(provider: provider, model: key, from: from, to: state, at: clock.now, reason: reason))
    }

    private func publish(_ event: Event) {
        let (from, state, key, reason) = (event.from, event.to, event.model, event.reason)
        eventContinuation.yield(event)
        logger.log(
            level: state == .open ? .warning : .notice,
            "circuit breaker \(from.rawValue) → \(state.rawValue)",
            metadata: [
                "provider.name": "\(provider)", "provider.model": "\(key)", "circuit.state": "\(state.rawValue)",
                "circuit.reason": "\(reason)",
            ])
        Counter(
            label: "storyforge_provider_circuit_transitions_total",
            dimensions: [("provider", provider), ("state", state.rawValue)]
        ).increment()
    }
}

/// A provider guarded by a ``CircuitBreaker``.
public struct CircuitBreakingProvider<Base: Provider>: ProviderDecorator {
    /// The wrapped provider.
    public let base: Base
    /// The breaker, shared by every copy of this decorator.
    public let breaker: CircuitBreaker

    /// Wraps `base`; prefer ``Provider/withCircuitBreaker(_:)``.
    public init(_ base: Base, breaker: CircuitBreaker) {
        self.base = base
        self.breaker = breaker
    }

    /// Admits the call through the breaker and records its outcome.
    public func intercept<Output: Sendable>(
        _ call: ProviderCall,
        _ operation: @escaping @Sendable () async throws -> Output
    ) async throws -> Output {
        let ticket = try breaker.admit(model: call.model)
        do {
            let output = try await operation()
            breaker.record(ticket, error: nil)
            return output
        } catch {
            let typed = ProviderError.typed(error)
            breaker.record(ticket, error: typed)
            throw typed
        }
    }

    /// Admits the stream when it starts; it counts as a success when it finishes.
    public func interceptStream(
        _ call: ProviderCall,
        _ open: @escaping @Sendable () -> AsyncThrowingStream<ChatStreamPart, any Error>
    ) -> AsyncThrowingStream<ChatStreamPart, any Error> {
        let breaker = breaker
        return makeDecoratedStream { continuation in
            let ticket = try breaker.admit(model: call.model)
            do {
                for try await part in open() { continuation.yield(part) }
                try Task.checkCancellation()
                breaker.record(ticket, error: nil)
            } catch {
                breaker.record(ticket, error: ProviderError.typed(error))
                throw error
            }
        }
    }
}

extension CircuitBreakingProvider: NamedDecorator {
    package var decoratedName: String { breaker.provider }
}

extension CircuitBreakingProvider: TextGenerator where Base: TextGenerator {}
extension CircuitBreakingProvider: SpeechSynthesizer where Base: SpeechSynthesizer {}
extension CircuitBreakingProvider: Transcriber where Base: Transcriber {}
extension CircuitBreakingProvider: ImageGenerator where Base: ImageGenerator {}
extension CircuitBreakingProvider: VideoClipGenerator where Base: VideoClipGenerator {}

extension Provider {
    /// Guards calls with `breaker`; keep the breaker to watch its ``CircuitBreaker/events``.
    public func withCircuitBreaker(_ breaker: CircuitBreaker) -> CircuitBreakingProvider<Self> {
        CircuitBreakingProvider(self, breaker: breaker)
    }

    /// Guards calls with a new breaker named `name`.
    public func withCircuitBreaker(
        name: String? = nil,
        _ configuration: CircuitBreaker.Configuration = CircuitBreaker.Configuration(),
        clock: any ProviderClock = SystemProviderClock()
    ) -> CircuitBreakingProvider<Self> {
        CircuitBreakingProvider(
            self,
            breaker: CircuitBreaker(
                provider: name ?? providerName(of: self), configuration: configuration, clock: clock))
    }
}
