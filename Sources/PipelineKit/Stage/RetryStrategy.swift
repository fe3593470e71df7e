/// Decides whether, and after how long, a failed attempt is tried again.
///
/// The runner never retries cancellation, whatever the strategy says.
public protocol RetryStrategy: Sendable {
    /// The delay before the next attempt, or `nil` to give up.
    ///
    /// - Parameters:
    ///   - attempt: the number of the attempt that just failed, starting at 1.
    ///   - error: what it failed with.
    func delay(afterAttempt attempt: Int, error: any Error) -> Duration?
}

/// Errors that say retrying cannot help (bad input, refused credentials). The default classifier never retries them.
public protocol NonRetryableError: Error {}

/// A retry strategy as used at the call site: `.retry(.exponentialJitter(maxAttempts: 4))`.
public struct RetryPolicy: Sendable {
    /// The strategy that computes delays.
    public let strategy: any RetryStrategy

    /// Wraps a custom strategy.
    public init(_ strategy: any RetryStrategy) {
        self.strategy = strategy
    }

    /// One attempt, no retry.
    public static let none = RetryPolicy(NoRetry())

    /// Exponential backoff with jitter: the delay before attempt *n + 1* is `initialDelay × 2^(n−1)`, capped at
    /// `maxDelay`, of which the fraction `jitter` is randomised (0 = fixed delays, 1 = "full jitter").
    ///
    /// - Parameter isRetryable: the classifier; by default everything is retried except cancellation,
    ///   ``NonRetryableError`` and a ``PipelineError`` that is not a per-attempt timeout.
    public static func exponentialJitter(
        maxAttempts: Int = 3,
        initialDelay: Duration = .milliseconds(200),
        maxDelay: Duration = .seconds(30),
        jitter: Double = 0.5,
        isRetryable: @escaping @Sendable (any Error) -> Bool = RetryPolicy.defaultClassifier
    ) -> RetryPolicy {
        RetryPolicy(
            ExponentialJitter(
                maxAttempts: maxAttempts,
                // Waits beyond the runner's longest sleep (ten years) cannot happen; clamping here keeps every
                // product in `delay(afterAttempt:error:)` far from `Duration`'s overflow.
                initialDelay: min(max(initialDelay, .zero), longestSleep),
                maxDelay: min(max(maxDelay, .zero), longestSleep),
                jitter: jitter.isNaN ? 0 : min(max(jitter, 0), 1),
                isRetryable: isRetryable
            )
        )
    }

    /// The default classifier: retries anything but cancellation, ``NonRetryableError`` and pipeline errors other
    /// than a per-attempt timeout.
    public static let defaultClassifier: @Sendable (any Error) -> Bool = { error in
        if error is CancellationError || error is any NonRetryableError { return false }
        if let pipelineError = error as? PipelineError { return pipelineError.code == .attemptTimedOut }
        return true
    }
}

/// The strategy behind ``RetryPolicy/none``.
private struct NoRetry: RetryStrategy {
    func delay(afterAttempt attempt: Int, error: any Error) -> Duration? { nil }
}

/// The strategy behind ``RetryPolicy/exponentialJitter(maxAttempts:initialDelay:maxDelay:jitter:isRetryable:)``.
private struct ExponentialJitter: RetryStrategy {
    let maxAttempts: Int
    let initialDelay: Duration
    let maxDelay: Duration
    let jitter: Double
    let isRetryable: @Sendable (any Error) -> Bool

    func delay(afterAttempt attempt: Int, error: any Error) -> Duration? {
        guard attempt < maxAttempts, isRetryable(error) else { return nil }
        // `Duration`'s `*` traps on overflow: multiply only when the product, estimated in Double seconds, is below
        // `maxDelay` and far below `Duration`'s limit (about 1.7e20 s); otherwise the cap applies anyway.
        let factor = attempt <= 1 ? 1 : 1 << min(attempt - 1, 30)
        let estimate = initialDelay.seconds * Double(factor)
        let base = estimate < maxDelay.seconds && estimate < 1e20 ? min(initialDelay * factor, maxDelay) : maxDelay
        guard jitter > 0 else { return base }
        return base * (1 - jitter) + base * (jitter * Double.random(in: 0...1))
    }
}
