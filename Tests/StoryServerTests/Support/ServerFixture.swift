import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import QueueKit
import ServiceLifecycle
import StoryForgeCore
import StoryQueue
import Testing

@testable import StoryServer

/// A real server for a test: a SQLite queue and a store in a temporary directory, `QueueStoryService` over them,
/// the story routes on a Hummingbird application listening on a loopback port, and clients over real HTTP.
struct ServerFixture {
    /// Alice's and Bob's tokens, and the tokens file that holds their hashes.
    static let aliceToken = "alice-token-0123456789abcdef"
    static let bobToken = "bob-token-0123456789abcdef00"
    static var tokens: BearerTokens {
        get throws {
            try BearerTokens(
                parsing: BearerTokens.line(name: "alice", token: aliceToken) + "\n# a comment\n\n"
                    + BearerTokens.line(name: "bob", token: bobToken) + "\n")
        }
    }

    let root: URL
    let store: URL
    let queue: SQLiteJobQueue
    let service: QueueStoryService

    init(baseConfiguration: [String: JSONValue] = [:]) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("storyserver-\(UUID().uuidString)")
        store = root.appendingPathComponent("store", isDirectory: true)
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        // A short backoff, so that a test's second attempt is due at once.
        queue = try SQLiteJobQueue(
            path: root.appendingPathComponent("queue.sqlite").path,
            configuration: .init(backoff: RetryBackoff(base: .milliseconds(10), maximum: .milliseconds(50))))
        service = QueueStoryService(
            queue: queue, store: store,
            configuration: .init(baseConfiguration: baseConfiguration, eventPollInterval: .milliseconds(20)))
    }

    func remove() { try? FileManager.default.removeItem(at: root) }

    /// Runs `body` against a live server with these routes.
    func withServer(
        tokens: BearerTokens? = nil, configuration: StoryServerRoutes<StoryRequestContext>.Configuration = .init(),
        _ body: @Sendable (ServerClient) async throws -> Void
    ) async throws {
        try await withRoutes(tokens: tokens, configuration: configuration) { client, _ in try await body(client) }
    }

    /// Runs `body` against a live server with these routes, and the routes themselves.
    func withRoutes(
        tokens: BearerTokens? = nil, configuration: StoryServerRoutes<StoryRequestContext>.Configuration = .init(),
        _ body: @Sendable (ServerClient, StoryServerRoutes<StoryRequestContext>) async throws -> Void
    ) async throws {
        let router = Router(context: StoryRequestContext.self)
        let service = self.service
        let routes = StoryServerRoutes<StoryRequestContext>(
            service: service, tokens: tokens, configuration: configuration,
            healthCheck: { try await service.checkHealth() })
        routes.add(to: router)
        let (ports, announce) = AsyncStream<Int>.makeStream()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                announce.yield(channel.localAddress?.port ?? 0)
                announce.finish()
            }, logger: Logger(label: "test"))
        let services = ServiceGroup(
            configuration: .init(services: [.init(service: app)], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var waiting = ports.makeAsyncIterator()
            let port = try #require(await waiting.next())
            let client = ServerClient(port: port)
            do {
                try await body(client, routes)
            } catch {
                await client.close()
                await services.triggerGracefulShutdown()
                throw error
            }
            await client.close()
            await services.triggerGracefulShutdown()
            try await group.waitForAll()
        }
    }

    /// Makes a story succeed without running the pipeline: claims its job, writes an export with a manifest
    /// (files of known bytes) where the runner would, and completes the job with the runner's result.
    func finish(_ id: String, files: [String: Data], claim existing: JobClaim? = nil) async throws {
        var found = existing
        if found == nil { found = try await queue.claim(kinds: [StoryJob.kind], worker: "test", lease: .seconds(60)) }
        let claim = try #require(found)
        #expect(claim.job.id.description == id)
        let directory = StoryJobRunner.exportDirectory(store: store, job: claim.job.id)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var entries: [String] = []
        for (name, data) in files.sorted(by: { $0.key < $1.key }) {
            let url = directory.appendingPathComponent(name)
            try FileManager.default.createDirectory(
                at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url)
            entries.append(#"{"path": "\#(name)", "bytes": \#(data.count), "sha256": "\#(HexDigest.sha256(data))"}"#)
        }
        let manifest = #"""
            {"schema_version": 1, "title": "The Keeper", "files": [\#(entries.joined(separator: ", "))],
             "stages": [{"stage": "script", "provider": "p", "model": "m", "duration": 1, "cost_usd": 0.25}]}
            """#
        try Data(manifest.utf8).write(to: directory.appendingPathComponent("manifest.json"))
        let result = #"""
            {"run_id": "job-\#(id)", "output_directory": "/elsewhere/exports/job-\#(id)", "title": "The Keeper",
             "files": [\#((files.keys.sorted() + ["manifest.json"]).map { "\"\($0)\"" }.joined(separator: ", "))]}
            """#
        try await queue.complete(claim.token, result: Data(result.utf8))
    }
}

/// A client of the fixture's server over one keep-alive connection: HummingbirdTesting's client, with a time limit
/// for a whole answer (5 minutes) that a starved CI machine does not reach, unlike its live test framework's 20 s.
struct ServerClient: Sendable {
    let client: TestClient
    let port: Int?

    init(port: Int) {
        self.port = port
        client = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(300)))
        client.connect()
    }

    func close() async { try? await client.shutdown() }

    /// Sends a request with Alice's token (or `token`), optionally with a JSON body.
    func call(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = ServerFixture.aliceToken, json: String? = nil,
        headers: HTTPFields = [:]
    ) async throws -> Answer {
        var fields = headers
        if let token { fields[.authorization] = "Bearer \(token)" }
        if json != nil { fields[.contentType] = "application/json" }
        fields[.connection] = "keep-alive"
        let response = try await client.execute(
            .init(
                uri, method: method, authority: "localhost", headers: fields, body: json.map { ByteBuffer(string: $0) })
        )
        return Answer(head: response.head, body: response.body ?? ByteBuffer())
    }
}

/// An answer of the server.
struct Answer: Sendable {
    let head: HTTPResponse
    let body: ByteBuffer

    var status: HTTPResponse.Status { head.status }
    var headers: HTTPFields { head.headerFields }
}

extension Answer {
    /// The body as text.
    var text: String { String(decoding: body.readableBytesView, as: UTF8.self) }

    /// The body decoded as the API's JSON.
    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return try decoder.decode(type, from: Data(body.readableBytesView))
    }

    /// The error body's code and message.
    var apiError: APIErrorBody.Detail? { try? decode(APIErrorBody.self).error }
}
