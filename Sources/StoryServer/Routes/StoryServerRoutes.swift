import Foundation
import HTTPTypes
public import Hummingbird

/// The REST API of version 1, as routes a host mounts on its own Hummingbird `Router`:
///
/// | route | answer |
/// |---|---|
/// | `POST /v1/stories` | 202 ``StoryCreated`` (`Idempotency-Key`: the same key from the same owner, the same story) |
/// | `GET /v1/stories?status=&cursor=&limit=` | ``StoryPage``, newest first |
/// | `GET /v1/stories/{id}` | ``StoryStatus`` |
/// | `DELETE /v1/stories/{id}` | ``StoryStatus`` after the cancel |
/// | `POST /v1/stories/{id}/retry` | 202 ``StoryStatus`` |
/// | `GET /v1/stories/{id}/events` | Server-Sent Events (``StoryEvent``), resumable with `Last-Event-ID` |
/// | `GET /v1/stories/{id}/files/{name}` | a file of the story's manifest, with `Range` and `ETag` |
/// | `GET /healthz` | `{"status": "ok"}` (no token needed) |
///
/// Every error is an ``APIErrorBody`` with its status. The routes under `/v1` need a bearer token when the server
/// has ``BearerTokens``; each token sees only its own stories (another's are 404, as if they did not exist).
///
/// ```swift
/// let router = Router(context: StoryRequestContext.self)
/// StoryServerRoutes<StoryRequestContext>(service: service, tokens: tokens).add(to: router)
/// let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 8080)))
/// try await app.runService()
/// ```
public struct StoryServerRoutes<Context: StoryRequestContextProtocol>: Sendable {
    /// Limits and timings of the routes; every field has a default.
    public struct Configuration: Sendable {
        /// The largest request body the story routes accept: 64 KiB (a story request is a few hundred bytes).
        public static var defaultMaximumBodyBytes: Int { 64 * 1024 }

        /// The largest request body; a larger one is a 413.
        public var maximumBodyBytes: Int
        /// Each owner's request rate; `nil` for none.
        public var rate: TokenBucketLimiter.Rate?
        /// How often an idle event stream sends a comment, so that proxies and clients keep the connection.
        public var heartbeatInterval: Duration
        /// What the client waits before reconnecting an event stream (the `retry:` field), in milliseconds.
        public var reconnectMilliseconds: Int

        /// Creates a configuration.
        public init(
            maximumBodyBytes: Int = Self.defaultMaximumBodyBytes, rate: TokenBucketLimiter.Rate? = .default,
            heartbeatInterval: Duration = .seconds(15), reconnectMilliseconds: Int = 2_000
        ) {
            self.maximumBodyBytes = min(max(maximumBodyBytes, 1024), 16 << 20)
            self.rate = rate
            self.heartbeatInterval = heartbeatInterval
            self.reconnectMilliseconds = min(max(reconnectMilliseconds, 100), 60_000)
        }
    }

    /// What the routes call.
    public let service: any StoryService
    /// The accepted tokens; `nil` for a loopback server whose callers are all ``StoryOwner/local``.
    public let tokens: BearerTokens?
    /// The configuration.
    public let configuration: Configuration
    /// Checked by `GET /healthz`: throws when the server cannot serve (the queue unreachable).
    public let healthCheck: @Sendable () async throws -> Void
    let limiter: TokenBucketLimiter?
    let streams = StreamCounter()

    /// The event streams open now (a client that goes away closes its stream at the next heartbeat at the latest).
    public var openEventStreams: Int { streams.value }

    /// Creates the routes.
    public init(
        service: any StoryService, tokens: BearerTokens?, configuration: Configuration = .init(),
        healthCheck: @escaping @Sendable () async throws -> Void = {}
    ) {
        self.service = service
        self.tokens = tokens
        self.configuration = configuration
        self.healthCheck = healthCheck
        self.limiter = configuration.rate.map(TokenBucketLimiter.init(rate:))
    }

    /// The middleware that authenticates and rate-limits, for a host that mounts more routes (the web page's API
    /// calls, MCP) behind the same tokens.
    public var authMiddleware: StoryAuthMiddleware<Context> { StoryAuthMiddleware(tokens: tokens, limiter: limiter) }

    /// Adds the routes to `router`, with ``APIErrorMiddleware`` on the router (so that its own 404s are JSON too).
    ///
    /// Call it before adding a host's own routes: Hummingbird applies a router's middleware only to the routes added
    /// after it, so routes added earlier answer their errors in Hummingbird's own format.
    public func add(to router: Router<Context>) {
        router.add(middleware: APIErrorMiddleware<Context>())
        router.get("healthz") { _, _ -> Response in
            do {
                try await healthCheck()
            } catch {
                throw StoryServerError.unavailable("the queue cannot be reached", underlying: error)
            }
            return try APIResponse.json(["status": "ok"])
        }
        let api = router.group("v1").add(middleware: authMiddleware)
        api.post("stories") { request, context in try await create(request, context: context) }
        api.get("stories") { request, context in try await list(request, context: context) }
        api.get("stories/:id") { _, context in
            let (id, owner) = try Self.story(context)
            guard let status = try await service.story(id, owner: owner) else { throw Self.notFound(id) }
            return try APIResponse.json(status)
        }
        api.delete("stories/:id") { _, context in
            let (id, owner) = try Self.story(context)
            guard let status = try await service.cancel(id, owner: owner) else { throw Self.notFound(id) }
            return try APIResponse.json(status)
        }
        api.post("stories/:id/retry") { request, context in
            let (id, owner) = try Self.story(context)
            _ = try await Self.body(request, limit: configuration.maximumBodyBytes)
            guard let status = try await service.retry(id, owner: owner) else { throw Self.notFound(id) }
            return try APIResponse.json(status, status: .accepted)
        }
        api.get("stories/:id/events") { request, context in
            let (id, owner) = try Self.story(context)
            let after = try Self.lastEventID(request)
            guard let events = try await service.events(id, owner: owner, after: after) else {
                throw Self.notFound(id)
            }
            return EventStreamResponse.response(
                events, heartbeat: configuration.heartbeatInterval, reconnect: configuration.reconnectMilliseconds,
                counter: streams)
        }
        api.get("stories/:id/files/**") { request, context in
            let (id, owner) = try Self.story(context)
            let name = try Self.fileName(context)
            guard let name, let location = try await service.file(id, name: name, owner: owner) else {
                throw StoryServerError.notFound("story \(id) has no such file")
            }
            return try await FileResponse.response(location, request: request, context: context)
        }
    }

    private func create(_ request: Request, context: Context) async throws -> Response {
        let owner = try Self.owner(context)
        let body = try await Self.body(request, limit: configuration.maximumBodyBytes)
        let story = try StoryRequestCheck.decode(body)
        let key = request.headers[HTTPField.Name("Idempotency-Key")!]
        let status = try await service.create(story, owner: owner, idempotencyKey: key)
        let created = StoryCreated(
            id: status.id, statusURL: "/v1/stories/\(status.id)", eventsURL: "/v1/stories/\(status.id)/events")
        return try APIResponse.json(created, status: .accepted, headers: [.location: created.statusURL])
    }

    private func list(_ request: Request, context: Context) async throws -> Response {
        let owner = try Self.owner(context)
        let query = request.uri.queryParameters
        var state: StoryStatus.State?
        if let text = query["status"] {
            guard let parsed = StoryStatus.State(rawValue: String(text)) else {
                throw StoryServerError.invalidRequest(
                    "status: expected one of \(StoryStatus.State.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            state = parsed
        }
        var limit = 20
        if let text = query["limit"] {
            guard text.utf8.count <= 9, let value = Int(text), value >= 1 else {
                throw StoryServerError.invalidRequest("limit: expected a whole number from 1 (at most 100 are sent)")
            }
            limit = value
        }
        let cursor = query["cursor"].map(String.init)
        let page = try await service.stories(owner: owner, status: state, cursor: cursor, limit: limit)
        return try APIResponse.json(page)
    }

    // MARK: Request parts

    static func owner(_ context: Context) throws -> StoryOwner {
        guard let owner = context.owner else {
            // The auth middleware sets it on every /v1 route; a host that mounted a route without it gets a 401.
            throw StoryServerError.unauthorized("the request was not authenticated")
        }
        return owner
    }

    static func story(_ context: Context) throws -> (String, StoryOwner) {
        let owner = try owner(context)
        guard let id = context.parameters.get("id") else { throw StoryServerError.notFound("no story id") }
        return (id, owner)
    }

    static func notFound(_ id: String) -> StoryServerError {
        StoryServerError.notFound("no story \(id.prefix(40)) for this token")
    }

    /// The file name of the catch-all: its segments percent-decoded and joined with `/`; `nil` for one that could
    /// not name a manifest file (`..`, `.`, an empty segment, NUL, a backslash, bad percent-encoding), which is a 404
    /// like any name not in the manifest.
    static func fileName(_ context: Context) throws -> String? {
        let segments = context.parameters.getCatchAll()
        guard !segments.isEmpty, segments.count <= 8 else { return nil }
        var parts: [String] = []
        for segment in segments {
            guard let decoded = String(segment).removingPercentEncoding else { return nil }
            guard !decoded.isEmpty, decoded != ".", decoded != "..", !decoded.contains("/"), !decoded.contains("\\"),
                !decoded.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7f })
            else { return nil }
            parts.append(decoded)
        }
        return parts.joined(separator: "/")
    }

    /// `Last-Event-ID`: the id of the last event the client has (decimal, at most 18 digits).
    static func lastEventID(_ request: Request) throws -> Int? {
        guard let text = request.headers[HTTPField.Name("Last-Event-ID")!] else { return nil }
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { return nil }
        guard trimmed.utf8.count <= 18, trimmed.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let value = Int(trimmed)
        else {
            throw StoryServerError.invalidRequest("Last-Event-ID: expected the id of an event this server sent")
        }
        return value
    }

    /// The body, at most `limit` bytes: a declared `Content-Length` over it is refused before reading.
    static func body(_ request: Request, limit: Int) async throws -> Data {
        let tooLarge = StoryServerError.payloadTooLarge("the body is larger than \(limit) bytes")
        if let declared = request.headers[.contentLength] {
            guard declared.utf8.count <= 18, let length = Int(declared) else {
                throw StoryServerError.invalidRequest("Content-Length: not a number")
            }
            guard length <= limit else { throw tooLarge }
        }
        do {
            let buffer = try await request.body.collect(upTo: limit)
            return Data(buffer.readableBytesView)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw tooLarge
        }
    }
}
