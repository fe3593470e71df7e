import Foundation
import StoryForgeCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A small WebSocket client (RFC 6455) over POSIX sockets for ComfyUI's `/ws` progress messages: plain `ws://`
/// only (ComfyUI runs on the user's machine or network), text frames decoded as JSON, binary frames (previews)
/// skipped, pings answered, every frame bounded by ``maxFrameBytes``.
///
/// Foundation on Linux has no WebSocket, and the progress messages are optional: any failure here ends the stream,
/// and the provider falls back to polling `/history`.
final class ComfyUIWebSocket: @unchecked Sendable {
    /// 1 MiB: ComfyUI's JSON messages are a few hundred bytes; a larger frame ends the stream.
    static let maxFrameBytes = 1 << 20
    /// 16 KiB: the most handshake response read.
    static let maxHeadBytes = 16 << 10

    /// The socket: shut down by ``close()`` (which ends a blocked read), its descriptor closed only in `deinit`, so
    /// the number is never reused while a read may still use it.
    private let fd: Int32
    /// Whether ``close()`` ran (guarded by `lock`).
    private var isShut = false
    private let lock = NSLock()

    private init(fd: Int32) {
        self.fd = fd
    }

    deinit {
        close()
        #if canImport(Glibc)
            _ = Glibc.close(fd)
        #else
            _ = Darwin.close(fd)
        #endif
    }

    /// Connects and completes the handshake, or throws; `timeout` bounds the connect and the handshake.
    static func connect(_ url: URL, timeout: Duration) throws -> ComfyUIWebSocket {
        guard url.scheme == "ws", let host = url.host, !host.isEmpty else {
            throw ProviderError.unsupported("ComfyUI: only ws:// progress is supported")
        }
        let port = url.port ?? 80
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
            hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let first = list else {
            throw ProviderError.transport("ComfyUI: cannot resolve \(host)")
        }
        defer { freeaddrinfo(list) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { throw ProviderError.transport("ComfyUI: socket() failed") }
        let socket = ComfyUIWebSocket(fd: fd)
        // The connect limit is the caller's configuration, at most a few minutes: no overflow either way.
        var limit = timeval(
            tv_sec: .init(clamping: timeout.components.seconds),
            tv_usec: .init(clamping: timeout.components.attoseconds / 1_000_000_000_000))
        #if canImport(Darwin)
            var yes: Int32 = 1
            _ = setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &yes, socklen_t(MemoryLayout<Int32>.size))
        #endif
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        guard posixConnect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            throw ProviderError.transport("ComfyUI: cannot connect to \(host):\(port) for progress")
        }
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        var path = url.path.isEmpty ? "/" : url.path
        if let query = url.query { path += "?" + query }
        let request =
            "GET \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
        try socket.write(Data(request.utf8))
        var head = Data()
        while !head.ends(with: "\r\n\r\n") {
            guard head.count < maxHeadBytes, let byte = try socket.read(1).first else {
                throw ProviderError.transport("ComfyUI: the WebSocket handshake did not complete")
            }
            head.append(byte)
        }
        let text = String(decoding: head, as: UTF8.self)
        let lines = text.split(separator: "\r\n")
        guard lines.first?.hasPrefix("HTTP/1.1 101") == true,
            lines.contains(where: {
                $0.lowercased().hasPrefix("sec-websocket-accept:")
                    && $0.dropFirst("sec-websocket-accept:".count).trimmingCharacters(in: .whitespaces)
                        == WebSocketHandshake.accept(forKey: key)
            })
        else {
            throw ProviderError.transport("ComfyUI: /ws refused the WebSocket upgrade")
        }
        // Messages may be minutes apart while a model loads: no read timeout from here on (close() ends a read).
        var none = timeval(tv_sec: 0, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &none, socklen_t(MemoryLayout<timeval>.size))
        return socket
    }

    /// The text messages as JSON, read on their own thread until the server closes, the connection breaks, a frame
    /// is malformed or oversized, or the consumer stops listening (which closes the socket).
    func messages() -> AsyncThrowingStream<JSONValue, any Error> {
        let (stream, continuation) = AsyncThrowingStream<JSONValue, any Error>.makeStream()
        continuation.onTermination = { [self] _ in close() }
        let thread = Thread { [self] in
            do {
                while let message = try nextText() {
                    if let json = try? JSONValue(parsing: message) { continuation.yield(json) }
                }
                continuation.finish()
            } catch {
                continuation.finish(throwing: error)
            }
        }
        thread.name = "comfyui.ws"
        thread.start()
        return stream
    }

    /// The next text message's bytes; `nil` after a close frame.
    private func nextText() throws -> Data? {
        var message = Data()
        var collecting = false
        while true {
            let header = try read(2)
            let fin = header[header.startIndex] & 0x80 != 0
            let opcode = header[header.startIndex] & 0x0F
            let masked = header[header.startIndex + 1] & 0x80 != 0
            var length = UInt64(header[header.startIndex + 1] & 0x7F)
            if length == 126 {
                length = try read(2).reduce(0) { $0 << 8 | UInt64($1) }
            } else if length == 127 {
                length = try read(8).reduce(0) { $0 << 8 | UInt64($1) }
            }
            guard length <= UInt64(Self.maxFrameBytes), message.count + Int(length) <= Self.maxFrameBytes else {
                throw ProviderError.responseTooLarge("ComfyUI: a WebSocket frame is larger than 1 MiB")
            }
            let mask = masked ? [UInt8](try read(4)) : nil
            var payload = [UInt8](try read(Int(length)))
            if let mask { for index in payload.indices { payload[index] ^= mask[index % 4] } }
            switch opcode {
            case 0x8: return nil
            case 0x9: try write(WebSocketHandshake.frame(opcode: 0xA, payload: Data(payload), mask: Self.newMask()))
            case 0xA: continue
            case 0x1:
                message = Data(payload)
                collecting = !fin
                if fin { return message }
            case 0x0 where collecting:
                message.append(contentsOf: payload)
                if fin { return message }
            default:
                collecting = false  // binary frames (preview images) and their continuations are skipped
            }
        }
    }

    private static func newMask() -> [UInt8] { (0..<4).map { _ in UInt8.random(in: 0...255) } }

    private func read(_ count: Int) throws -> Data {
        var data = Data(count: count)
        var offset = 0
        while offset < count {
            let received = data.withUnsafeMutableBytes { raw in
                recv(fd, raw.baseAddress! + offset, count - offset, 0)
            }
            if received < 0, errno == EINTR { continue }
            guard received > 0 else { throw ProviderError.transport("ComfyUI: the WebSocket connection dropped") }
            offset += received
        }
        return data
    }

    private func write(_ data: Data) throws {
        try data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                #if canImport(Glibc)
                    let sent = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                #else
                    let sent = Darwin.send(fd, raw.baseAddress! + offset, raw.count - offset, 0)
                #endif
                if sent < 0, errno == EINTR { continue }
                guard sent > 0 else { throw ProviderError.transport("ComfyUI: the WebSocket connection dropped") }
                offset += sent
            }
        }
    }

    /// Shuts the connection down, once: a blocked read returns and the stream ends.
    func close() {
        lock.lock()
        defer { lock.unlock() }
        guard !isShut else { return }
        isShut = true
        #if canImport(Glibc)
            _ = Glibc.shutdown(fd, Int32(SHUT_RDWR))
        #else
            _ = Darwin.shutdown(fd, SHUT_RDWR)
        #endif
    }
}

private func posixConnect(_ fd: Int32, _ address: UnsafeMutablePointer<sockaddr>?, _ length: socklen_t) -> Int32 {
    #if canImport(Glibc)
        Glibc.connect(fd, address, length)
    #else
        Darwin.connect(fd, address, length)
    #endif
}

extension Data {
    fileprivate func ends(with text: String) -> Bool {
        let suffix = Data(text.utf8)
        return count >= suffix.count && self.suffix(suffix.count) == suffix
    }
}
