public import Foundation
public import Logging
import Metrics
public import PipelineKit
public import ServiceLifecycle
import StoryForgeCore

/// What a job's handler gets: the claim, a checkpoint store fenced by its token, and a way to report progress.
public struct JobContext: Sendable {
    /// The job as claimed.
    public let claim: JobClaim
    /// The queue.
    public let queue: any JobQueue
    /// A checkpoint store whose writes are refused once the worker no longer holds the job; run the job's pipeline
    /// on it so that a worker that lost its lease commits nothing.
    public let checkpoints: any CheckpointStore
    /// The worker's logger with `job.id` and `job.attempt` metadata.
    public let logger: Logger

    /// Creates a context.
    public init(claim: JobClaim, queue: any JobQueue, checkpoints: any CheckpointStore, logger: Logger) {
        self.claim = claim
        self.queue = queue
        self.checkpoints = checkpoints
        self.logger = logger
    }

    /// The job.
    public var job: JobRecord { claim.job }

    /// Records progress readable by others (``JobQueue/job(_:)``); refused for a stale token.
    public func reportProgress(_ progress: Data) async throws {
        try await queue.reportProgress(progress, for: claim.token)
    }
}

/// Runs jobs of some kinds from a queue, `concurrency` at a time, as a swift-service-lifecycle `Service`.
///
/// Each claimed job gets a heartbeat every third of the lease (``Configuration/heartbeatInterval``). The handler's task is cancelled, and the worker gives
/// the job up writing nothing more, when a heartbeat learns that the job was cancelled (then the cancel is
/// acknowledged) or that the token went stale (another worker holds the job), or when a whole lease passes without a
/// successful heartbeat (the worker must assume it lost the job). A handler error that carries a stale token
/// (a refused checkpoint commit) gives the job up the same way; any other error is a failed attempt, retried by the
/// queue's backoff.
///
/// Each job's end is counted in `storyforge_queue_jobs_total` with `kind` and `outcome` (`succeeded`, `failed`,
/// `cancelled`, `given_up`, `released`, `error`) dimensions.
///
/// On graceful shutdown (SIGTERM through a `ServiceGroup`) the worker stops claiming, lets running jobs finish for
/// ``Configuration/shutdownDeadline``, then cancels the rest and releases them (their attempt is not counted), and
/// returns. When the worker's task is cancelled instead, running jobs are cancelled and released at once.
///
/// ```swift
/// let worker = JobWorker(queue: queue, configuration: .init(kinds: ["story"])) { context in
///     try await render(context.job.payload, checkpoints: context.checkpoints)
/// }
/// let group = ServiceGroup(services: [worker], gracefulShutdownSignals: [.sigterm], logger: logger)
/// try await group.run()
/// ```
public struct JobWorker: Service {
    /// Runs one job; returns its result (stored on the job) or throws for a failed attempt.
    public typealias Handler = @Sendable (JobContext) async throws -> Data?

    /// How the worker claims and holds jobs; every field but ``kinds`` has a default.
    public struct Configuration: Sendable {
        /// The kinds of job claimed.
        public var kinds: Set<String>
        /// The name the queue records on claimed jobs (host and process id by default).
        public var name: String
        /// Jobs run at once, at least 1.
        public var concurrency: Int
        /// The lease of each claim, renewed every ``heartbeatInterval``.
        public var lease: Duration
        /// How often a running job's lease is renewed; `nil` is a third of the lease, so that one late or lost
        /// heartbeat does not lose the job.
        public var heartbeatInterval: Duration?
        /// The longest idle wait before looking for jobs again (where the queue has no notification, the delay
        /// before another process's job is seen).
        public var pollInterval: Duration
        /// How long running jobs may still run after a graceful shutdown starts before they are released.
        public var shutdownDeadline: Duration

        /// Creates a configuration.
        public init(
            kinds: Set<String>, name: String = JobWorker.defaultName(), concurrency: Int = 1,
            lease: Duration = .seconds(30), heartbeatInterval: Duration? = nil, pollInterval: Duration = .seconds(1),
            shutdownDeadline: Duration = .seconds(10)
        ) {
            self.kinds = kinds
            self.name = name
            self.concurrency = concurrency
            self.lease = lease
            self.heartbeatInterval = heartbeatInterval
            self.pollInterval = pollInterval
            self.shutdownDeadline = shutdownDeadline
        }
    }

    /// `host:pid`, unique among the workers of a fleet.
    public static func defaultName() -> String {
        "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)"
    }

    private let queue: any JobQueue
    private let configuration: Configuration
    private let logger: Logger
    private let handler: Handler

    /// Creates a worker; nothing happens until ``run()``.
    public init(
        queue: any JobQueue, configuration: Configuration, logger: Logger = Logger(label: "storyforge.queue.worker"),
        handler: @escaping Handler
    ) {
        self.queue = queue
        self.configuration = configuration
        self.logger = logger
        self.handler = handler
    }

    /// Claims and runs jobs until graceful shutdown or cancellation; throws only when the queue fails to claim
    /// repeatedly for a minute (it cannot be reached), after releasing what it holds.
    public func run() async throws {
        let shutdown = ShutdownFlag()
        let slots = WorkerSlots(limit: max(1, configuration.concurrency))
        try await withGracefulShutdownHandler {
            try await withThrowingDiscardingTaskGroup { group in
                try await claimLoop(shutdown: shutdown, slots: slots, group: &group)
            }
        } onGracefulShutdown: {
            shutdown.set()
            slots.wake()
        }
    }

    private func claimLoop(
        shutdown: ShutdownFlag, slots: WorkerSlots, group: inout ThrowingDiscardingTaskGroup<any Error>
    ) async throws {
        var failingSince: ContinuousClock.Instant?
        while !shutdown.isSet, !Task.isCancelled {
            guard slots.tryAcquire() else {
                await slots.waitForChange()
                continue
            }
            let claim: JobClaim?
            do {
                claim = try await queue.claim(
                    kinds: configuration.kinds, worker: configuration.name, lease: configuration.lease)
                failingSince = nil
            } catch {
                slots.giveBack()
                if error is CancellationError { break }
                let since = failingSince ?? .now
                failingSince = since
                logger.warning("cannot claim a job", metadata: ["error": "\(error)"])
                // A minute of failures: the queue is gone, and the process supervisor should see it.
                if ContinuousClock.now - since > .seconds(60) { throw error }
                await slots.waitForChange(
                    orQueue: queue, kinds: configuration.kinds, timeout: configuration.pollInterval)
                continue
            }
            guard let claim else {
                slots.giveBack()
                await slots.waitForChange(
                    orQueue: queue, kinds: configuration.kinds, timeout: configuration.pollInterval)
                continue
            }
            group.addTask {
                defer { slots.free() }
                await process(claim, shutdown: shutdown)
            }
        }
    }

    /// Why a job stopped.
    private enum Outcome: Sendable {
        case finished(Data?)
        case threw(String, stale: Bool)
        case cancelRequested
        case lostLease(String)
        case shutdownDeadline
    }

    private func process(_ claim: JobClaim, shutdown: ShutdownFlag) async {
        var jobLogger = self.logger
        jobLogger[metadataKey: "job.id"] = "\(claim.token.jobID)"
        jobLogger[metadataKey: "job.attempt"] = "\(claim.token.attempt)"
        jobLogger[metadataKey: "job.kind"] = "\(claim.job.kind)"
        let logger = jobLogger
        logger.info("job claimed")
        let context = JobContext(
            claim: claim, queue: queue, checkpoints: queue.checkpointStore(fencedBy: claim.token), logger: logger)
        let handler = self.handler
        let lease = configuration.lease
        // At least 1 ms: a zero or negative interval would renew in a busy loop.
        let interval = max(configuration.heartbeatInterval ?? lease / 3, .milliseconds(1))
        let deadline = configuration.shutdownDeadline
        let queue = self.queue
        let outcome = await withTaskGroup(of: Outcome?.self) { group -> Outcome in
            group.addTask {
                do {
                    return .finished(try await handler(context))
                } catch {
                    return .threw(JobRequestCheck.truncated("\(error)"), stale: Self.carriesStaleToken(error))
                }
            }
            group.addTask {
                await Self.heartbeats(
                    queue: queue, token: claim.token, lease: lease, interval: interval, logger: logger)
            }
            group.addTask {
                await shutdown.waitUntilSet()
                if Task.isCancelled { return nil }
                try? await Task.sleep(for: deadline)
                return Task.isCancelled ? nil : .shutdownDeadline
            }
            var first: Outcome = .lostLease("the job's tasks ended without an outcome")
            while let next = await group.next() {
                if let next {
                    first = next
                    break
                }
            }
            group.cancelAll()
            return first
        }
        let label = await settle(claim.token, outcome, logger: logger)
        Counter(label: "storyforge_queue_jobs_total", dimensions: [("kind", claim.job.kind), ("outcome", label)])
            .increment()
    }

    /// Heartbeats until the task is cancelled; returns early when the worker must give the job up.
    private static func heartbeats(
        queue: any JobQueue, token: FencingToken, lease: Duration, interval: Duration, logger: Logger
    ) async -> Outcome? {
        var lastRenewal = ContinuousClock.now
        while !Task.isCancelled {
            do {
                try await Task.sleep(for: interval)
            } catch {
                return nil
            }
            do {
                switch try await queue.heartbeat(token, lease: lease) {
                case .renewed:
                    lastRenewal = .now
                case .cancelRequested:
                    return .cancelRequested
                }
            } catch let error as JobQueueError where error.code == .staleToken || error.code == .notFound {
                return .lostLease("\(error)")
            } catch {
                if Task.isCancelled { return nil }
                logger.warning("heartbeat failed; retrying", metadata: ["error": "\(error)"])
            }
            // No renewal for a whole lease: another worker may hold the job now, so stop working on it.
            if ContinuousClock.now - lastRenewal >= lease {
                return .lostLease("no heartbeat succeeded for a whole lease (\(lease))")
            }
        }
        return nil
    }

    /// Records the outcome on the queue; returns the metrics outcome (`succeeded`, `failed`, `cancelled`,
    /// `given_up`, `released`, `error`).
    private func settle(_ token: FencingToken, _ outcome: Outcome, logger: Logger) async -> String {
        do {
            switch outcome {
            case .finished(let result):
                try await queue.complete(token, result: result)
                logger.info("job succeeded")
                return "succeeded"
            case .threw(let message, let stale):
                if stale {
                    logger.warning("job given up: its checkpoint commit was refused", metadata: ["error": "\(message)"])
                    return "given_up"
                }
                if Task.isCancelled {
                    // The worker itself was cancelled (not shut down gracefully): the job did not fail, so hand it
                    // back without using the attempt.
                    try await queue.release(token)
                    logger.info("job released: the worker was cancelled")
                    return "released"
                }
                let job = try await queue.fail(token, error: message)
                logger.warning(
                    "job attempt failed", metadata: ["error": "\(message)", "job.state": "\(job.state.rawValue)"])
                return "failed"
            case .cancelRequested:
                try await queue.acknowledgeCancel(token)
                logger.info("job cancelled")
                return "cancelled"
            case .lostLease(let reason):
                logger.warning("job given up: the worker no longer holds it", metadata: ["reason": "\(reason)"])
                return "given_up"
            case .shutdownDeadline:
                try await queue.release(token)
                logger.info("job released: the shutdown deadline passed")
                return "released"
            }
        } catch let error as JobQueueError where error.code == .staleToken {
            logger.warning("job given up: its token went stale", metadata: ["error": "\(error)"])
            return "given_up"
        } catch {
            logger.error("cannot record the job's outcome", metadata: ["error": "\(error)"])
            return "error"
        }
    }

    /// Whether `error`, or an error underneath it (through `PipelineError` and `StoryForgeError` wrapping), is a
    /// stale token: a fenced write was refused.
    public static func carriesStaleToken(_ error: any Error) -> Bool {
        var current: (any Error)? = error
        var depth = 0
        // 16 levels: far deeper than any real wrapping, and a guard against an error that wraps itself.
        while let error = current, depth < 16 {
            if let queueError = error as? JobQueueError, queueError.code == .staleToken { return true }
            if let pipelineError = error as? PipelineError {
                current = pipelineError.underlying
            } else {
                current = (error as? any StoryForgeError)?.underlying
            }
            depth += 1
        }
        return false
    }
}
