public import Foundation
import ProviderKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A small HTTP/1.1 server on 127.0.0.1 for tests and benchmarks, on POSIX sockets and a thread per
/// connection.
///
/// A handler turns each request into a scripted ``Response``: status and headers, body parts with
/// pauses between them, a delay before the first byte, a declared length that the body does not
/// reach, or a connection closed without ceremony. That is enough to play any provider's wire
/// protocol and its faults. It listens on loopback only, on a port the system picks.
///
/// ```swift
/// let server = try LoopbackHTTPServer { request in .json(#"{"ok":true}"#) }
/// defer { server.shutdown() }
/// let url = server.baseURL.appending(path: "v1/models")
/// ```
public final class LoopbackHTTPServer: @unchecked Sendable {
    // `@unchecked Sendable`: `received` and `isShutDown` are guarded by `lock`; `listener` and
    // `handler` never change after init.

    /// A request as the server saw it.
    public struct Request: Sendable {
        /// The method, e.g. `POST`.
        public var method: String
        /// The path and query, e.g. `/v1/chat/completions`.
        public var path: String
        /// Header fields in order.
        public var headers: [(name: String, value: String)]
        /// The body.
        public var body: Data
        /// Which connection it came on: 0 for the first the server accepted, then 1, 2, ...
        public var connection: Int

        /// The first header with this name (case-insensitive), or `nil`.
        public func header(_ name: String) -> String? {
            headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
        }

        /// The body as UTF-8 text.
        public var bodyText: String { String(decoding: body, as: UTF8.self) }
    }

    /// A piece of a scripted response body.
    public enum Part: Sendable {
        /// Bytes to send.
        case data(Data)
        /// A pause before the next part.
        case pause(Duration)
    }

    /// How the response body is delimited.
    public enum Framing: Sendable {
        /// `Content-Length` of the parts' total, or of the given length (which may be a lie, to
        /// simulate a body cut short); the connection stays open for the next request.
        case contentLength(Int?)
        /// No length; the server closes the connection after the last part.
        case close
    }

    /// A scripted response.
    public struct Response: Sendable {
        /// The status code.
        public var status: Int
        /// Header fields.
        public var headers: [(name: String, value: String)]
        /// Body parts in order.
        public var parts: [Part]
        /// How the body is delimited.
        public var framing: Framing
        /// A pause before anything is sent (a slow first byte).
        public var delayBeforeHead: Duration
        /// When set, the server accepts a WebSocket upgrade (RFC 6455, `101 Switching Protocols` with the
        /// request key's accept value) and plays this script instead of an HTTP body.
        public var webSocket: WebSocketScript?

        /// Creates a response.
        public init(
            status: Int = 200,
            headers: [(name: String, value: String)] = [],
            parts: [Part] = [],
            framing: Framing = .contentLength(nil),
            delayBeforeHead: Duration = .zero,
            webSocket: WebSocketScript? = nil
        ) {
            self.webSocket = webSocket
            self.status = status
            self.headers = headers
            self.parts = parts
            self.framing = framing
            self.delayBeforeHead = delayBeforeHead
        }

        /// The total size of the data parts.
        public var bodyLength: Int {
            parts.reduce(0) { sum, part in
                if case .data(let data) = part { return sum + data.count }
                return sum
            }
        }

        /// A JSON body.
        public static func json(
            _ text: String,
            status: Int = 200,
            headers: [(name: String, value: String)] = []
        ) -> Self {
            Self(
                status: status,
                headers: [("Content-Type", "application/json")] + headers,
                parts: [.data(Data(text.utf8))]
            )
        }

        /// A binary body.
        public static func bytes(_ data: Data, contentType: String, status: Int = 200) -> Self {
            Self(status: status, headers: [("Content-Type", contentType)], parts: [.data(data)])
        }

        /// A body sent in pieces, with `gap` between them, closed at the end (like a model's stream).
        public static func stream(
            _ chunks: [String],
            contentType: String = "text/event-stream",
            gap: Duration = .zero,
            status: Int = 200
        ) -> Self {
            var parts: [Part] = []
            for chunk in chunks {
                if gap > .zero, !parts.isEmpty { parts.append(.pause(gap)) }
                parts.append(.data(Data(chunk.utf8)))
            }
            return Self(status: status, headers: [("Content-Type", contentType)], parts: parts, framing: .close)
        }
    }

    /// What a WebSocket connection sends after the upgrade: text frames and pauses, then a close frame or a
    /// connection dropped without one (the fault of a server that dies mid-run).
    public struct WebSocketScript: Sendable {
        /// One step of the script.
        public enum Step: Sendable {
            /// A text frame.
            case text(String)
            /// A pause before the next step.
            case pause(Duration)
        }

        /// The steps in order.
        public var steps: [Step]
        /// Whether the connection ends without a close frame.
        public var drops: Bool

        /// Creates a script.
        public init(_ steps: [Step], drops: Bool = false) {
            self.steps = steps
            self.drops = drops
        }
    }

    /// Makes the response for a request; called on the connection's thread.
    public typealias Handler = @Sendable (Request) -> Response

    private let listener: Int32
    private let handler: Handler
    private let lock = NSLock()
    private var received: [Request] = []
    private var isShutDown = false
    private var connections = 0
    private var failedWrites = 0
    /// The port the server listens on.
    public let port: Int

    /// Starts a server on 127.0.0.1 and a free port.
    public init(handler: @escaping Handler) throws {
        self.handler = handler
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else {
            let number = errno
            throw ServerError("socket() failed: errno \(number)", errno: number)
        }
        var yes: Int32 = 1
        _ = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bound == 0, listen(fd, 256) == 0 else {
            let number = errno  // before close, which may set errno again
            close(fd)
            throw ServerError("bind/listen on 127.0.0.1 failed: errno \(number)", errno: number)
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        listener = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "loopback-server.accept"
        thread.start()
    }

    deinit { shutdown() }

    /// `http://127.0.0.1:PORT`.
    public var baseURL: URL {
        URL(string: "http://127.0.0.1:\(port)")!  // a literal scheme, host and an integer port always parse
    }

    /// How many responses could not be written completely because the client had gone (it closed
    /// or reset the connection while the script was still sending).
    public var abandonedResponses: Int { lock.withLock { failedWrites } }

    /// The requests received so far, in order of arrival.
    public var requests: [Request] { lock.withLock { received } }

    /// Stops accepting connections. Connections in progress finish their scripts.
    public func shutdown() {
        let wasRunning = lock.withLock {
            defer { isShutDown = true }
            return !isShutDown
        }
        guard wasRunning else { return }
        // Only the accept thread closes the socket, once accept() has failed: closing it here
        // would free the descriptor number while that thread may still be about to accept on it,
        // and it would then serve another server's socket that got the number.
        _ = shutdownSocket(listener)
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR, !lock.withLock({ isShutDown }) { continue }
                return
            }
            var yes: Int32 = 1
            _ = setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            #if canImport(Darwin)
                _ = setsockopt(client, SOL_SOCKET, SO_NOSIGPIPE, &yes, socklen_t(MemoryLayout<Int32>.size))
            #endif
            let connection = lock.withLock {
                defer { connections += 1 }
                return connections
            }
            let thread = Thread { [self] in serve(client, connection: connection) }
            thread.name = "loopback-server.connection"
            thread.start()
        }
    }

    private func serve(_ client: Int32, connection: Int) {
        defer { close(client) }
        var reader = RequestReader(fd: client, connection: connection)
        while let request = reader.next() {
            lock.withLock { received.append(request) }
            let response = handler(request)
            if let script = response.webSocket {
                play(script, for: request, to: client)
                return
            }
            if !write(response, to: client) { return }
            if case .close = response.framing { return }
            if request.header("Connection")?.lowercased() == "close" { return }
        }
    }

    private func write(_ response: Response, to client: Int32) -> Bool {
        if response.delayBeforeHead > .zero { Thread.sleep(forTimeInterval: seconds(response.delayBeforeHead)) }
        var head = "HTTP/1.1 \(response.status) \(reason(response.status))\r\n"
        for (name, value) in response.headers { head += "\(name): \(value)\r\n" }
        switch response.framing {
        case .contentLength(let declared):
            head += "Content-Length: \(declared ?? response.bodyLength)\r\n"
        case .close:
            head += "Connection: close\r\n"
        }
        head += "\r\n"
        var pending = Data(head.utf8)
        for part in response.parts {
            switch part {
            case .data(let data): pending.append(data)
            case .pause(let duration):
                if !send(pending, to: client) { return false }
                pending = Data()
                Thread.sleep(forTimeInterval: seconds(duration))
            }
        }
        if !send(pending, to: client) { return false }
        if case .contentLength(let declared?) = response.framing,
            declared != response.bodyLength
        {
            return false  // the body was cut short on purpose: end the connection
        }
        return true
    }

    private func play(_ script: WebSocketScript, for request: Request, to client: Int32) {
        let key = request.header("Sec-WebSocket-Key") ?? ""
        let head =
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: \(WebSocketHandshake.accept(forKey: key))\r\n\r\n"
        guard send(Data(head.utf8), to: client) else { return }
        for step in script.steps {
            switch step {
            case .text(let text):
                guard send(WebSocketHandshake.frame(opcode: 0x1, payload: Data(text.utf8)), to: client) else { return }
            case .pause(let duration):
                Thread.sleep(forTimeInterval: seconds(duration))
            }
        }
        if !script.drops { _ = send(WebSocketHandshake.frame(opcode: 0x8, payload: Data()), to: client) }
        _ = shutdownSocket(client)
    }

    private func send(_ data: Data, to client: Int32) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                #if canImport(Glibc)
                    let sent = Glibc.send(client, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                #else
                    let sent = Darwin.send(client, raw.baseAddress! + offset, raw.count - offset, 0)
                #endif
                if sent < 0 {
                    if errno == EINTR { continue }
                    lock.withLock { failedWrites += 1 }
                    return false
                }
                offset += sent
            }
            return true
        }
    }

    private func seconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }

    private func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 503: "Service Unavailable"
        default: "Status"
        }
    }
}

private func shutdownSocket(_ fd: Int32) -> Int32 {
    #if canImport(Glibc)
        Glibc.shutdown(fd, Int32(SHUT_RDWR))
    #else
        Darwin.shutdown(fd, SHUT_RDWR)
    #endif
}

/// The server could not start: no socket, or no port on 127.0.0.1 to listen on.
public struct ServerError: Error, Hashable, CustomStringConvertible {
    /// The kind of failure; compare with `==`. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name.
        public let description: String
        private init(_ name: String) { description = name }

        /// The server could not open its socket, bind it to 127.0.0.1 or listen on it.
        public static let cannotListen = Code("cannotListen")
    }

    /// The kind of failure.
    public let code: Code
    /// What failed, with the system's error number, e.g. `bind/listen on 127.0.0.1 failed: errno 98`.
    public let message: String
    /// The system error, when there is one (not part of equality).
    public let underlying: (any Error)?

    init(_ message: String, errno number: Int32) {
        code = .cannotListen
        self.message = message
        underlying = POSIXErrorCode(rawValue: number).map { POSIXError($0) }
    }

    /// The message.
    public var description: String { message }

    /// Errors are equal when they have the same ``code``.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the ``code`` only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }
}

/// Reads requests from a connection: head up to the blank line, then `Content-Length` bytes.
private struct RequestReader {
    let fd: Int32
    let connection: Int
    var buffer: [UInt8] = []
    private static let maxHead = 64 << 10
    private static let maxBody = 256 << 20

    init(fd: Int32, connection: Int) {
        self.fd = fd
        self.connection = connection
    }

    mutating func next() -> LoopbackHTTPServer.Request? {
        var headEnd: Int?
        while headEnd == nil {
            headEnd = Self.find([13, 10, 13, 10], in: buffer)
            if headEnd == nil {
                guard buffer.count < Self.maxHead, fill() else { return nil }
            }
        }
        guard let headEnd else { return nil }
        let head = String(decoding: buffer[0..<headEnd], as: UTF8.self)
        buffer.removeSubrange(0..<(headEnd + 4))
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(
                (
                    String(line[..<colon]).trimmingCharacters(in: .whitespaces),
                    String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                ))
        }
        let length =
            headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        // A negative Content-Length would make an inverted range below: a bad request, not a trap.
        guard (0...Self.maxBody).contains(length) else { return nil }
        while buffer.count < length {
            guard fill() else { return nil }
        }
        let body = Data(buffer[0..<length])
        buffer.removeSubrange(0..<length)
        return .init(
            method: String(requestLine[0]), path: String(requestLine[1]), headers: headers, body: body,
            connection: connection)
    }

    private mutating func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[0..<count])
        return true
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
            if Array(haystack[start..<(start + needle.count)]) == needle { return start }
        }
        return nil
    }
}
