import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import Prometheus
import QueueKit
import QueueKitPostgres
import ServiceLifecycle
import StoryForgeCore
import StoryPipeline
import StoryQueue
import StoryServer

/// Serves the story REST API over a job queue: alone, a SQLite queue under the store and in-process workers; with
/// `--queue postgres://…`, the queue that `story-worker`s on other machines run, and their results from the shared
/// store.
///
/// `story-server --store /var/lib/stories --port 8080`
@main
struct StoryServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "story-server",
        abstract: "Serve the story REST API (and run stories) over a job queue.",
        subcommands: [Serve.self, HashToken.self, MCPCommand.self],
        defaultSubcommand: Serve.self
    )
}

/// The options of `story-server [serve]`, in one place so that other commands and flags extend them.
struct ServerOptions: ParsableArguments {
    @Option(help: "The address to listen on; anything but loopback needs --tokens.")
    var host: String = "127.0.0.1"

    @Option(help: "The port (0 picks a free one, printed at start).")
    var port: Int = 8080

    @Option(help: "The store directory: artifacts, exports and (alone) the queue; shared with the workers.")
    var store: String = "./story-store"

    @Option(help: "The queue URL: sqlite:///path (default <store>/queue.sqlite) or postgres://user@host:port/db.")
    var queue: String?

    @Option(help: "In-process workers (default 1 with a SQLite queue, 0 with PostgreSQL).")
    var workers: Int?

    @Option(help: "The tokens file: lines of `<name> sha256:<hex>` (see `story-server hash-token`).")
    var tokens: String?

    @Option(help: "A configuration file (JSON or YAML) every story starts from, under the request's settings.")
    var config: String?

    @Option(help: "Requests a second per token (0: no limit).")
    var rate: Double = 10

    @Option(help: "Requests at once per token.")
    var burst: Double = 60

    @Option(help: "Seconds running stories may finish after SIGTERM before they are released.")
    var shutdownSeconds: Int = 30

    @Option(help: "Seconds a worker's claim on a story lasts unrenewed: how soon another worker takes a killed one's.")
    var leaseSeconds: Int = 60

    @Option(
        help: "The file holding the secret that signs webhooks (or set STORYFORGE_WEBHOOK_SECRET); none: no webhooks.")
    var webhookSecretFile: String?

    @Flag(help: "Let webhooks reach loopback, private, link-local and other non-public addresses.")
    var allowPrivateWebhooks = false

    @Option(help: "How much lower in-process stories run than the requests (a nice increment, 0...19).")
    var renderNiceness: Int = 10

    func validate() throws {
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        // 64 at once: far more than one machine renders; a typo such as 1000 fails here, not in ffmpeg.
        if let workers, !(0...64).contains(workers) { throw ValidationError("--workers must be 0...64") }
        guard rate.isFinite, rate >= 0 else { throw ValidationError("--rate must be a number ≥ 0") }
        guard burst.isFinite, burst >= 1 else { throw ValidationError("--burst must be ≥ 1") }
        guard (0...3_600).contains(shutdownSeconds) else { throw ValidationError("--shutdown-seconds: 0...3600") }
        // 3 s: heartbeats go every third of the lease, and a second between them is the least a loaded host keeps.
        guard (3...3_600).contains(leaseSeconds) else { throw ValidationError("--lease-seconds: 3...3600") }
        guard (0...19).contains(renderNiceness) else { throw ValidationError("--render-niceness: 0...19") }
    }

    var storeURL: URL { URL(fileURLWithPath: store, isDirectory: true).standardizedFileURL }

    /// The queue URL: `--queue`, or the SQLite file under the store.
    var queueText: String { queue ?? "sqlite://\(storeURL.appendingPathComponent("queue.sqlite").path)" }

    /// Whether the queue is PostgreSQL (workers elsewhere by default).
    var isPostgres: Bool {
        guard let url = try? QueueURL(parsing: queueText), case .postgres = url else { return false }
        return true
    }

    /// The base configuration as the JSON object requests go over; empty without `--config`.
    func baseConfiguration() throws -> [String: JSONValue] {
        guard let config else { return [:] }
        do {
            let loaded = try StoryConfiguration.load(contentsOf: URL(fileURLWithPath: config))
            return try JSONDecoder().decode([String: JSONValue].self, from: loaded.jsonData())
        } catch let error as StoryPipelineError {
            throw ValidationError(error.message)
        }
    }

    /// The webhook secret: `--webhook-secret-file`, else `STORYFORGE_WEBHOOK_SECRET`, else none.
    func webhookSecret() throws -> WebhookSecret? {
        do {
            if let webhookSecretFile { return try .contentsOfFile(URL(fileURLWithPath: webhookSecretFile)) }
            return try WebhookSecret.fromEnvironment()
        } catch let error as StoryServerError {
            throw ValidationError(error.message)
        }
    }

    func bearerTokens() throws -> BearerTokens? {
        guard let tokens else { return nil }
        do {
            return try BearerTokens(contentsOf: URL(fileURLWithPath: tokens))
        } catch let error as StoryServerError {
            throw ValidationError(error.message)
        }
    }
}

extension StoryServerCommand {
    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Serve the API (the default command).",
            discussion: """
                Without --tokens the server only listens on loopback, and every caller owns the same stories. \
                SIGTERM stops it gracefully: no new requests, running stories finish for --shutdown-seconds or are \
                released for another worker.
                """)

        @OptionGroup var options: ServerOptions

        func run() async throws {
            LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
            // Once per process: the library records through swift-metrics; GET /metrics renders this registry.
            let registry = PrometheusCollectorRegistry()
            MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
            var logger = Logger(label: "story-server")
            logger.logLevel = .info
            let tokens = try options.bearerTokens()
            do {
                try ServerBinding.check(host: options.host, tokens: tokens)
            } catch let error as StoryServerError {
                throw ValidationError(error.message)
            }
            let base = try options.baseConfiguration()
            let shared: SharedStore
            do {
                shared = try SharedStore.check(options.storeURL)
            } catch let error as JobQueueError {
                throw ValidationError(error.message)
            }
            do {
                try await QueueURL.withQueue(options.queueText, logger: logger) { queue in
                    try await serve(
                        queue, tokens: tokens, base: base, shared: shared, registry: registry, logger: logger)
                }
            } catch let error as JobQueueError where error.code == .invalidURL {
                throw ValidationError(error.message)
            }
        }

        private func serve(
            _ queue: any JobQueue, tokens: BearerTokens?, base: [String: JSONValue], shared: SharedStore,
            registry: PrometheusCollectorRegistry, logger: Logger
        ) async throws {
            let store = options.storeURL
            let service = QueueStoryService(
                queue: queue, store: store, configuration: .init(baseConfiguration: base))
            let rate = options.rate > 0 ? TokenBucketLimiter.Rate(perSecond: options.rate, burst: options.burst) : nil
            let routes = StoryServerRoutes<StoryRequestContext>(
                service: service, tokens: tokens, configuration: .init(rate: rate),
                healthCheck: { try await service.checkHealth() })
            let router = Router(context: StoryRequestContext.self)
            let metrics = ServerMetrics()
            router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
            routes.add(to: router)
            MCPCommand.addHTTPRoutes(
                to: router, service: service, auth: routes.authMiddleware, host: options.host, logger: logger)
            WebPage.addWebRoutes(to: router, configuration: .init(requiresToken: tokens != nil))
            PrometheusEndpoint(registry: registry, metrics: metrics, storyCounts: { try await service.countsByState() })
                .addRoutes(to: router)
            StoryServerOpenAPI.addRoutes(to: router)
            let webhookSecret = try options.webhookSecret()
            let webhooks = webhookSecret.map { _ in StoryWebhookNotifier(service: service) }
            let workerCount = options.workers ?? (options.isPostgres ? 0 : 1)
            var services: [any Service] = []
            if workerCount > 0 {
                let runner = StoryJobRunner(store: store, logger: logger)
                // The stories' computation on threads of their own and their encoders, both at a lower priority:
                // the requests' handlers keep the cooperative pool and get the cores first.
                let niceness = options.renderNiceness
                let rendering = LowPriorityExecutor(
                    threads: ProcessInfo.processInfo.activeProcessorCount, niceness: niceness,
                    name: "story-server.render")
                let story: JobWorker.Handler = { context in
                    // What the story's buffers and threads freed goes back to the system, not on to the next story.
                    defer { ProcessMemory.releaseFreed() }
                    return try await withTaskExecutorPreference(rendering) {
                        try await RenderPriority.$niceness.withValue(niceness) { try await runner.run(context) }
                    }
                }
                services.append(
                    JobWorker(
                        queue: queue,
                        configuration: .init(
                            kinds: [StoryJob.kind], concurrency: workerCount, lease: .seconds(options.leaseSeconds),
                            pollInterval: .seconds(1), shutdownDeadline: .seconds(options.shutdownSeconds)),
                        logger: logger, handler: webhooks?.notifying(story) ?? story))
                if let webhookSecret {
                    let policy = WebhookTargetPolicy(allowPrivateAddresses: options.allowPrivateWebhooks)
                    let sender = WebhookSender(secret: webhookSecret, configuration: .init(policy: policy))
                    services.append(
                        JobWorker(
                            queue: queue,
                            configuration: .init(
                                kinds: [WebhookJobs.kind], concurrency: 4, pollInterval: .seconds(1),
                                shutdownDeadline: .seconds(10)),
                            logger: logger, handler: WebhookJobs.handler(sender: sender)))
                }
            }
            if webhookSecret == nil {
                logger.warning("no webhook secret (--webhook-secret-file or STORYFORGE_WEBHOOK_SECRET): no webhooks")
            }
            let host = options.host
            let app = Application(
                router: router,
                configuration: .init(address: .hostname(host, port: options.port), serverName: "story-server"),
                onServerRunning: { channel in
                    // The line a script waits for (and reads the port from, with --port 0).
                    let port = channel.localAddress?.port ?? 0
                    // Unbuffered, so a pipe sees it at once.
                    FileHandle.standardOutput.write(Data("story-server listening on http://\(host):\(port)\n".utf8))
                },
                logger: logger)
            logger.info(
                "story server starting",
                metadata: [
                    "queue": "\(QueueURL.redact(options.queueText))", "store": "\(store.path)",
                    "store.id": "\(shared.id)", "workers": "\(workerCount)",
                    "tokens": "\(tokens?.entries.count ?? 0)",
                ])
            let group = ServiceGroup(
                configuration: .init(
                    services: [.init(service: app)] + services.map { .init(service: $0) },
                    gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
            try await group.run()
        }
    }

    struct HashToken: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "hash-token",
            abstract: "Print a tokens-file line for a token read from standard input (or a new random token).",
            discussion: """
                `openssl rand -hex 32 | tee token.txt | story-server hash-token --name alice >> tokens`: the token \
                stays in token.txt for the client; the tokens file gets only its SHA-256. With --generate, a new \
                token is printed to standard error and the line to standard output.
                """)

        @Option(help: "The owner name of the token's stories (letters, digits, - _ .).")
        var name: String

        @Flag(help: "Make a new random token (256 bits) instead of reading one.")
        var generate = false

        func run() throws {
            let token: String
            if generate {
                var generator = SystemRandomNumberGenerator()
                token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }
                    .joined()
                FileHandle.standardError.write(Data("token: \(token)\n".utf8))
            } else {
                guard let line = readLine(strippingNewline: true) else {
                    throw ValidationError("no token on standard input (or pass --generate)")
                }
                token = line.trimmingCharacters(in: .whitespaces)
            }
            // 16 characters: short of that a token is guessable; 1024: the server's own limit.
            guard (16...BearerTokens.maximumTokenBytes).contains(token.utf8.count) else {
                throw ValidationError("a token must be 16…1024 bytes (openssl rand -hex 32 makes a good one)")
            }
            guard (try? BearerTokens(parsing: BearerTokens.line(name: name, token: token))) != nil else {
                throw ValidationError("--name must be 1…64 letters, digits, '-', '_' or '.', and not \"local\"")
            }
            print(BearerTokens.line(name: name, token: token))
        }
    }
}
