import Foundation
import HTTPTypes
import ProviderKit
import ProviderKitTesting
import Testing

@Suite("HTTP transport over loopback")
struct HTTPTransportTests {
    let transport = DefaultHTTPTransport()

    @Test("a buffered request sends method, headers and body, and reads the response")
    func bufferedRoundTrip() async throws {
        let server = try LoopbackHTTPServer { request in
            .json(#"{"echo":\#(request.body.count)}"#, headers: [("X-Path", request.path)])
        }
        defer { server.shutdown() }
        let xTest = try #require(HTTPField.Name("X-Test"))
        let request = HTTPRequest(
            method: .post,
            url: server.baseURL.appending(path: "v1/echo"),
            headers: [.contentType: "application/json", xTest: "yes"],
            body: Data(#"{"hello":"world"}"#.utf8)
        )
        let response = try await transport.send(request)
        #expect(response.status == 200)
        // The server sent `X-Path`; HTTPFields matches the lowercase name without our help.
        let xPath = try #require(HTTPField.Name("x-path"))
        #expect(response.head.headers[xPath] == "/v1/echo")
        #expect(response.head.headers[.contentType] == "application/json")
        #expect(String(decoding: response.body, as: UTF8.self) == #"{"echo":17}"#)
        let seen = try #require(server.requests.first)
        #expect(seen.method == "POST")
        #expect(seen.header("X-Test") == "yes")
        #expect(seen.bodyText == #"{"hello":"world"}"#)
    }

    @Test("a streamed body arrives in pieces before the response ends")
    func streamsIncrementally() async throws {
        let server = try LoopbackHTTPServer { _ in
            .stream(["first\n", "second\n"], gap: .milliseconds(1500))
        }
        defer { server.shutdown() }
        let clock = ContinuousClock()
        let response = try await transport.stream(HTTPRequest(url: server.baseURL))
        let start = clock.now
        var iterator = response.body.makeAsyncIterator()
        let first = try await iterator.next()
        #expect(first.map { String(decoding: $0, as: UTF8.self) } == "first\n")
        #expect(clock.now - start < .milliseconds(1000), "the first piece must not wait for the second")
        var rest = Data()
        while let chunk = try await iterator.next() { rest.append(chunk) }
        #expect(String(decoding: rest, as: UTF8.self) == "second\n")
    }

    @Test("a slow first byte ends in a timeout within the limit")
    func firstByteTimeout() async throws {
        let server = try LoopbackHTTPServer { _ in
            var response = LoopbackHTTPServer.Response.json("{}")
            response.delayBeforeHead = .seconds(10)
            return response
        }
        defer { server.shutdown() }
        let clock = ContinuousClock()
        let start = clock.now
        let request = HTTPRequest(url: server.baseURL, timeouts: HTTPTimeouts(firstByte: .milliseconds(300)))
        let error = await #expect(throws: ProviderError.self) { try await transport.send(request) }
        #expect(error?.code == .timeout)
        #expect(clock.now - start < .seconds(5))
    }

    @Test("the first-byte limit also holds on a connection reused from the pool")
    func firstByteTimeoutOnReusedConnection() async throws {
        let server = try LoopbackHTTPServer { request in
            var response = LoopbackHTTPServer.Response.json("{}")
            if request.path == "/slow" { response.delayBeforeHead = .seconds(10) }
            return response
        }
        defer { server.shutdown() }
        let timeouts = HTTPTimeouts(firstByte: .milliseconds(300))
        _ = try await transport.send(HTTPRequest(url: server.baseURL.appending(path: "fast"), timeouts: timeouts))
        let clock = ContinuousClock()
        let start = clock.now
        let error = await #expect(throws: ProviderError.self) {
            try await transport.send(HTTPRequest(url: server.baseURL.appending(path: "slow"), timeouts: timeouts))
        }
        #expect(error?.code == .timeout)
        #expect(clock.now - start < .seconds(5))
        #expect(server.requests.map(\.connection) == [0, 0])
    }

    @Test("dropping a streamed body stops the transfer")
    func droppingTheStreamStopsTheTransfer() async throws {
        let server = try LoopbackHTTPServer { _ in
            .stream(Array(repeating: String(repeating: "x", count: 1000), count: 300), gap: .milliseconds(20))
        }
        defer { server.shutdown() }
        do {
            let response = try await transport.stream(HTTPRequest(url: server.baseURL))
            for try await _ in response.body { break }
        }
        // The server needs six seconds to send everything; once the consumer leaves, the
        // transport closes the connection and the server's next write fails.
        let clock = ContinuousClock()
        let start = clock.now
        while server.abandonedResponses == 0, clock.now - start < .seconds(4) {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(server.abandonedResponses == 1)
    }

    @Test("a stall in the middle of a stream ends in an idle timeout")
    func idleTimeout() async throws {
        let server = try LoopbackHTTPServer { _ in
            LoopbackHTTPServer.Response(
                parts: [.data(Data("part".utf8)), .pause(.seconds(10)), .data(Data("late".utf8))], framing: .close)
        }
        defer { server.shutdown() }
        let clock = ContinuousClock()
        let start = clock.now
        let request = HTTPRequest(url: server.baseURL, timeouts: HTTPTimeouts(idle: .milliseconds(300)))
        let error = await #expect(throws: ProviderError.self) { try await transport.send(request) }
        #expect(error?.code == .timeout)
        #expect(error?.message.contains("idle") == true)
        #expect(clock.now - start < .seconds(5))
    }

    @Test("the total limit ends a response that trickles forever")
    func totalTimeout() async throws {
        let server = try LoopbackHTTPServer { _ in
            .stream(Array(repeating: "x", count: 50), contentType: "text/plain", gap: .milliseconds(100))
        }
        defer { server.shutdown() }
        let request = HTTPRequest(
            url: server.baseURL, timeouts: HTTPTimeouts(idle: .seconds(1), total: .milliseconds(500)))
        let error = await #expect(throws: ProviderError.self) { try await transport.send(request) }
        #expect(error?.code == .timeout)
        #expect(error?.message.contains("total") == true)
    }

    @Test("a response larger than the limit is refused")
    func oversizedResponse() async throws {
        let server = try LoopbackHTTPServer { _ in .bytes(Data(count: 1 << 20), contentType: "application/octet-stream")
        }
        defer { server.shutdown() }
        let request = HTTPRequest(url: server.baseURL, maxResponseBytes: 64 << 10)
        let error = await #expect(throws: ProviderError.self) { try await transport.send(request) }
        #expect(error?.code == .responseTooLarge)
    }

    @Test("a body shorter than its Content-Length is a transport error")
    func truncatedBody() async throws {
        let server = try LoopbackHTTPServer { _ in
            LoopbackHTTPServer.Response(parts: [.data(Data("short".utf8))], framing: .contentLength(100))
        }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            try await transport.send(HTTPRequest(url: server.baseURL))
        }
        #expect(error?.code == .transport)
    }

    @Test("only http and https URLs are fetched", arguments: ["file:///etc/passwd", "ftp://127.0.0.1/x"])
    func otherSchemesRefused(url: String) async throws {
        let request = ProviderKit.HTTPRequest(url: try #require(URL(string: url)))
        let error2 = await #expect(throws: ProviderError.self) { try await transport.send(request) }
        #expect(error2?.code == .badRequest)
        let error3 = await #expect(throws: ProviderError.self) { try await transport.stream(request) }
        #expect(error3?.code == .badRequest)
    }

    @Test("a refused connection is a transport error")
    func connectionRefused() async throws {
        let server = try LoopbackHTTPServer { _ in .json("{}") }
        let url = server.baseURL
        server.shutdown()
        let error = await #expect(throws: ProviderError.self) { try await transport.send(HTTPRequest(url: url)) }
        #expect(error?.code == .transport)
    }

    @Test("cancelling the task stops a stalled transfer at once")
    func cancellation() async throws {
        let server = try LoopbackHTTPServer { _ in
            LoopbackHTTPServer.Response(parts: [.data(Data("a".utf8)), .pause(.seconds(10))], framing: .close)
        }
        defer { server.shutdown() }
        let clock = ContinuousClock()
        let task = Task { try await transport.send(HTTPRequest(url: server.baseURL)) }
        try await Task.sleep(for: .milliseconds(200))
        let start = clock.now
        task.cancel()
        let result = await task.result
        #expect(clock.now - start < .milliseconds(500))
        let error = #expect(throws: ProviderError.self) { try result.get() }
        #expect(error?.code == .cancelled)
    }

    @Test("many concurrent streams all progress at once")
    func concurrentStreams() async throws {
        let server = try LoopbackHTTPServer { _ in
            .stream(["a", "b", "c"], contentType: "text/plain", gap: .milliseconds(200))
        }
        defer { server.shutdown() }
        let clock = ContinuousClock()
        let start = clock.now
        let bodies = try await withThrowingTaskGroup(of: String.self) { group in
            for _ in 0..<24 {
                group.addTask {
                    let response = try await transport.stream(HTTPRequest(url: server.baseURL))
                    return String(decoding: try await response.collect(), as: UTF8.self)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(bodies == Array(repeating: "abc", count: 24))
        // Each stream takes 0.4 s; one at a time would take 9.6 s.
        #expect(clock.now - start < .seconds(6))
    }

    @Test("sequential requests reuse the connection")
    func connectionReuse() async throws {
        let server = try LoopbackHTTPServer { _ in .json("{}") }
        defer { server.shutdown() }
        for _ in 0..<5 {
            let response = try await transport.send(HTTPRequest(url: server.baseURL))
            #expect(response.status == 200)
        }
        #expect(server.requests.map(\.connection) == [0, 0, 0, 0, 0])
    }

    @Test("a status code outside 100…999 is a typed error, never a trap in HTTPResponse.Status")
    func statusOutOfRange() async throws {
        for code in [0, 42, 99, 1000, 99_999] {
            let server = try LoopbackHTTPServer { _ in .json("{}", status: code) }
            defer { server.shutdown() }
            await #expect(throws: ProviderError.self, "status \(code)") {
                try await transport.send(HTTPRequest(method: .get, url: server.baseURL.appending(path: "x")))
            }
        }
        #expect(throws: ProviderError.self) { try HTTPResponseHead(statusCode: 1000) }
        #expect(try HTTPResponseHead(statusCode: 429).status == .tooManyRequests)
    }
}
