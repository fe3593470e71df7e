import ArgumentParser
import Foundation
import Hummingbird
import Logging
import QueueKit
import QueueKitPostgres
import ServiceLifecycle
import StoryForgeCore
import StoryPipeline
import StoryQueue
import StoryServer
import StoryServerMCP

extension StoryServerCommand {
    /// `story-server mcp`: the MCP server over standard input and output, for an agent that starts it as a child
    /// process (Claude Desktop's `command`), with in-process workers as the HTTP server has.
    struct MCPCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mcp",
            abstract: "Serve the MCP tools and resources over standard input and output (an agent starts this).",
            discussion: """
                Standard output carries the protocol alone; logs go to standard error. The command ends when the \
                agent closes standard input (or on SIGTERM): running stories finish for --shutdown-seconds or are \
                released, and the next start carries them on. Stories belong to the owner `local`, as on a loopback \
                server without tokens.
                """)

        @Option(help: "The store directory: artifacts, exports and (alone) the queue; shared with the workers.")
        var store: String = "./story-store"

        @Option(help: "The queue URL: sqlite:///path (default <store>/queue.sqlite) or postgres://user@host:port/db.")
        var queue: String?

        @Option(help: "In-process workers (default 1 with a SQLite queue, 0 with PostgreSQL).")
        var workers: Int?

        @Option(help: "A configuration file (JSON or YAML) every story starts from, under the request's settings.")
        var config: String?

        @Option(help: "Seconds running stories may finish after the agent leaves before they are released.")
        var shutdownSeconds: Int = 30

        @Option(help: "The largest binary resource (video, audio, image) sent whole, in bytes.")
        var maxBlobBytes: Int = StoryMCPServer.Configuration().maxBlobResourceBytes

        func validate() throws {
            // 64 at once: far more than one machine renders; a typo such as 1000 fails here, not in ffmpeg.
            if let workers, !(0...64).contains(workers) { throw ValidationError("--workers must be 0...64") }
            guard (0...3_600).contains(shutdownSeconds) else { throw ValidationError("--shutdown-seconds: 0...3600") }
            guard (0...StoryMCPServer.Configuration.maxResourceBytes).contains(maxBlobBytes) else {
                throw ValidationError("--max-blob-bytes must be 0...\(StoryMCPServer.Configuration.maxResourceBytes)")
            }
        }

        func run() async throws {
            // Standard output is the protocol's: every log line goes to standard error.
            LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
            var logger = Logger(label: "story-server.mcp")
            logger.logLevel = .info
            // The server's own options, so that the store, queue and configuration mean what they mean there.
            let options = try ServerOptions.parse(
                ["--store", store] + (queue.map { ["--queue", $0] } ?? []) + (config.map { ["--config", $0] } ?? []))
            let base = try options.baseConfiguration()
            let storeURL = options.storeURL
            do {
                _ = try SharedStore.check(storeURL)
            } catch let error as JobQueueError {
                throw ValidationError(error.message)
            }
            let workerCount = workers ?? (options.isPostgres ? 0 : 1)
            do {
                try await QueueURL.withQueue(options.queueText, logger: logger) { queue in
                    let service = QueueStoryService(
                        queue: queue, store: storeURL, configuration: .init(baseConfiguration: base))
                    let mcp = StoryMCPServer(
                        service: service, configuration: .init(maxBlobResourceBytes: maxBlobBytes), logger: logger)
                    var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
                        // The agent closing standard input ends the command: the group shuts down the workers.
                        .init(service: StdioService(server: mcp), successTerminationBehavior: .gracefullyShutdownGroup)
                    ]
                    if workerCount > 0 {
                        let runner = StoryJobRunner(store: storeURL, logger: logger)
                        let worker = JobWorker(
                            queue: queue,
                            configuration: .init(
                                kinds: [StoryJob.kind], concurrency: workerCount, lease: .seconds(60),
                                pollInterval: .seconds(1), shutdownDeadline: .seconds(shutdownSeconds)),
                            logger: logger
                        ) { context in try await runner.run(context) }
                        services.append(.init(service: worker))
                    }
                    logger.info(
                        "mcp server on standard input and output",
                        metadata: [
                            "queue": "\(QueueURL.redact(options.queueText))", "store": "\(storeURL.path)",
                            "workers": "\(workerCount)",
                        ])
                    let group = ServiceGroup(
                        configuration: .init(
                            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
                    try await group.run()
                }
            } catch let error as JobQueueError where error.code == .invalidURL {
                throw ValidationError(error.message)
            }
        }
    }
}

extension StoryServerCommand.MCPCommand {
    /// Streamable HTTP at `/mcp` on the server's router, behind the REST API's tokens and rate: the one line
    /// `story-server [serve]` calls.
    static func addHTTPRoutes(
        to router: Router<StoryRequestContext>, service: any StoryService,
        auth: StoryAuthMiddleware<StoryRequestContext>,
        host: String, logger: Logger
    ) {
        // On loopback the MCP origin check guards against DNS rebinding; elsewhere every request needs a token.
        let check: StoryMCPRoutes.Configuration.OriginCheck = ServerBinding.isLoopback(host) ? .localhost : .off
        StoryMCPRoutes(
            server: StoryMCPServer(service: service, logger: logger), configuration: .init(originCheck: check)
        ).add(to: router, auth: auth)
    }
}

/// The stdio MCP server as a service: it returns when the agent closes standard input, and stops on shutdown.
private struct StdioService: Service {
    let server: StoryMCPServer

    func run() async throws {
        try await cancelWhenGracefulShutdown { try await server.runStdio(owner: .local) }
    }
}
