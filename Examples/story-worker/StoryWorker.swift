import ArgumentParser
import Foundation
import Logging
import QueueKit
import QueueKitPostgres
import ServiceLifecycle
import StoryPipeline
import StoryQueue

/// Runs story jobs from a queue until SIGTERM (then it stops claiming, lets running stories finish for
/// `--shutdown-seconds`, and releases the rest for another worker) or SIGINT.
///
/// `story-worker --queue sqlite:///var/lib/stories/queue.sqlite --store /var/lib/stories --concurrency 2`
@main
struct StoryWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "story-worker",
        abstract: "Run story jobs from a job queue.",
        discussion: """
            The queue: sqlite:///absolute/path (one machine) or postgres://user@host:5432/db (many machines; the \
            password from PGPASSWORD). The store directory holds artifacts, checkpoints' files and exports; across \
            machines it must be one shared directory (NFS, EFS, SMB): pass --store-id (printed by the first worker) \
            so a machine without the mount refuses to start.
            """
    )

    @Option(help: "The queue URL: sqlite:///path or postgres://user@host:port/db.")
    var queue: String

    @Option(help: "The store directory shared by the workers.")
    var store: String

    @Option(help: "Stories run at once.")
    var concurrency: Int = 1

    @Option(help: "The lease of a claimed job, in seconds (renewed every third of it).")
    var lease: Int = 60

    @Option(help: "The idle poll, in seconds.")
    var poll: Int = 2

    @Option(help: "Seconds running stories may finish after SIGTERM before they are released.")
    var shutdownSeconds: Int = 30

    @Option(help: "Refuse to start unless the store's marker holds this id (the shared store, mounted).")
    var storeID: String?

    func validate() throws {
        // 64 at once: far more than one machine renders; a typo such as 1000 fails here, not in ffmpeg.
        guard (1...64).contains(concurrency) else { throw ValidationError("--concurrency must be 1...64") }
        guard (3...86_400).contains(lease) else { throw ValidationError("--lease must be 3...86400 seconds") }
        guard (1...3_600).contains(poll) else { throw ValidationError("--poll must be 1...3600 seconds") }
        guard (0...3_600).contains(shutdownSeconds) else { throw ValidationError("--shutdown-seconds: 0...3600") }
    }

    func run() async throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "story-worker")
        logger.logLevel = .info
        let storeURL = URL(fileURLWithPath: store, isDirectory: true)
        let shared: SharedStore
        do {
            shared = try SharedStore.check(storeURL, expectedID: storeID)
        } catch let error as JobQueueError {
            throw ValidationError(error.message)
        }
        do {
            // A PostgreSQL queue's connections and listener run for as long as the worker does.
            try await QueueURL.withQueue(queue, logger: logger) { jobQueue in
                try await work(jobQueue, shared: shared, store: storeURL, logger: logger)
            }
        } catch let error as JobQueueError where error.code == .invalidURL {
            throw ValidationError(error.message)
        }
    }

    private func work(_ jobQueue: any JobQueue, shared: SharedStore, store storeURL: URL, logger: Logger)
        async throws
    {
        logger.info(
            "story worker starting",
            metadata: [
                "queue": "\(QueueURL.redact(queue))", "store": "\(storeURL.path)", "store.id": "\(shared.id)",
                "store.hosts": "\(shared.hosts.joined(separator: ","))", "concurrency": "\(concurrency)",
            ])
        let runner = StoryJobRunner(store: storeURL, logger: logger)
        let worker = JobWorker(
            queue: jobQueue,
            configuration: .init(
                kinds: [StoryJob.kind], concurrency: concurrency, lease: .seconds(lease), pollInterval: .seconds(poll),
                shutdownDeadline: .seconds(shutdownSeconds)),
            logger: logger
        ) { context in
            try await runner.run(context)
        }
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: worker)], gracefulShutdownSignals: [.sigterm], cancellationSignals: [.sigint],
                logger: logger))
        try await group.run()
    }
}
