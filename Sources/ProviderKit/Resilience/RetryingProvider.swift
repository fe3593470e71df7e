public import Logging
import Metrics

/// When and how long to wait before trying a failed provider call again.
///
/// ```swift
/// let generator = openAI.withRetry(.exponentialJitter(maxAttempts: 4, initialDelay: .milliseconds(500)))
/// ```
public struct ProviderRetryPolicy: Sendable {
    /// How the computed backoff is randomised.
    public enum Jitter: Sendable {
        /// A uniformly random delay between zero and the backoff ("full jitter").
        case full
        /// The backoff itself, for reproducible schedules.
        case none
    }

    /// The most attempts, the first included; 1 means no retry.
    public var maxAttempts: Int
    /// The backoff before the second attempt; it doubles for each further one.
    public var initialDelay: Duration
    /// The cap on the backoff.
    public var maxDelay: Duration
    /// How the backoff is randomised.
    public var jitter: Jitter
    /// The longest wait a provider may ask for (`Retry-After`, `retry-after-ms`,
    /// `x-ratelimit-reset-*`); when it asks for more, the error is returned instead of waiting.
    public var maxServerDelay: Duration
    /// The longest any one wait between attempts may be, whatever the backoff, the configuration
    /// or the provider says: 10 minutes by default. No retry ever sleeps longer.
    public var maxWait: Duration
    /// Which errors are worth another attempt; ``defaultIsRetryable(_:)`` unless replaced.
    public var isRetryable: @Sendable (ProviderError) -> Bool

    /// Creates a policy.
    public init(
        maxAttempts: Int = 4,
        initialDelay: Duration = .milliseconds(500),
        maxDelay: Duration = .seconds(30),
        jitter: Jitter = .full,
        maxServerDelay: Duration = .seconds(120),
        maxWait: Duration = ProviderRetryPolicy.defaultMaxWait,
        isRetryable: @escaping @Sendable (ProviderError) -> Bool = ProviderRetryPolicy.defaultIsRetryable
    ) {
        self.maxAttempts = max(1, maxAttempts)
        self.initialDelay = max(.zero, initialDelay)
        self.maxDelay = max(.zero, maxDelay)
        self.jitter = jitter
        self.maxServerDelay = max(.zero, maxServerDelay)
        self.maxWait = max(.zero, maxWait)
        self.isRetryable = isRetryable
    }

    /// The default cap on one wait between attempts: 10 minutes, past which a host is better off
    /// failing over than holding a call open.
    public static let defaultMaxWait = Duration.seconds(600)

    /// Exponential backoff with full jitter, capped at `maxDelay`; a provider's own delay wins
    /// when it gives one.
    public static func exponentialJitter(
        maxAttempts: Int = 4,
        initialDelay: Duration = .milliseconds(500),
        maxDelay: Duration = .seconds(30),
        jitter: Jitter = .full,
        maxServerDelay: Duration = .seconds(120),
        maxWait: Duration = ProviderRetryPolicy.defaultMaxWait
    ) -> Self {
        Self(
            maxAttempts: maxAttempts, initialDelay: initialDelay, maxDelay: maxDelay, jitter: jitter,
            maxServerDelay: maxServerDelay, maxWait: maxWait)
    }

    /// One attempt, no retry.
    public static let none = Self(maxAttempts: 1)

    /// Retries timeouts (408 included), broken connections, 409, 429 and 5xx; never
    /// authentication, bad requests, spent quota (`insufficient_quota`), context too long, content
    /// filtering, open circuits, budgets or cancellation.
    public static let defaultIsRetryable: @Sendable (ProviderError) -> Bool = { error in
        if error.code == .badRequest { return error.statusCode == 409 }
        return error.code == .rateLimited || error.code == .server || error.code == .timeout || error.code == .transport
    }

    /// The wait before the attempt after `attempt` (1-based) failed with `error`, or `nil` to stop;
    /// never more than ``maxWait``.
    public func delay(afterAttempt attempt: Int, error: ProviderError) -> Duration? {
        guard attempt < maxAttempts, isRetryable(error) else { return nil }
        if let requested = error.retryAfter {
            guard requested <= maxServerDelay else { return nil }
            return min(max(requested, .zero), maxWait)
        }
        // Computed in seconds as a Double, so no product of durations can overflow: 2^30 × the
        // initial delay is past any sensible cap, and the caps bound the result.
        let cap = min(maxDelay, maxWait)
        let backoff = initialDelay.seconds * Double(1 << min(max(attempt - 1, 0), 30))
        let factor: Double =
            switch jitter {
            case .none: 1
            case .full: Double.random(in: 0...1)
            }
        return CheckedNumber.duration(seconds: backoff * factor, maximum: cap) ?? .zero
    }
}

/// A provider whose failed calls are tried again by a ``ProviderRetryPolicy``, waiting on an
/// injectable clock. A stream is retried only while no text or tool call has reached the caller.
public struct RetryingProvider<Base: Provider>: ProviderDecorator {
    /// The wrapped provider.
    public let base: Base
    /// The policy.
    public let policy: ProviderRetryPolicy
    /// The provider's name in logs and metrics.
    public let name: String
    private let clock: any ProviderClock
    private let logger: Logger

    /// Wraps `base`; prefer ``Provider/withRetry(_:name:clock:logger:)``.
    public init(
        _ base: Base,
        policy: ProviderRetryPolicy,
        name: String? = nil,
        clock: any ProviderClock = SystemProviderClock(),
        logger: Logger = Logger(label: "storyforge.provider.resilience")
    ) {
        self.base = base
        self.policy = policy
        self.name = name ?? providerName(of: base)
        self.clock = clock
        self.logger = logger
    }

    /// The base's capabilities and ``ProviderCapabilities/retriesTransientFailures`` when the policy tries more than
    /// once, so that callers add no second retry layer.
    public var capabilities: ProviderCapabilities {
        policy.maxAttempts > 1 ? base.capabilities.union(.retriesTransientFailures) : base.capabilities
    }

    /// Calls `operation` until it succeeds, fails with an error not worth retrying, or runs out of attempts.
    public func intercept<Output: Sendable>(
        _ call: ProviderCall,
        _ operation: @escaping @Sendable () async throws -> Output
    ) async throws -> Output {
        var attempt = 1
        while true {
            do {
                return try await operation()
            } catch {
                let typed = ProviderError.typed(error)
                guard !Task.isCancelled, let delay = policy.delay(afterAttempt: attempt, error: typed) else {
                    throw typed
                }
                willRetry(call, attempt: attempt, delay: delay, error: typed)
                do { try await clock.sleep(for: delay) } catch {
                    throw ProviderError.cancelled("cancelled while waiting to retry")
                }
                attempt += 1
            }
        }
    }

    /// Retries the stream until its first text or tool call; parts that come before (model name,
    /// usage) are held back until then, so a retried attempt leaves no trace.
    public func interceptStream(
        _ call: ProviderCall,
        _ open: @escaping @Sendable () -> AsyncThrowingStream<ChatStreamPart, any Error>
    ) -> AsyncThrowingStream<ChatStreamPart, any Error> {
        let policy = policy
        let clock = clock
        return makeDecoratedStream { continuation in
            var attempt = 1
            while true {
                var relay = PreambleHoldingRelay()
                do {
                    for try await part in open() { relay.relay(part, to: continuation) }
                    relay.finish(to: continuation)
                    return
                } catch {
                    let typed = ProviderError.typed(error)
                    guard !relay.delivered, !Task.isCancelled,
                        let delay = policy.delay(afterAttempt: attempt, error: typed)
                    else { throw typed }
                    willRetry(call, attempt: attempt, delay: delay, error: typed)
                    do { try await clock.sleep(for: delay) } catch {
                        throw ProviderError.cancelled("cancelled while waiting to retry")
                    }
                    attempt += 1
                }
            }
        }
    }

    private func willRetry(_ call: ProviderCall, attempt: Int, delay: Duration, error: ProviderError) {
        logger.notice(
            "retrying provider call",
            metadata: [
                "provider.name": "\(name)",
                "provider.model": "\(call.model ?? "default")",
                "provider.operation": "\(call.operation)",
                "retry.attempt": "\(attempt + 1)",
                "retry.delay_ms": "\(CheckedNumber.milliseconds(delay))",
                "error": "\(error)",
            ])
        Counter(label: "storyforge_provider_retries_total", dimensions: [("provider", name)]).increment()
    }
}

extension RetryingProvider: NamedDecorator {
    package var decoratedName: String { name }
}

extension RetryingProvider: TextGenerator where Base: TextGenerator {}
extension RetryingProvider: SpeechSynthesizer where Base: SpeechSynthesizer {}
extension RetryingProvider: Transcriber where Base: Transcriber {}
extension RetryingProvider: ImageGenerator where Base: ImageGenerator {}
extension RetryingProvider: VideoClipGenerator where Base: VideoClipGenerator {}

extension Provider {
    /// Retries failed calls by `policy`.
    ///
    /// - Parameters:
    ///   - name: the provider's name in logs and metrics; the type name by default.
    ///   - clock: what waits between attempts; a ``VirtualProviderClock`` in tests.
    public func withRetry(
        _ policy: ProviderRetryPolicy = .exponentialJitter(),
        name: String? = nil,
        clock: any ProviderClock = SystemProviderClock(),
        logger: Logger = Logger(label: "storyforge.provider.resilience")
    ) -> RetryingProvider<Self> {
        RetryingProvider(self, policy: policy, name: name ?? providerName(of: self), clock: clock, logger: logger)
    }
}

/// A decorator that knows the name of the provider it wraps.
package protocol NamedDecorator {
    var decoratedName: String { get }
}

/// The name a decorator was given, else the provider's ``ProviderIdentity/name`` (`openai-compatible`), else the
/// unqualified type name without generic arguments.
package func providerName(of provider: Any) -> String {
    if let named = provider as? any NamedDecorator { return named.decoratedName }
    if let provider = provider as? any Provider { return provider.identity.name }
    return providerName(of: type(of: provider))
}

/// The unqualified type name, without generic arguments: `OpenAICompatibleProvider`.
package func providerName(of type: Any.Type) -> String {
    let full = String(describing: type)
    return full.split(separator: "<").first.map(String.init) ?? full
}

/// Passes a provider's stream on to a caller, holding back its preamble (model name, usage) until
/// the first part the caller acts on: until then a decorator may still retry or fall back when the
/// stream fails, and ``delivered`` says whether it still may.
struct PreambleHoldingRelay {
    /// Whether a part other than preamble has reached the caller.
    private(set) var delivered = false
    private var held: [ChatStreamPart] = []

    /// Passes `part` on, with whatever preamble was held before it, or holds it while everything
    /// so far is preamble.
    mutating func relay(
        _ part: ChatStreamPart, to continuation: AsyncThrowingStream<ChatStreamPart, any Error>.Continuation
    ) {
        if !delivered, part.isPreamble {
            held.append(part)
            return
        }
        for heldPart in held { continuation.yield(heldPart) }
        held.removeAll()
        delivered = true
        continuation.yield(part)
    }

    /// Passes on the preamble still held, once the stream has ended without error.
    mutating func finish(to continuation: AsyncThrowingStream<ChatStreamPart, any Error>.Continuation) {
        for heldPart in held { continuation.yield(heldPart) }
        held.removeAll()
    }
}

extension ChatStreamPart {
    /// Whether the part says nothing the caller has acted on yet: the model's name or usage.
    var isPreamble: Bool {
        switch self {
        case .model, .usage: true
        case .textDelta, .toolCallDelta, .finish: false
        }
    }
}
