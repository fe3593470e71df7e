import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MCP
import StoryServer
import Testing

@testable import StoryServerMCP

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Streamable HTTP at `/mcp` on a live Hummingbird server on loopback, driven by the MCP SDK's own HTTP client
/// transport (on Linux it reads JSON answers, which these routes give) and by raw requests for the session rules.
@Suite(.serialized) struct MCPHTTPTests {
    static let alice = "alice-token-0123456789"
    static let bob = "bob-token-9876543210"

    @Test(.timeLimit(.minutes(10))) func anAgentMakesAStoryOverHTTPAndAnotherTokenCannotSeeIt()
        async throws
    {
        try await MCPTestServer.withLiveServer { port, _ in
            let endpoint = try #require(URL(string: "http://127.0.0.1:\(port)/mcp"))
            let alice = Client(name: "alice", version: "1")
            try await alice.connect(transport: Self.transport(endpoint, token: Self.alice))
            let id = try await MCPScenario.run(alice, topic: "a night train through the mountains")

            // Bob's token finds nothing of Alice's: not the story, not its files, not in his lists.
            let bob = Client(name: "bob", version: "1")
            try await bob.connect(transport: Self.transport(endpoint, token: Self.bob))
            var message = try await MCPTest.toolError(bob, "get_story_status", ["id": .string(id)])
            #expect(message.hasPrefix("not_found:"), "\(message)")
            message = try await MCPTest.toolError(bob, "cancel_story", ["id": .string(id)])
            #expect(message.hasPrefix("not_found:"), "\(message)")
            await #expect(throws: MCPError.self) {
                _ = try await bob.readResource(uri: "storyforge://stories/\(id)/manifest.json")
            }
            #expect(try await bob.listResources().resources.isEmpty)
            let page = try MCPTest.object(
                try await bob.callTool(name: "list_stories", arguments: [:]).content)
            #expect((page["stories"] as? [Any])?.isEmpty == true, "\(page)")

            // Alice still sees it, and cancelling a finished story leaves it as it is.
            let cancelled = try MCPTest.object(
                try await alice.callTool(name: "cancel_story", arguments: ["id": .string(id)]).content)
            #expect(cancelled["status"] as? String == "succeeded", "\(cancelled)")
            await alice.disconnect()
            await bob.disconnect()
        }
    }

    @Test func sessionsAreBoundToTheTokenThatOpenedThem() async throws {
        try await MCPTestServer.withLiveServer { port, routes in
            let raw = RawMCP(port: port)
            // No token: 401 with a Bearer challenge, before anything else.
            var answer = try await raw.post(Self.initialize, token: nil)
            #expect(answer.status == 401 && answer.headers["www-authenticate"] == "Bearer", "\(answer)")

            answer = try await raw.post(Self.initialize, token: Self.alice)
            #expect(answer.status == 200, "\(answer)")
            #expect(answer.headers["content-type"]?.hasPrefix("application/json") == true)
            let session = try #require(answer.headers["mcp-session-id"], "\(answer)")
            #expect(session.count == 32 && session.allSatisfy(\.isHexDigit))
            #expect(answer.body.contains("\"serverInfo\""), "\(answer.body)")

            answer = try await raw.post(Self.listTools, token: Self.alice, session: session)
            #expect(answer.status == 200 && answer.body.contains("create_story_video"), "\(answer)")
            // Another token with Alice's session id: as unknown as a made-up one.
            answer = try await raw.post(Self.listTools, token: Self.bob, session: session)
            #expect(answer.status == 404, "\(answer)")
            answer = try await raw.post(
                Self.listTools, token: Self.alice, session: String(repeating: "0", count: 32))
            #expect(answer.status == 404, "\(answer)")
            // A request other than initialize needs a session.
            answer = try await raw.post(Self.listTools, token: Self.alice)
            #expect(answer.status == 400, "\(answer)")
            // A notification is accepted with 202 and no body.
            answer = try await raw.post(
                #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, token: Self.alice,
                session: session)
            #expect(answer.status == 202 && answer.body.isEmpty, "\(answer)")
            // No server-initiated stream: GET is 405 and says what is allowed.
            answer = try await raw.send(.get, body: nil, token: Self.alice, session: session)
            #expect(answer.status == 405 && answer.headers["allow"] == "POST, DELETE", "\(answer)")
            // A browser page on another origin is refused (DNS rebinding).
            answer = try await raw.post(
                Self.listTools, token: Self.alice, session: session, extra: [.origin: "http://evil.example"]
            )
            #expect(answer.status == 403, "\(answer)")
            // A body over the limit is refused before it is read whole.
            let big =
                #"{"jsonrpc":"2.0","id":9,"method":"tools/list","params":{"pad":""#
                + String(repeating: "x", count: 2 << 20) + #""}}"#
            answer = try await raw.post(big, token: Self.alice, session: session)
            #expect(answer.status == 413, "\(answer.status)")

            #expect(await routes.openSessions() == 1)
            answer = try await raw.send(.delete, body: nil, token: Self.bob, session: session)
            #expect(answer.status == 404, "Bob cannot end Alice's session: \(answer)")
            answer = try await raw.send(.delete, body: nil, token: Self.alice, session: session)
            #expect(answer.status == 200, "\(answer)")
            #expect(await routes.openSessions() == 0)
            answer = try await raw.post(Self.listTools, token: Self.alice, session: session)
            #expect(answer.status == 404, "an ended session is gone: \(answer)")
        }
    }

    @Test func anOwnerAtItsSessionLimitLosesItsLeastRecentlyUsedSession() async throws {
        let configuration = StoryMCPRoutes.Configuration(maxSessionsPerOwner: 2)
        try await MCPTestServer.withLiveServer(configuration) { port, routes in
            let raw = RawMCP(port: port)
            var sessions: [String] = []
            for _ in 0..<3 {
                let answer = try await raw.post(Self.initialize, token: Self.alice)
                sessions.append(try #require(answer.headers["mcp-session-id"], "\(answer)"))
            }
            #expect(await routes.openSessions() == 2)
            #expect(
                try await raw.post(Self.listTools, token: Self.alice, session: sessions[0]).status == 404)
            #expect(
                try await raw.post(Self.listTools, token: Self.alice, session: sessions[2]).status == 200)
            // Bob's own sessions do not count against Alice's.
            #expect(try await raw.post(Self.initialize, token: Self.bob).status == 200)
            #expect(await routes.openSessions() == 3)
        }
    }

    static let initialize = #"""
        {"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"raw","version":"1"}}}
        """#
    static let listTools = #"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#

    /// The SDK's HTTP client transport with a bearer token on every request.
    static func transport(_ endpoint: URL, token: String) -> HTTPClientTransport {
        HTTPClientTransport(
            endpoint: endpoint, streaming: false,
            requestModifier: { request in
                var request = request
                request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
                return request
            })
    }
}

/// Plain HTTP requests to `/mcp`, for what a client library hides (headers, status codes).
struct RawMCP {
    struct Answer: CustomStringConvertible {
        var status: Int
        var headers: [String: String]
        var body: String
        var description: String { "\(status) \(headers) \(body.prefix(300))" }
    }

    var port: Int

    func post(_ body: String, token: String?, session: String? = nil, extra: HTTPFields = [:])
        async throws -> Answer
    {
        try await send(.post, body: body, token: token, session: session, extra: extra)
    }

    func send(
        _ method: HTTPRequest.Method, body: String?, token: String?, session: String?,
        extra: HTTPFields = [:]
    ) async throws -> Answer {
        var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)/mcp")))
        request.httpMethod = method.rawValue
        request.setValue("application/json, text/event-stream", forHTTPHeaderField: "Accept")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let session { request.setValue(session, forHTTPHeaderField: "Mcp-Session-Id") }
        for field in extra { request.setValue(field.value, forHTTPHeaderField: field.name.rawName) }
        request.httpBody = body.map { Data($0.utf8) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = try #require(response as? HTTPURLResponse)
        var headers: [String: String] = [:]
        for (name, value) in http.allHeaderFields {
            if let name = name as? String, let value = value as? String {
                headers[name.lowercased()] = value
            }
        }
        return Answer(
            status: http.statusCode, headers: headers, body: String(decoding: data, as: UTF8.self))
    }
}
