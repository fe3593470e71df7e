// queue-bench-postgres: empty-job throughput of PostgresJobQueue (enqueue + claim + complete) and the recovery time
// of a killed worker's job, on the server of STORYFORGE_POSTGRES_URL. Benchmarks/queue/compare.sh runs it beside
// pgqueuer on the same server; see the report there for how the numbers were taken.
import ArgumentParser
import Foundation
import Logging
import PostgresNIO
import QueueKit
import QueueKitPostgres
import StoryForgeCore

#if canImport(Glibc)
    import Glibc
#endif

@main
struct QueueBenchPostgres: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue-bench-postgres",
        abstract: "Throughput and recovery of the PostgreSQL job queue.",
        subcommands: [Throughput.self, Recovery.self, Hold.self],
        defaultSubcommand: Throughput.self)
}

let quiet = Logger(label: "bench") { _ in SwiftLogNoOpLogHandler() }

func queueURL() throws -> PostgresQueueURL {
    guard let text = ProcessInfo.processInfo.environment["STORYFORGE_POSTGRES_URL"] else {
        throw ValidationError("set STORYFORGE_POSTGRES_URL (Scripts/postgres-throwaway.sh start prints it)")
    }
    return try PostgresQueueURL(text)
}

func dropSchema(_ schema: String, _ queue: PostgresJobQueue) async throws {
    try await queue.client.query(PostgresQuery(unsafeSQL: "DROP SCHEMA IF EXISTS \(schema) CASCADE"))
}

/// N workers, each a task with its own connection that claims one job and completes it, as QueueKit's worker does.
struct Throughput: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Enqueue, then claim and complete, N empty jobs.")

    @Option(help: "Worker counts, comma-separated.") var workers = "1,2,4,8"
    @Option(help: "Jobs per worker count.") var jobs = 4000
    @Option(help: "Jobs a worker claims and completes per statement (1: one at a time, as JobWorker does).")
    var batch = 1

    func run() async throws {
        let url = try queueURL()
        for count in workers.split(separator: ",").compactMap({ Int($0) }) where count > 0 {
            let schema = "bench_swift_\(count)"
            let configuration = PostgresJobQueue.Configuration(url: url, schema: schema, maximumConnections: count)
            try await PostgresJobQueue.withQueue(configuration, logger: quiet) { queue in
                try await dropSchema(schema, queue)
                try await queue.migrate()
                let clock = ContinuousClock()
                let start = clock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for worker in 0..<count {
                        let share = jobs / count + (worker < jobs % count ? 1 : 0)
                        group.addTask {
                            for _ in 0..<share {
                                _ = try await queue.enqueue(NewJob(kind: "empty", payload: Data()))
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                let enqueued = clock.now
                let done = try await withThrowingTaskGroup(of: Int.self) { group in
                    for worker in 0..<count {
                        group.addTask {
                            var finished = 0
                            if batch > 1 {
                                while true {
                                    let claims = try await queue.claim(
                                        kinds: ["empty"], worker: "w\(worker)", lease: .seconds(60), limit: batch)
                                    if claims.isEmpty { break }
                                    let stale = try await queue.complete(claims.map(\.token))
                                    finished += claims.count - stale.count
                                }
                                return finished
                            }
                            while let claim = try await queue.claim(
                                kinds: ["empty"], worker: "w\(worker)", lease: .seconds(60))
                            {
                                try await queue.complete(claim.token, result: nil)
                                finished += 1
                            }
                            return finished
                        }
                    }
                    return try await group.reduce(0, +)
                }
                let end = clock.now
                guard done == jobs else { throw ValidationError("completed \(done) of \(jobs) jobs") }
                let total = seconds(end - start)
                print(
                    "queue=storyforge\(batch > 1 ? "-batch\(batch)" : "") workers=\(count) jobs=\(jobs) enqueue_s=\(format(seconds(enqueued - start))) "
                        + "drain_s=\(format(seconds(end - enqueued))) total_s=\(format(total)) "
                        + "jobs_per_s=\(format(Double(jobs) / total))")
                try await dropSchema(schema, queue)
            }
        }
    }
}

/// Starts `hold` in a child process, SIGKILLs it while it holds a job, and times how long until a worker here
/// (waiting as an idle worker does, with a long poll interval) runs the job again.
struct Recovery: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Time from SIGKILL of a job's worker to its rerun.")

    @Option(help: "Lease in seconds.") var lease = 2.0
    @Option(help: "Rounds.") var rounds = 5
    @Option(help: "The idle worker's poll interval in seconds.") var poll = 30.0

    func run() async throws {
        let url = try queueURL()
        let schema = "bench_recovery"
        let executable = URL(fileURLWithPath: CommandLine.arguments[0])
        try await PostgresJobQueue.withQueue(.init(url: url, schema: schema), logger: quiet) { queue in
            try await dropSchema(schema, queue)
            try await queue.migrate()
            var worst = 0.0
            for round in 1...rounds {
                let id = try await queue.enqueue(NewJob(kind: "held", payload: Data())).job.id
                let pid = PidBox()
                let child = Task {
                    try await Subprocess.run(
                        executable, ["hold", "--schema", schema, "--lease", String(lease)], outputLimit: 0
                    ) { line in
                        if line.hasPrefix("claimed ") { pid.set(Int32(line.dropFirst(8)) ?? 0) }
                    }
                }
                while pid.get() == 0 { try await Task.sleep(for: .milliseconds(10)) }
                // Somewhere inside the heartbeat period, as a crash would be.
                try await Task.sleep(for: .milliseconds(Int.random(in: 100...600)))
                let clock = ContinuousClock()
                kill(pid.get(), SIGKILL)
                let killed = clock.now
                _ = try? await child.value
                while true {
                    if let claim = try await queue.claim(kinds: ["held"], worker: "rescuer", lease: .seconds(30)) {
                        let elapsed = seconds(clock.now - killed)
                        worst = max(worst, elapsed)
                        guard claim.job.id == id else { throw ValidationError("claimed an unexpected job") }
                        print(
                            "recovery round=\(round) lease_s=\(lease) rerun_after_kill_s=\(format(elapsed)) "
                                + "attempt=\(claim.token.attempt)")
                        try await queue.complete(claim.token, result: nil)
                        break
                    }
                    try await queue.waitForJobs(kinds: ["held"], timeout: .seconds(poll))
                }
            }
            print("recovery worst_s=\(format(worst)) bound_s=\(format(lease + 1)) within=\(worst <= lease + 1)")
            try await dropSchema(schema, queue)
        }
    }
}

/// The victim: claims a job, prints its pid, and heartbeats every quarter lease until killed.
struct Hold: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Claim a job and hold it (for recovery).")

    @Option var schema: String
    @Option var lease: Double

    func run() async throws {
        let url = try queueURL()
        let duration = Duration.milliseconds(Int64(lease * 1000))
        try await PostgresJobQueue.withQueue(.init(url: url, schema: schema), logger: quiet) { queue in
            var claim: JobClaim?
            while claim == nil {
                claim = try await queue.claim(kinds: ["held"], worker: "victim-\(getpid())", lease: duration)
                if claim == nil { try await queue.waitForJobs(kinds: ["held"], timeout: .milliseconds(200)) }
            }
            // Unbuffered: the parent waits for this line to kill us.
            FileHandle.standardOutput.write(Data("claimed \(getpid())\n".utf8))
            while true {
                try await Task.sleep(for: duration / 4)
                _ = try await queue.heartbeat(claim!.token, lease: duration)
            }
        }
    }
}

final class PidBox: @unchecked Sendable {
    // Guarded by `lock`.
    private let lock = NSLock()
    private var pid: Int32 = 0
    func set(_ value: Int32) { lock.withLock { pid = value } }
    func get() -> Int32 { lock.withLock { pid } }
}

func seconds(_ duration: Duration) -> Double {
    let parts = duration.components
    return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
}

func format(_ value: Double) -> String { String(format: "%.3f", value) }
