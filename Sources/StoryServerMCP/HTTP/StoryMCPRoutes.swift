import Foundation
import HTTPTypes
public import Hummingbird
import Logging
import MCP
public import StoryServer

/// MCP's Streamable HTTP transport at `/mcp` on a Hummingbird router, behind the host's own authentication.
///
/// The MCP SDK's server transports are framework-agnostic (they take and give its own `HTTPRequest` and
/// `HTTPResponse`); these routes convert Hummingbird's, keep the sessions and bind each to the owner that opened it:
///
/// - `POST /mcp` with an `initialize` request and no `Mcp-Session-Id` opens a session: a new MCP `Server` for the
///   caller's ``StoryOwner`` on the SDK's `StatelessHTTPServerTransport`, and the answer carries the session's id
///   in `Mcp-Session-Id`. Every later `POST` names it; requests answer with one JSON message
///   (`application/json`, which the specification allows instead of an SSE stream, and which the SDK's own client
///   reads on Linux, where it cannot read SSE), notifications with `202`.
/// - `GET /mcp` answers `405`: the server sends nothing unprompted (no list changes, no sampling), so it offers no
///   standalone SSE stream, as the specification allows.
/// - `DELETE /mcp` ends the session.
///
/// A session id from another owner is answered exactly as an unknown one (`404`), so ids cannot be probed.
/// Sessions idle for ``Configuration/sessionIdleTimeout`` are closed when the next one opens; an owner at
/// ``Configuration/maxSessionsPerOwner`` loses its least recently used session to a new one.
///
/// ```swift
/// let mcp = StoryMCPRoutes(server: StoryMCPServer(service: service))
/// mcp.add(to: router) { request, context in try tokens.owner(of: request) }
/// ```
public struct StoryMCPRoutes: Sendable {
    /// Limits and the DNS-rebinding check.
    public struct Configuration: Sendable {
        /// Which `Host` and `Origin` headers the routes accept (MCP asks servers to check `Origin`, against DNS
        /// rebinding of a server on loopback).
        public struct OriginCheck: Sendable, Hashable {
            fileprivate var hosts: [String]?
            fileprivate var origins: [String]

            /// `localhost`, `127.0.0.1` and `[::1]` on any port: for a server bound to loopback.
            public static let localhost = OriginCheck(hosts: nil, origins: [])
            /// No check: for a server on a public address, where every request needs a bearer token anyway.
            public static let off = OriginCheck(hosts: [], origins: [])

            /// These `Host` values (`stories.example:443`; a `:*` suffix for any port) and `Origin` values
            /// (`https://stories.example`); a request without `Origin` (not from a browser) passes that part.
            public static func allowing(hosts: [String], origins: [String]) -> OriginCheck {
                OriginCheck(hosts: hosts, origins: origins)
            }

            var validator: OriginValidator? {
                guard let hosts else { return .localhost() }
                if hosts.isEmpty && origins.isEmpty { return nil }
                return OriginValidator(allowedHosts: hosts, allowedOrigins: origins)
            }
        }

        /// The path the routes answer, below the router or group they are added to.
        public var path: String
        /// The largest request body (1 MiB by default: a tool call is a few hundred bytes, a configuration override
        /// a few kilobytes).
        public var maxRequestBytes: Int
        /// Open sessions across all owners; a new one beyond it is refused with `503`.
        public var maxSessions: Int
        /// Open sessions of one owner; a new one beyond it closes that owner's least recently used.
        public var maxSessionsPerOwner: Int
        /// How long a session may go unused before it is closed.
        public var sessionIdleTimeout: Duration
        /// Which `Host` and `Origin` headers are accepted.
        public var originCheck: OriginCheck

        /// Creates a configuration.
        public init(
            path: String = "mcp", maxRequestBytes: Int = 1 << 20, maxSessions: Int = 1024,
            maxSessionsPerOwner: Int = 16,
            sessionIdleTimeout: Duration = .seconds(30 * 60), originCheck: OriginCheck = .localhost
        ) {
            self.path = path
            self.maxRequestBytes = max(maxRequestBytes, 1024)
            self.maxSessions = max(maxSessions, 1)
            self.maxSessionsPerOwner = max(maxSessionsPerOwner, 1)
            self.sessionIdleTimeout = sessionIdleTimeout
            self.originCheck = originCheck
        }
    }

    /// The server every session is made from.
    public let server: StoryMCPServer
    /// Limits.
    public let configuration: Configuration
    private let sessions: MCPSessions

    /// Creates the routes; ``add(to:owner:)`` puts them on a router.
    public init(server: StoryMCPServer, configuration: Configuration = .init()) {
        self.server = server
        self.configuration = configuration
        self.sessions = MCPSessions(server: server, configuration: configuration)
    }

    /// Adds `POST`, `GET` and `DELETE` at ``Configuration/path``.
    ///
    /// - Parameter owner: Who is asking: the host's bearer-token check (throw ``StoryServerError/unauthorized(_:)``
    ///   to refuse; it becomes a `401` with `WWW-Authenticate: Bearer`).
    public func add<Context: Hummingbird.RequestContext>(
        to router: some RouterMethods<Context>,
        owner: @escaping @Sendable (Hummingbird.Request, Context) async throws -> StoryOwner
    ) {
        let path = RouterPath(configuration.path)
        let handler: @Sendable (Hummingbird.Request, Context) async throws -> Hummingbird.Response = {
            [sessions, configuration] request, context in
            let caller: StoryOwner
            do {
                caller = try await owner(request, context)
            } catch let error as StoryServerError {
                return Self.errorResponse(error)
            }
            var request = request
            let body: ByteBuffer
            do {
                body = try await request.collectBody(upTo: configuration.maxRequestBytes)
            } catch {
                return Self.errorResponse(
                    .payloadTooLarge("an MCP message is at most \(configuration.maxRequestBytes) bytes"))
            }
            let answer = await sessions.handle(Self.mcpRequest(request, body: body), owner: caller)
            return Self.response(answer)
        }
        router.post(path, use: handler)
        router.get(path, use: handler)
        router.delete(path, use: handler)
    }

    /// Closes every session (their servers stop); for a host's graceful shutdown.
    public func closeAll() async { await sessions.closeAll() }

    /// How many sessions are open.
    public func openSessions() async -> Int { await sessions.count }

    // MARK: Hummingbird ⇄ MCP

    static func mcpRequest(_ request: Hummingbird.Request, body: ByteBuffer) -> MCP.HTTPRequest {
        var headers: [String: String] = [:]
        for field in request.headers {
            // RFC 9110 §5.3: repeated fields combine with commas.
            let name = field.name.canonicalName
            headers[name] = headers[name].map { $0 + ", " + field.value } ?? field.value
        }
        if let authority = request.head.authority, headers["host"] == nil { headers["host"] = authority }
        return MCP.HTTPRequest(
            method: request.method.rawValue, headers: headers,
            body: body.readableBytes == 0 ? nil : Data(buffer: body), path: request.uri.path)
    }

    static func response(_ answer: MCP.HTTPResponse) -> Hummingbird.Response {
        var fields = HTTPFields()
        for (name, value) in answer.headers {
            if let field = HTTPField.Name(name) { fields[field] = value }
        }
        let status = HTTPResponse.Status(code: answer.statusCode)
        switch answer {
        case .stream(let stream, _):
            let buffers = stream.map { ByteBuffer(data: $0) }
            return Hummingbird.Response(status: status, headers: fields, body: ResponseBody(asyncSequence: buffers))
        default:
            guard let data = answer.bodyData else { return Hummingbird.Response(status: status, headers: fields) }
            return Hummingbird.Response(
                status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(data: data)))
        }
    }

    /// A refused request, in the REST API's error shape.
    static func errorResponse(_ error: StoryServerError) -> Hummingbird.Response {
        let status: HTTPResponse.Status =
            switch error.code {
            case .unauthorized: .unauthorized
            case .payloadTooLarge: .contentTooLarge
            case .rateLimited: .tooManyRequests
            case .unavailable: .serviceUnavailable
            case .invalidRequest: .badRequest
            default: .internalServerError
            }
        var fields: HTTPFields = [.contentType: "application/json"]
        if error.code == .unauthorized { fields[.wwwAuthenticate] = "Bearer" }
        let body = APIErrorBody(code: StoryMCPServer.wireCode(error.code), message: error.message)
        let data = (try? StoryMCPServer.encoder.encode(body)) ?? Data()
        return Hummingbird.Response(
            status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(data: data)))
    }
}

/// The open sessions: each an MCP `Server` on its own stateless transport, bound to one owner.
actor MCPSessions {
    private struct Session {
        var owner: StoryOwner
        var server: MCP.Server
        var transport: StatelessHTTPServerTransport
        var lastUsed: ContinuousClock.Instant
    }

    private let server: StoryMCPServer
    private let configuration: StoryMCPRoutes.Configuration
    private let validation: StandardValidationPipeline
    private var sessions: [String: Session] = [:]

    init(server: StoryMCPServer, configuration: StoryMCPRoutes.Configuration) {
        self.server = server
        self.configuration = configuration
        // The SDK's own checks of a JSON-answering transport, with the origin check the host chose.
        var validators: [any HTTPRequestValidator] = []
        if let origin = configuration.originCheck.validator { validators.append(origin) }
        validators += [AcceptHeaderValidator(mode: .jsonOnly), ContentTypeValidator(), ProtocolVersionValidator()]
        self.validation = StandardValidationPipeline(validators: validators)
    }

    var count: Int { sessions.count }

    func handle(_ request: MCP.HTTPRequest, owner: StoryOwner) async -> MCP.HTTPResponse {
        let method = request.method.uppercased()
        guard let id = request.header(HTTPHeaderName.sessionID) else {
            switch method {
            case "POST":
                guard let body = request.body, Self.isInitialize(body) else {
                    return .error(
                        statusCode: 400,
                        .invalidRequest("Bad Request: no \(HTTPHeaderName.sessionID) header; send initialize first"))
                }
                return await open(request, owner: owner)
            case "GET": return Self.noStream
            default:
                return .error(statusCode: 400, .invalidRequest("Bad Request: no \(HTTPHeaderName.sessionID) header"))
            }
        }
        guard var session = sessions[id], session.owner == owner,
            ContinuousClock.now - session.lastUsed < configuration.sessionIdleTimeout
        else {
            if let stale = sessions[id], stale.owner == owner { await close(id) }
            return .error(statusCode: 404, .invalidRequest("Not Found: no such MCP session; initialize a new one"))
        }
        switch method {
        case "DELETE":
            await close(id)
            return .ok()
        case "GET":
            return Self.noStream
        default:
            session.lastUsed = .now
            sessions[id] = session
            return await session.transport.handleRequest(request)
        }
    }

    func closeAll() async {
        for id in Array(sessions.keys) { await close(id) }
    }

    private func open(_ request: MCP.HTTPRequest, owner: StoryOwner) async -> MCP.HTTPResponse {
        let now = ContinuousClock.now
        for (id, session) in sessions where now - session.lastUsed >= configuration.sessionIdleTimeout {
            await close(id)
        }
        let own = sessions.filter { $0.value.owner == owner }
        if own.count >= configuration.maxSessionsPerOwner,
            let oldest = own.min(by: { $0.value.lastUsed < $1.value.lastUsed })
        {
            await close(oldest.key)
        }
        guard sessions.count < configuration.maxSessions else {
            return .error(
                statusCode: 503, .internalError("Service Unavailable: too many MCP sessions; try again later"))
        }
        let transport = StatelessHTTPServerTransport(validationPipeline: validation, logger: server.logger)
        let mcp = await server.makeServer(owner: owner)
        do {
            try await mcp.start(transport: transport)
        } catch {
            return .error(statusCode: 500, .internalError("Internal Server Error: cannot start an MCP session"))
        }
        let id = Self.newSessionID()
        // Stored before the answer exists: the client learns the id from it and may use it at once.
        sessions[id] = Session(owner: owner, server: mcp, transport: transport, lastUsed: now)
        let answer = await transport.handleRequest(request)
        guard case .data(let data, var headers) = answer else {
            await close(id)
            return answer
        }
        headers[HTTPHeaderName.sessionID] = id
        return .data(data, headers: headers)
    }

    private func close(_ id: String) async {
        guard let session = sessions.removeValue(forKey: id) else { return }
        await session.server.stop()
    }

    /// 128 random bits as hex: visible ASCII, as MCP asks of a session id, and not guessable.
    private static func newSessionID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }

    private static func isInitialize(_ body: Data) -> Bool {
        guard let object = try? JSONSerialization.jsonObject(with: body) as? [String: Any] else { return false }
        return object["method"] as? String == "initialize" && object["id"] != nil
    }

    private static let noStream = MCP.HTTPResponse.error(
        statusCode: 405, .invalidRequest("Method Not Allowed: this server sends no server-initiated messages"),
        extraHeaders: [HTTPHeaderName.allow: "POST, DELETE"])
}
