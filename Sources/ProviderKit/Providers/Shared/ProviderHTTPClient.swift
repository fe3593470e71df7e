import Foundation
import HTTPTypes
import Logging
import StoryForgeCore

/// The HTTP plumbing every remote provider shares: URLs, auth headers, JSON bodies, status checks
/// and error mapping, with the API key redacted from anything that could be shown.
struct ProviderHTTPClient: Sendable {
    let transport: any HTTPTransport
    let baseURL: URL
    /// Headers that carry credentials; their values are secrets.
    let authHeaders: [(name: String, value: String)]
    let extraHeaders: [(name: String, value: String)]
    let timeouts: HTTPTimeouts
    let maxResponseBytes: Int
    let providerName: String
    /// Where requests are logged: method, path, status, bytes and duration, never headers or bodies.
    let logger: Logger
    /// Whether credentials may go over plain `http://` to a host other than this machine.
    var allowsInsecureHTTP = false

    func url(_ path: String) -> URL {
        var base = baseURL.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        let suffix = path.hasPrefix("/") ? path : "/" + path
        return URL(string: base + suffix) ?? baseURL.appending(path: path)
    }

    /// - Throws: ``ProviderError/badRequest(_:statusCode:underlying:)`` for a header whose name is not an
    ///   RFC 9110 token or whose value holds CR, LF or NUL (which would inject headers); the message
    ///   names the header, never its value, which may be a key.
    func request(_ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String? = nil) throws
        -> HTTPRequest
    {
        var headers = HTTPFields()
        for (name, value) in authHeaders + extraHeaders {
            guard let fieldName = HTTPField.Name(name) else {
                throw ProviderError.badRequest(
                    "\(providerName): the header name \"\(redact(name))\" is not a valid HTTP field name")
            }
            guard HTTPField.isValidValue(value) else {
                throw ProviderError.badRequest(
                    "\(providerName): the value of the \(fieldName) header holds a line break or control character")
            }
            headers.append(HTTPField(name: fieldName, value: value))
        }
        if let contentType { headers.append(HTTPField(name: .contentType, value: contentType)) }
        return HTTPRequest(
            method: method, url: url(path), headers: headers, body: body, timeouts: timeouts,
            maxResponseBytes: maxResponseBytes)
    }

    /// Sends a JSON request and returns the parsed JSON answer, or throws the mapped error.
    func json(_ method: HTTPMethod, _ path: String, body: JSONValue? = nil) async throws -> JSONValue {
        let data = try await raw(
            method, path, body: body.map { Data($0.jsonText.utf8) },
            contentType: body == nil ? nil : "application/json")
        do {
            return try JSONValue(parsing: data)
        } catch let error as ProviderError {
            throw ProviderError.malformedResponse(
                "\(providerName) answered \(path) with something that is not JSON",
                rawText: redact(error.rawText ?? ""))
        }
    }

    /// Throws ``ProviderError/insecureTransport(_:)`` when a request would carry the API key in
    /// clear: over `http://` to a host that is not this machine, unless the configuration allows it.
    /// Without a key (a local Ollama, a keyless LM Studio) plain http is fine.
    func checkTransportSecurity() throws {
        guard !authHeaders.isEmpty, !allowsInsecureHTTP, baseURL.scheme?.lowercased() == "http",
            !Self.isLoopback(baseURL.host)
        else { return }
        throw ProviderError.insecureTransport(
            "\(providerName): refusing to send the API key in clear over http:// to \(baseURL.host ?? "?"); "
                + "use an https:// base URL, or set allowsInsecureHTTP in the provider's configuration "
                + "if the network between is trusted")
    }

    /// Whether `host` names this machine: `localhost`, 127.0.0.0/8 or `::1`.
    static func isLoopback(_ host: String?) -> Bool {
        guard var host = host?.lowercased(), !host.isEmpty else { return false }
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if host == "localhost" || host.hasSuffix(".localhost") || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { CheckedNumber.nonNegativeInteger(String($0)).map { $0 <= 255 } ?? false }
    }

    /// Fetches a file the provider linked to (a generated image's `url`): only over https, or
    /// from the provider's own scheme, host and port, without credentials, and at most
    /// `maxBytes` (past it, ``ProviderError/responseTooLarge(_:)``).
    ///
    /// - Throws: ``ProviderError/insecureTransport(_:)`` for any other URL (`http://` elsewhere,
    ///   `file:`, an internal address over plain http).
    func fetchLinked(_ url: URL, maxBytes: Int, what: String) async throws -> Data {
        let scheme = url.scheme?.lowercased()
        let sameOrigin =
            scheme == baseURL.scheme?.lowercased() && url.host?.lowercased() == baseURL.host?.lowercased()
            && (url.port ?? Self.defaultPort(scheme))
                == (baseURL.port ?? Self.defaultPort(baseURL.scheme?.lowercased()))
        guard scheme == "https" || sameOrigin, url.host?.isEmpty == false else {
            throw ProviderError.insecureTransport(
                "\(providerName) linked \(what) at \(url.scheme ?? "?")://\(url.host ?? "?"), which is neither https "
                    + "nor the provider's own server; not fetched")
        }
        let start = ContinuousClock.now
        let response: HTTPResponse
        do {
            response = try await transport.send(
                HTTPRequest(url: url, timeouts: timeouts, maxResponseBytes: max(0, min(maxBytes, maxResponseBytes))))
        } catch {
            log(.get, url.path, start: start, error: error)
            throw error
        }
        guard response.status.kind == .successful else {
            throw ProviderError.server(
                "\(providerName): fetching \(what) failed with HTTP \(response.status.code)",
                statusCode: response.status.code)
        }
        log(.get, url.path, start: start, status: response.status.code, bytes: response.body.count)
        return response.body
    }

    private static func defaultPort(_ scheme: String?) -> Int? {
        switch scheme {
        case "http": 80
        case "https": 443
        default: nil
        }
    }

    /// Sends a request and returns the body of a 2xx answer, or throws the mapped error.
    func raw(_ method: HTTPMethod, _ path: String, body: Data? = nil, contentType: String? = nil) async throws -> Data {
        try checkTransportSecurity()
        let start = ContinuousClock.now
        let response: HTTPResponse
        do {
            response = try await transport.send(request(method, path, body: body, contentType: contentType))
        } catch {
            log(method, path, start: start, error: error)
            throw error
        }
        ResponseHeadObserver.notify(response.head)
        guard response.status.kind == .successful else {
            let error = mapError(status: response.status.code, head: response.head, body: response.body)
            log(method, path, start: start, status: response.status.code, error: error)
            throw error
        }
        log(method, path, start: start, status: response.status.code, bytes: response.body.count)
        return response.body
    }

    /// One line per request, at debug level when it succeeds and warning when it fails.
    func log(
        _ method: HTTPMethod,
        _ path: String,
        start: ContinuousClock.Instant,
        status: Int? = nil,
        bytes: Int? = nil,
        error: (any Error)? = nil
    ) {
        let elapsed = ContinuousClock.now - start
        var metadata: Logger.Metadata = [
            "provider.name": "\(providerName)",
            "http.method": "\(method.rawValue)",
            "http.path": "\(path.split(separator: "?").first.map(String.init) ?? path)",
            "http.duration_ms": "\(CheckedNumber.milliseconds(elapsed))",
        ]
        if let status { metadata["http.status"] = "\(status)" }
        if let bytes { metadata["http.response_bytes"] = "\(bytes)" }
        if let error {
            // ProviderError messages are already redacted; anything else is redacted here.
            metadata["error"] = "\(redact(String(describing: error)))"
            logger.warning("provider request failed", metadata: metadata)
        } else {
            logger.debug("provider request", metadata: metadata)
        }
    }

    /// Starts a streaming request; a non-2xx answer is read (bounded) and thrown as the mapped error.
    func stream(_ path: String, body: JSONValue) async throws -> HTTPStreamingResponse {
        try checkTransportSecurity()
        let start = ContinuousClock.now
        let response: HTTPStreamingResponse
        do {
            response = try await transport.stream(
                request(.post, path, body: Data(body.jsonText.utf8), contentType: "application/json"))
        } catch {
            log(.post, path, start: start, error: error)
            throw error
        }
        ResponseHeadObserver.notify(response.head)
        guard response.head.status.kind == .successful else {
            let errorBody = (try? await response.collect(upTo: 1 << 20)) ?? Data()
            let error = mapError(status: response.head.status.code, head: response.head, body: errorBody)
            log(.post, path, start: start, status: response.head.status.code, error: error)
            throw error
        }
        log(.post, path, start: start, status: response.head.status.code)
        return response
    }

    func mapError(status: Int, head: HTTPResponseHead, body: Data) -> ProviderError {
        let parsed = try? JSONValue(parsing: body)
        let details = ErrorDetails(parsed, fallback: String(decoding: body.prefix(2000), as: UTF8.self))
        return ProviderErrorMapping.error(
            status: status, retryAfter: ProviderErrorMapping.retryAfter(head), details: details,
            provider: providerName, redact: redact)
    }

    /// Removes every credential value from `text`.
    func redact(_ text: String) -> String {
        var text = text
        for (_, value) in authHeaders {
            for secret in Self.secretParts(of: value) {
                text = text.replacingOccurrences(of: secret, with: "[redacted]")
            }
        }
        return text
    }

    private static func secretParts(of headerValue: String) -> [String] {
        var parts = [headerValue]
        if headerValue.hasPrefix("Bearer ") { parts.append(String(headerValue.dropFirst(7))) }
        return parts.filter { $0.count >= 4 }
    }
}

/// What an error body said, in the shapes providers use: `{"error": {"message", "type", "code"}}`
/// (OpenAI and compatibles, where `code` may be a string, a number or null), `{"error": "text"}`
/// (Ollama), `{"detail": {"status", "message"}}` or `{"detail": "text"}` (ElevenLabs, FastAPI).
struct ErrorDetails: Sendable {
    var message: String
    var type: String?
    var code: String?

    init(message: String, type: String? = nil, code: String? = nil) {
        self.message = message
        self.type = type
        self.code = code
    }

    init(_ json: JSONValue?, fallback: String) {
        func text(_ value: JSONValue?) -> String? {
            switch value {
            case .string(let string): string
            // A code may be any JSON number (`1e300`); only exact integers print as integers.
            case .number(let number):
                CheckedNumber.integer(
                    number, in: -CheckedNumber.largestExactInteger...CheckedNumber.largestExactInteger
                )
                .map(String.init) ?? String(number)
            default: nil
            }
        }
        var message: String?
        var type: String?
        var code: String?
        if let error = json?["error"] {
            if case .string(let string) = error {
                message = string
            } else {
                message = text(error["message"])
                type = text(error["type"])
                code = text(error["code"])
            }
        } else if let detail = json?["detail"] {
            switch detail {
            case .string(let string): message = string
            case .array(let items): message = items.compactMap { text($0["msg"]) }.joined(separator: "; ")
            default:
                message = text(detail["message"])
                code = text(detail["status"]) ?? text(detail["code"])
            }
        } else if let text = text(json?["message"]) {
            message = text
        }
        let trimmed = fallback.trimmingCharacters(in: .whitespacesAndNewlines)
        self.init(message: message ?? (trimmed.isEmpty ? "no details given" : trimmed), type: type, code: code)
    }
}

/// Maps an HTTP status and an error body to a ``ProviderError`` kind.
enum ProviderErrorMapping {
    static func error(
        status: Int,
        retryAfter: Duration?,
        details: ErrorDetails,
        provider: String,
        redact: (String) -> String
    ) -> ProviderError {
        let message = redact("\(provider): \(details.message)")
        let tags = [details.code, details.type].compactMap { $0?.lowercased() }
        let lowerMessage = details.message.lowercased()
        func tagged(_ words: String...) -> Bool { tags.contains { tag in words.contains { tag.contains($0) } } }

        if tagged("insufficient_quota", "quota_exceeded", "billing", "credits") {
            return .quotaExhausted(message, statusCode: status)
        }
        if tagged("context_length", "context_window", "too_many_tokens")
            || lowerMessage.contains("maximum context length") || lowerMessage.contains("context window")
            || lowerMessage.contains("context length")
        {
            return .contextTooLong(message, statusCode: status)
        }
        if tagged("content_filter", "content_policy", "safety", "moderation") {
            return .contentFiltered(message, statusCode: status)
        }
        switch status {
        case 401, 403: return .authentication(message, statusCode: status)
        case 402: return .quotaExhausted(message, statusCode: status)
        case 404: return .notFound(message, statusCode: status)
        case 408: return .timeout(message)
        case 429: return .rateLimited(message, retryAfter: retryAfter, statusCode: status)
        case 500...: return .server(message, statusCode: status, retryAfter: retryAfter)
        default: return .badRequest(message, statusCode: status)
        }
    }

    /// `Retry-After` in seconds or as an HTTP date, or OpenAI's `retry-after-ms`; for a 429 without
    /// either, the reset of the spent `x-ratelimit-*` limit (`6m0s`).
    ///
    /// Every wait is clamped to ``CheckedNumber/longestServerWait`` (one day); a value that is not
    /// a finite, non-negative number (`NaN`, `-1`, `1e999`, text) is ignored, as if the header
    /// were absent. The retry policy and the breaker cap what they wait much lower.
    static func retryAfter(_ head: HTTPResponseHead) -> Duration? {
        if let explicit = explicitRetryAfter(head) { return explicit }
        guard head.status == .tooManyRequests else { return nil }
        return RateLimitHeaders(head)?.suggestedWait
    }

    /// OpenAI's `retry-after-ms`; the literal is a valid token, so the force unwrap cannot fail.
    private static let retryAfterMilliseconds = HTTPField.Name("retry-after-ms")!

    private static func explicitRetryAfter(_ head: HTTPResponseHead) -> Duration? {
        if let text = head.headers[Self.retryAfterMilliseconds],
            let ms = Double(text.trimmingCharacters(in: .whitespaces)),
            let wait = CheckedNumber.serverWait(seconds: ms / 1000)
        {
            return wait
        }
        guard let text = head.headers[.retryAfter]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else {
            return nil
        }
        if let seconds = Double(text) { return CheckedNumber.serverWait(seconds: seconds) }
        guard text.first?.isLetter == true else { return nil }  // not an HTTP date either
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        guard let date = formatter.date(from: text) else { return nil }
        // A date in the past means "now".
        return CheckedNumber.serverWait(seconds: max(0, date.timeIntervalSinceNow))
    }
}

/// Runs `body` in a task feeding a stream; cancelling the consumer cancels the task.
package func makeProviderStream<Element: Sendable>(
    _ body: @escaping @Sendable (AsyncThrowingStream<Element, any Error>.Continuation) async throws -> Void
) -> AsyncThrowingStream<Element, any Error> {
    let (stream, continuation) = AsyncThrowingStream<Element, any Error>.makeStream()
    let task = Task {
        do {
            try await body(continuation)
            continuation.finish()
        } catch {
            continuation.finish(throwing: error)
        }
    }
    continuation.onTermination = { _ in task.cancel() }
    return stream
}

/// The sample rate in a RIFF WAVE header, or `nil` when `data` is not one.
func wavSampleRate(_ data: Data) -> Int? {
    guard data.count >= 28, data.prefix(4) == Data("RIFF".utf8),
        data.dropFirst(8).prefix(4) == Data("WAVE".utf8)
    else { return nil }
    let bytes = [UInt8](data.dropFirst(24).prefix(4))
    return Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
}
