public import Foundation

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

/// An HTTP method.
public struct HTTPMethod: RawRepresentable, Sendable, Hashable {
    /// The method's name, e.g. `POST`.
    public var rawValue: String
    /// Creates a method from its name.
    public init(rawValue: String) { self.rawValue = rawValue }
    /// GET.
    public static let get = Self(rawValue: "GET")
    /// POST.
    public static let post = Self(rawValue: "POST")
    /// DELETE.
    public static let delete = Self(rawValue: "DELETE")
}

/// An outgoing request.
public struct HTTPRequest: Sendable {
    /// The method.
    public var method: HTTPMethod
    /// The absolute URL.
    public var url: URL
    /// Header fields in order; names compare case-insensitively.
    public var headers: [(name: String, value: String)]
    /// The body, if any.
    public var body: Data?
    /// Time limits.
    public var timeouts: HTTPTimeouts
    /// The largest response body accepted, in bytes; more is a ``ProviderError/responseTooLarge`` error.
    public var maxResponseBytes: Int

    /// Creates a request.
    public init(
        method: HTTPMethod = .get,
        url: URL,
        headers: [(name: String, value: String)] = [],
        body: Data? = nil,
        timeouts: HTTPTimeouts = HTTPTimeouts(),
        maxResponseBytes: Int = 64 << 20
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
        self.maxResponseBytes = maxResponseBytes
    }

    /// The value of the first header with this name (case-insensitive), or `nil`.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }
}

/// The status line and headers of a response.
public struct HTTPResponseHead: Sendable {
    /// The status code, e.g. 200.
    public var status: Int
    /// Header fields in order of arrival.
    public var headers: [(name: String, value: String)]

    /// Creates a response head.
    public init(status: Int, headers: [(name: String, value: String)]) {
        self.status = status
        self.headers = headers
    }

    /// The value of the first header with this name (case-insensitive), or `nil`.
    public func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
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

    /// The status code.
    public var status: Int { head.status }
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
