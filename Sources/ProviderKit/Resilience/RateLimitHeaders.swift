import Foundation
import HTTPTypes

/// What a provider said about its rate limits in the `x-ratelimit-*` response headers (OpenAI and
/// compatibles): the limits per minute, what is left, and when each resets.
public struct RateLimitHeaders: Sendable, Hashable {
    /// `x-ratelimit-limit-requests`.
    public var limitRequests: Int?
    /// `x-ratelimit-remaining-requests`.
    public var remainingRequests: Int?
    /// `x-ratelimit-reset-requests`, e.g. `6m0s` or `120ms`.
    public var resetRequests: Duration?
    /// `x-ratelimit-limit-tokens`.
    public var limitTokens: Int?
    /// `x-ratelimit-remaining-tokens`.
    public var remainingTokens: Int?
    /// `x-ratelimit-reset-tokens`.
    public var resetTokens: Duration?

    /// Creates a set of rate-limit figures.
    public init(
        limitRequests: Int? = nil,
        remainingRequests: Int? = nil,
        resetRequests: Duration? = nil,
        limitTokens: Int? = nil,
        remainingTokens: Int? = nil,
        resetTokens: Duration? = nil
    ) {
        self.limitRequests = limitRequests
        self.remainingRequests = remainingRequests
        self.resetRequests = resetRequests
        self.limitTokens = limitTokens
        self.remainingTokens = remainingTokens
        self.resetTokens = resetTokens
    }

    /// Reads the headers of a response; `nil` when it has none of them.
    ///
    /// Counts must be plain non-negative decimal integers that fit an `Int`, and resets must parse
    /// with ``parseDuration(_:)``; a field that does not (`-1`, `1e300`, `NaN`,
    /// `99999999999999999999999`) is left `nil`, as if the server had not sent it.
    public init?(_ head: HTTPResponseHead) {
        self.init()
        var found = false
        // One pass over the fields; HTTPField.Name's canonical name is already lowercased.
        for field in head.headers where field.name.canonicalName.hasPrefix("x-ratelimit-") {
            let lowered = field.name.canonicalName
            let trimmed = field.value.trimmingCharacters(in: .whitespaces)
            switch lowered {
            case "x-ratelimit-limit-requests": limitRequests = CheckedNumber.nonNegativeInteger(trimmed)
            case "x-ratelimit-remaining-requests": remainingRequests = CheckedNumber.nonNegativeInteger(trimmed)
            case "x-ratelimit-reset-requests": resetRequests = Self.parseDuration(trimmed)
            case "x-ratelimit-limit-tokens": limitTokens = CheckedNumber.nonNegativeInteger(trimmed)
            case "x-ratelimit-remaining-tokens": remainingTokens = CheckedNumber.nonNegativeInteger(trimmed)
            case "x-ratelimit-reset-tokens": resetTokens = Self.parseDuration(trimmed)
            default: continue
            }
            found = true
        }
        if !found { return nil }
    }

    /// How long to wait before the exhausted limit resets: the reset of whichever limit has
    /// nothing remaining, or the longer of the two resets when neither says it is spent.
    public var suggestedWait: Duration? {
        var waits: [Duration] = []
        if remainingRequests == 0, let resetRequests { waits.append(resetRequests) }
        if remainingTokens == 0, let resetTokens { waits.append(resetTokens) }
        if waits.isEmpty { waits = [resetRequests, resetTokens].compactMap { $0 } }
        return waits.max()
    }

    /// Parses a Go-style duration as OpenAI sends it: `6m0s`, `1.5s`, `120ms`, `1h2m`, or plain
    /// seconds (`20`). `nil` when it is none of these, or negative, NaN or infinite; a duration
    /// longer than a day is read as one day (no limit resets later than that, and every retry and
    /// breaker cap is far shorter).
    public static func parseDuration(_ text: String) -> Duration? {
        let text = text.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        if let seconds = Double(text) { return CheckedNumber.serverWait(seconds: seconds) }
        var total = 0.0
        var number = ""
        var index = text.startIndex
        var sawUnit = false
        while index < text.endIndex {
            let character = text[index]
            if character.isASCII, character.isNumber || character == "." {
                number.append(character)
                index = text.index(after: index)
                continue
            }
            var unit = String(character)
            index = text.index(after: index)
            // Two-letter units: ms, us, µs, ns.
            if index < text.endIndex, text[index] == "s", "mµun".contains(character) {
                unit.append("s")
                index = text.index(after: index)
            }
            guard let value = Double(number) else { return nil }
            let scale: Double
            switch unit {
            case "h": scale = 3600
            case "m": scale = 60
            case "s": scale = 1
            case "ms": scale = 1e-3
            case "us", "µs": scale = 1e-6
            case "ns": scale = 1e-9
            default: return nil
            }
            total += value * scale
            number = ""
            sawUnit = true
        }
        guard sawUnit, number.isEmpty else { return nil }
        return CheckedNumber.serverWait(seconds: total)  // nil when the sum overflowed to infinity
    }
}

/// Receives the head of every HTTP response the providers get while a task-local observer is set,
/// so that a rate limiter can learn from `x-ratelimit-*` headers without the provider APIs
/// exposing them.
final class ResponseHeadObserver: Sendable {
    let onHead: @Sendable (HTTPResponseHead) -> Void

    init(_ onHead: @escaping @Sendable (HTTPResponseHead) -> Void) { self.onHead = onHead }

    /// The observer of the current task, if a decorator set one.
    @TaskLocal static var current: ResponseHeadObserver?

    /// Tells the current task's observers (the innermost and those around it) about a response.
    static func notify(_ head: HTTPResponseHead) {
        current?.onHead(head)
    }
}
