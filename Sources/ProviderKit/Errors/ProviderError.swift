public import Foundation

/// An error from a provider or the HTTP transport under it.
///
/// Match on the static members to act on a kind of failure; ``message`` carries the provider's own
/// words where it gave any. API keys and authorisation headers never appear in an error.
///
/// ```swift
/// do {
///     let response = try await generator.generate(request)
/// } catch let error as ProviderError where error == .rateLimited {
///     try await Task.sleep(for: error.retryAfter ?? .seconds(5))
/// }
/// ```
public struct ProviderError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case authentication
        case rateLimited
        case quotaExhausted
        case contextTooLong
        case contentFiltered
        case badRequest
        case notFound
        case server
        case timeout
        case transport
        case responseTooLarge
        case malformedResponse
        case unsupported
        case cancelled
        case circuitOpen
        case budgetExceeded
        case insecureTransport
    }

    private let code: Code
    /// What went wrong: the provider's own message where it sent one, or ours.
    public let message: String
    /// The HTTP status the provider answered with, when the error came from an HTTP response.
    public let statusCode: Int?
    /// How long the provider asked us to wait before trying again (`Retry-After`), when it said.
    public let retryAfter: Duration?
    /// The raw text that failed to decode, for ``malformedResponse`` errors about a model's output.
    public let rawText: String?

    private init(
        _ code: Code,
        _ message: String,
        statusCode: Int? = nil,
        retryAfter: Duration? = nil,
        rawText: String? = nil
    ) {
        self.code = code
        self.message = message
        self.statusCode = statusCode
        self.retryAfter = retryAfter
        self.rawText = rawText
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
    public static func badRequest(_ message: String, statusCode: Int? = nil) -> Self {
        Self(.badRequest, message, statusCode: statusCode)
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
    public static func timeout(_ message: String) -> Self { Self(.timeout, message) }
    /// The connection failed or broke (refused, reset, cut short, TLS).
    public static func transport(_ message: String) -> Self { Self(.transport, message) }
    /// The response was larger than the configured maximum.
    public static func responseTooLarge(_ message: String) -> Self { Self(.responseTooLarge, message) }
    /// The response (or the model's output) could not be decoded; `rawText` keeps what came.
    public static func malformedResponse(_ message: String, rawText: String? = nil) -> Self {
        Self(.malformedResponse, message, rawText: rawText)
    }
    /// The provider cannot do what was asked (a capability it lacks).
    public static func unsupported(_ message: String) -> Self { Self(.unsupported, message) }
    /// The caller cancelled the request.
    public static func cancelled(_ message: String) -> Self { Self(.cancelled, message) }
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

    /// An authentication error, for pattern matching: `catch let e as ProviderError where e == .authentication`.
    public static let authentication = Self(.authentication, "")
    /// A rate-limit error, for pattern matching.
    public static let rateLimited = Self(.rateLimited, "")
    /// A quota error, for pattern matching.
    public static let quotaExhausted = Self(.quotaExhausted, "")
    /// A context-length error, for pattern matching.
    public static let contextTooLong = Self(.contextTooLong, "")
    /// A content-filter error, for pattern matching.
    public static let contentFiltered = Self(.contentFiltered, "")
    /// A bad-request error, for pattern matching.
    public static let badRequest = Self(.badRequest, "")
    /// A not-found error, for pattern matching.
    public static let notFound = Self(.notFound, "")
    /// A server error, for pattern matching.
    public static let server = Self(.server, "")
    /// A timeout, for pattern matching.
    public static let timeout = Self(.timeout, "")
    /// A transport error, for pattern matching.
    public static let transport = Self(.transport, "")
    /// A too-large response, for pattern matching.
    public static let responseTooLarge = Self(.responseTooLarge, "")
    /// A malformed-response error, for pattern matching.
    public static let malformedResponse = Self(.malformedResponse, "")
    /// An unsupported-capability error, for pattern matching.
    public static let unsupported = Self(.unsupported, "")
    /// A cancellation, for pattern matching.
    public static let cancelled = Self(.cancelled, "")
    /// An open circuit breaker, for pattern matching.
    public static let circuitOpen = Self(.circuitOpen, "")
    /// An exceeded budget, for pattern matching.
    public static let budgetExceeded = Self(.budgetExceeded, "")
    /// A refused insecure request, for pattern matching.
    public static let insecureTransport = Self(.insecureTransport, "")

    /// Whether trying the same request again later may succeed (rate limits, 5xx, timeouts, broken
    /// connections).
    public var isRetryable: Bool {
        switch code {
        case .rateLimited, .server, .timeout, .transport: true
        default: false
        }
    }

    /// Errors are equal when they are of the same kind, whatever their messages.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the kind of error only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The kind of error and its message, e.g. `rate limited (retry after 2 s): slow down`.
    public var description: String {
        var kind =
            switch code {
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
        if let statusCode { kind += " (HTTP \(statusCode))" }
        if let retryAfter { kind += " (retry after \(retryAfter.components.seconds) s)" }
        return "\(kind): \(message)"
    }
}

extension ProviderError: LocalizedError {
    /// The same text as ``description``.
    public var errorDescription: String? { description }
}
