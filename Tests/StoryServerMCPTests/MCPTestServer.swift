import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import QueueKit
import ServiceLifecycle
import StoryQueue
import StoryServer
import StoryServerMCP
import Testing

/// A real server for the HTTP tests: a SQLite queue and a store in a temporary directory, `QueueStoryService` over
/// them, an in-process worker running stories with `StoryJobRunner`, the REST and MCP routes behind Alice's and
/// Bob's bearer tokens, on a Hummingbird application listening on a loopback port.
enum MCPTestServer {
    static var tokens: BearerTokens {
        get throws {
            try BearerTokens(
                parsing: BearerTokens.line(name: "alice", token: MCPHTTPTests.alice) + "\n"
                    + BearerTokens.line(name: "bob", token: MCPHTTPTests.bob) + "\n")
        }
    }

    /// Runs `body` with the server's port and its MCP routes, then stops the worker and removes the directory.
    static func withLiveServer(
        _ configuration: StoryMCPRoutes.Configuration = .init(),
        _ body: @escaping @Sendable (Int, StoryMCPRoutes) async throws -> Void
    ) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent(
            "mcp-http-\(UUID().uuidString)")
        let store = root.appendingPathComponent("store", isDirectory: true)
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let queue = try SQLiteJobQueue(path: root.appendingPathComponent("queue.sqlite").path)
        let service = QueueStoryService(queue: queue, store: store)
        let tokens = try tokens
        let logger = Logger(label: "mcp-http-tests")

        let router = Router(context: StoryRequestContext.self)
        let routes = StoryServerRoutes<StoryRequestContext>(service: service, tokens: tokens)
        routes.add(to: router)
        let mcp = StoryMCPRoutes(server: StoryMCPServer(service: service, logger: logger), configuration: configuration)
        mcp.add(to: router, auth: routes.authMiddleware)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))

        let runner = StoryJobRunner(store: store, logger: logger)
        let worker = JobWorker(
            queue: queue,
            configuration: .init(
                kinds: [StoryJob.kind], concurrency: 1, lease: .seconds(60),
                pollInterval: .milliseconds(200)),
            logger: logger
        ) { context in try await runner.run(context) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await worker.run() }
            defer { group.cancelAll() }
            try await app.test(.live) { client in
                let port = try #require(client.port)
                try await body(port, mcp)
            }
            await mcp.closeAll()
        }
    }
}
