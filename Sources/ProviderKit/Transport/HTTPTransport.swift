public import Foundation
public import HTTPTypes

/// Sends HTTP requests for the providers: buffered or streaming, with explicit limits.
///
/// The default is ``DefaultHTTPTransport``: libcurl on Linux, URLSession on Apple platforms.
/// Errors are ``ProviderError``s of kind ``ProviderError/timeout``, ``ProviderError/transport``,
/// ``ProviderError/responseTooLarge`` or ``ProviderError/cancelled``; an HTTP error status is not
/// an error here, the provider reads its body and decides.
public protocol HTTPTransport: Sendable {
    /// Sends a request and returns the whole response once it has arrived.
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
    /// Sends a request and returns as soon as the status and headers have arrived; the body follows
    /// as it comes. Cancelling the task or dropping the body stream stops the transfer.
    func stream(_ request: HTTPRequest) async throws -> HTTPStreamingResponse
}

#if canImport(Darwin)
    /// The default transport for the platform: ``URLSessionHTTPTransport`` on Apple platforms.
    public typealias DefaultHTTPTransport = URLSessionHTTPTransport
#else
    /// The default transport for the platform: ``CurlHTTPTransport`` on Linux.
    public typealias DefaultHTTPTransport = CurlHTTPTransport
#endif

/// Time limits for one request.
public struct HTTPTimeouts: Sendable, Hashable {
    /// Limit for opening the connection (TCP and TLS).
    public var connect: Duration
    /// Limit from connection to the first byte of the response.
    public var firstByte: Duration
    /// Longest allowed gap between two arrivals of response bytes.
    public var idle: Duration
    /// Limit for the whole exchange, from start to the last byte.
    public var total: Duration

    /// Creates time limits; the defaults suit a remote model that thinks before it speaks.
    public init(
        connect: Duration = .seconds(10),
        firstByte: Duration = .seconds(120),
        idle: Duration = .seconds(60),
        total: Duration = .seconds(600)
    ) {
        self.connect = connect
        self.firstByte = firstByte
        self.idle = idle
        self.total = total
    }
}

/// An HTTP method: swift-http-types' `HTTPRequest.Method` (`.get`, `.post`, `.delete`, …; `rawValue` is
/// the name), whose initialiser rejects a name that is not an RFC 9110 token.
public typealias HTTPMethod = HTTPTypes.HTTPRequest.Method

/// An outgoing request.
public struct HTTPRequest: Sendable {
    /// The method.
    public var method: HTTPMethod
    /// The absolute URL.
    public var url: URL
    /// Header fields in order; `headers[.authorization]` looks a name up case-insensitively, and a
    /// value holds no CR, LF or NUL (swift-http-types turns them into spaces on the way in).
    public var headers: HTTPFields
    /// The body, if any.
    public var body: Data?
    /// Time limits.
    public var timeouts: HTTPTimeouts
    /// The largest response body accepted, in bytes; more is a ``ProviderError/responseTooLarge`` error.
    public var maxResponseBytes: Int
    /// An IP address (`203.0.113.7`, `2001:db8::1`) to connect to instead of resolving the URL's host; TLS still
    /// checks the certificate against the host's name. A caller that vetted the address (a webhook target that
    /// must not be private) pins it so that DNS cannot change it between the check and the connection. `nil`
    /// resolves as usual. Only ``CurlHTTPTransport`` can pin; URLSession refuses a pinned request.
    public var pinnedAddress: String?

    /// Creates a request.
    public init(
        method: HTTPMethod = .get,
        url: URL,
        headers: HTTPFields = [:],
        body: Data? = nil,
        timeouts: HTTPTimeouts = HTTPTimeouts(),
        maxResponseBytes: Int = 64 << 20,
        pinnedAddress: String? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
        self.maxResponseBytes = maxResponseBytes
        self.pinnedAddress = pinnedAddress
    }
}

/// An HTTP status: swift-http-types' `HTTPResponse.Status` (`.ok`, `.tooManyRequests`, …; `code` is the number,
/// `kind` its class).
public typealias HTTPStatus = HTTPTypes.HTTPResponse.Status

/// The status line and headers of a response.
public struct HTTPResponseHead: Sendable {
    /// The status, e.g. `.ok`.
    public var status: HTTPStatus
    /// Header fields in order of arrival; `headers[.retryAfter]` looks a name up case-insensitively.
    /// A line whose name is not a valid field name is dropped by the transport.
    public var headers: HTTPFields

    /// Creates a response head.
    public init(status: HTTPStatus, headers: HTTPFields = [:]) {
        self.status = status
        self.headers = headers
    }

    /// Creates a response head from a status code read off the wire.
    /// - Throws: ``ProviderError/malformedResponse(_:rawText:underlying:)`` for a code outside 100…999, which no
    ///   HTTP server sends (and which `HTTPResponse.Status` would trap on).
    public init(statusCode: Int, headers: HTTPFields = [:]) throws {
        guard (100...999).contains(statusCode) else {
            throw ProviderError.malformedResponse(
                "the server answered with status code \(statusCode); HTTP status codes are 100 to 999")
        }
        self.init(status: HTTPStatus(code: statusCode), headers: headers)
    }
}

/// A whole response.
public struct HTTPResponse: Sendable {
    /// The status and headers.
    public var head: HTTPResponseHead
    /// The body.
    public var body: Data

    /// Creates a response.
    public init(head: HTTPResponseHead, body: Data) {
        self.head = head
        self.body = body
    }

    /// The status.
    public var status: HTTPStatus { head.status }
}

/// A response whose body is still arriving.
public struct HTTPStreamingResponse: Sendable {
    /// The status and headers.
    public var head: HTTPResponseHead
    /// The body in chunks as they arrive; it throws ``ProviderError``s for timeouts, broken
    /// connections and oversize.
    public var body: AsyncThrowingStream<Data, any Error>

    /// Creates a streaming response.
    public init(head: HTTPResponseHead, body: AsyncThrowingStream<Data, any Error>) {
        self.head = head
        self.body = body
    }

    /// Collects the rest of the body, up to `limit` bytes.
    ///
    /// - Throws: ``ProviderError/cancelled(_:)`` when the task is cancelled meanwhile (the body
    ///   stream then just ends, which must not pass for a complete body).
    public func collect(upTo limit: Int = 64 << 20) async throws -> Data {
        var data = Data()
        for try await chunk in body {
            data.append(chunk)
            if data.count > limit {
                throw ProviderError.responseTooLarge("the response body is larger than \(limit) bytes")
            }
        }
        if Task.isCancelled { throw ProviderError.cancelled("the request was cancelled") }
        return data
    }
}
