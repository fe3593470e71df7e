public import Foundation

/// An error from a provider or the HTTP transport under it.
///
/// Compare ``code`` to act on a kind of failure; ``message`` carries the provider's own
/// words where it gave any. API keys and authorisation headers never appear in an error.
///
/// ```swift
/// do {
///     let response = try await generator.generate(request)
/// } catch let error as ProviderError where error.code == .rateLimited {
///     try await Task.sleep(for: error.retryAfter ?? .seconds(5))
/// }
/// ```
public struct ProviderError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure; compare with `==` (`error.code == .authentication`). New codes may be added, so a
    /// `switch` over codes needs a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case authentication, rateLimited, quotaExhausted, contextTooLong, contentFiltered, badRequest, notFound,
                server, timeout, transport, responseTooLarge, malformedResponse, unsupported, cancelled, circuitOpen,
                budgetExceeded, insecureTransport
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The credentials were missing, wrong or not allowed to do this.
        public static let authentication = Code(.authentication)
        /// Too many requests.
        public static let rateLimited = Code(.rateLimited)
        /// The account's quota or credit is spent.
        public static let quotaExhausted = Code(.quotaExhausted)
        /// The prompt is longer than the model's context window.
        public static let contextTooLong = Code(.contextTooLong)
        /// The provider's content filter refused the request or cut the output.
        public static let contentFiltered = Code(.contentFiltered)
        /// The provider rejected the request as invalid.
        public static let badRequest = Code(.badRequest)
        /// The model or endpoint does not exist.
        public static let notFound = Code(.notFound)
        /// The provider failed.
        public static let server = Code(.server)
        /// A time limit passed.
        public static let timeout = Code(.timeout)
        /// The connection failed or broke.
        public static let transport = Code(.transport)
        /// The response was larger than the configured maximum.
        public static let responseTooLarge = Code(.responseTooLarge)
        /// The response could not be decoded.
        public static let malformedResponse = Code(.malformedResponse)
        /// The provider cannot do what was asked.
        public static let unsupported = Code(.unsupported)
        /// The caller cancelled the request.
        public static let cancelled = Code(.cancelled)
        /// A circuit breaker is open, so the request was not sent.
        public static let circuitOpen = Code(.circuitOpen)
        /// The request would exceed the cost budget.
        public static let budgetExceeded = Code(.budgetExceeded)
        /// The request would have carried a credential in clear or fetched from a forbidden URL.
        public static let insecureTransport = Code(.insecureTransport)

        /// The kind in words, e.g. `authentication`.
        public var description: String {
            switch base {
            case .authentication: "authentication"
            case .rateLimited: "rate limited"
            case .quotaExhausted: "quota exhausted"
            case .contextTooLong: "context too long"
            case .contentFiltered: "content filtered"
            case .badRequest: "bad request"
            case .notFound: "not found"
            case .server: "server error"
            case .timeout: "timeout"
            case .transport: "transport"
            case .responseTooLarge: "response too large"
            case .malformedResponse: "malformed response"
            case .unsupported: "unsupported"
            case .cancelled: "cancelled"
            case .circuitOpen: "circuit open"
            case .budgetExceeded: "budget exceeded"
            case .insecureTransport: "insecure transport"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong: the provider's own message where it sent one, or ours.
    public let message: String
    /// The HTTP status the provider answered with, when the error came from an HTTP response.
    public let statusCode: Int?
    /// How long the provider asked us to wait before trying again (`Retry-After`), when it said.
    public let retryAfter: Duration?
    /// The raw text that failed to decode, for ``malformedResponse`` errors about a model's output.
    public let rawText: String?
    /// The error underneath (a decoding error, a system error), when there is one; never compared.
    public let underlying: (any Error)?

    private init(
        _ code: Code,
        _ message: String,
        statusCode: Int? = nil,
        retryAfter: Duration? = nil,
        rawText: String? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.statusCode = statusCode
        self.retryAfter = retryAfter
        self.rawText = rawText
        self.underlying = underlying
    }

    /// The credentials were missing, wrong or not allowed to do this (HTTP 401/403).
    public static func authentication(_ message: String, statusCode: Int? = nil) -> Self {
        Self(.authentication, message, statusCode: statusCode)
    }
    /// Too many requests; `retryAfter` is what the provider said to wait, if it said.
    public static func rateLimited(_ message: String, retryAfter: Duration?, statusCode: Int? = 429) -> Self {
        Self(.rateLimited, message, statusCode: statusCode, retryAfter: retryAfter)
    }
    /// The account's quota or credit is spent; retrying will not help until it is topped up.
    public static func quotaExhausted(_ message: String, statusCode: Int? = nil) -> Self {
        Self(.quotaExhausted, message, statusCode: statusCode)
    }
    /// The prompt (plus the requested output) is longer than the model's context window.
    public static func contextTooLong(_ message: String, statusCode: Int? = nil) -> Self {
        Self(.contextTooLong, message, statusCode: statusCode)
    }
    /// The provider's content filter refused the request or cut the output.
    public static func contentFiltered(_ message: String, statusCode: Int? = nil) -> Self {
        Self(.contentFiltered, message, statusCode: statusCode)
    }
    /// The provider rejected the request as invalid (HTTP 400/422 and similar).
    public static func badRequest(_ message: String, statusCode: Int? = nil, underlying: (any Error)? = nil) -> Self {
        Self(.badRequest, message, statusCode: statusCode, underlying: underlying)
    }
    /// The model or endpoint does not exist (HTTP 404).
    public static func notFound(_ message: String, statusCode: Int? = 404) -> Self {
        Self(.notFound, message, statusCode: statusCode)
    }
    /// The provider failed (HTTP 5xx, or an error event in the middle of a stream); a 503 may say
    /// when to come back (`retryAfter`).
    public static func server(_ message: String, statusCode: Int? = nil, retryAfter: Duration? = nil) -> Self {
        Self(.server, message, statusCode: statusCode, retryAfter: retryAfter)
    }
    /// A connect, first-byte, idle or total time limit passed.
    public static func timeout(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.timeout, message, underlying: underlying)
    }
    /// The connection failed or broke (refused, reset, cut short, TLS).
    public static func transport(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.transport, message, underlying: underlying)
    }
    /// The response was larger than the configured maximum.
    public static func responseTooLarge(_ message: String) -> Self { Self(.responseTooLarge, message) }
    /// The response (or the model's output) could not be decoded; `rawText` keeps what came.
    public static func malformedResponse(
        _ message: String, rawText: String? = nil, underlying: (any Error)? = nil
    ) -> Self {
        Self(.malformedResponse, message, rawText: rawText, underlying: underlying)
    }
    /// The provider cannot do what was asked (a capability it lacks).
    public static func unsupported(_ message: String) -> Self { Self(.unsupported, message) }
    /// The caller cancelled the request.
    public static func cancelled(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.cancelled, message, underlying: underlying)
    }
    /// A circuit breaker is open for this provider and model, so the request was not sent;
    /// `retryAfter` is how long until it lets a probe through.
    public static func circuitOpen(_ message: String, retryAfter: Duration? = nil) -> Self {
        Self(.circuitOpen, message, retryAfter: retryAfter)
    }
    /// Sending the request would exceed the configured cost budget, and no cheaper provider was left.
    public static func budgetExceeded(_ message: String) -> Self { Self(.budgetExceeded, message) }
    /// The request was not sent because it would have carried a credential in clear (an API key
    /// over `http://` to a host that is not this machine), or would have fetched from a URL the
    /// provider is not allowed to send us to.
    public static func insecureTransport(_ message: String) -> Self { Self(.insecureTransport, message) }

    /// Whether trying the same request again later may succeed (rate limits, 5xx, timeouts, broken
    /// connections).
    public var isRetryable: Bool {
        [Code.rateLimited, .server, .timeout, .transport].contains(code)
    }

    /// Errors are equal when they have the same ``code``, whatever their messages and underlying errors.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the ``code`` only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The kind of error and its message, e.g. `rate limited (retry after 2 s): slow down`.
    public var description: String {
        var kind = code.description
        if let statusCode { kind += " (HTTP \(statusCode))" }
        if let retryAfter { kind += " (retry after \(retryAfter.components.seconds) s)" }
        return "\(kind): \(message)"
    }
}

extension ProviderError: LocalizedError {
    /// The same text as ``description``.
    public var errorDescription: String? { description }
}
