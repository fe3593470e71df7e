import ArgumentParser
import Foundation
import QueueKit

/// Measures a job queue: empty-job throughput (enqueue, then claim + complete by W concurrent workers in this
/// process) and the recovery time of a job whose worker died (its lease expires, another worker claims it).
///
/// `swift run -c release queue-bench --backend sqlite --jobs 20000 --workers 1,2,4,8`
@main
struct QueueBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "queue-bench",
        abstract: "Measure a job queue's empty-job throughput and recovery time."
    )

    @Option(help: "The backend: sqlite (a fresh file in a temporary directory).")
    var backend: String = "sqlite"

    @Option(help: "Jobs per measurement.")
    var jobs: Int = 20_000

    @Option(help: "Worker counts to measure, comma-separated.")
    var workers: String = "1,2,4,8"

    @Option(help: "The lease of the recovery measurement, in milliseconds.")
    var recoveryLeaseMs: Int = 1_000

    @Option(help: "The idle poll of the recovering worker, in milliseconds.")
    var pollMs: Int = 100

    func validate() throws {
        guard (1...10_000_000).contains(jobs) else { throw ValidationError("--jobs must be 1...10000000") }
        guard (10...600_000).contains(recoveryLeaseMs) else { throw ValidationError("--recovery-lease-ms: 10...600000") }
        guard (1...60_000).contains(pollMs) else { throw ValidationError("--poll-ms must be 1...60000") }
        _ = try workerCounts()
    }

    private func workerCounts() throws -> [Int] {
        let counts = workers.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !counts.isEmpty, counts.allSatisfy({ (1...256).contains($0) }) else {
            throw ValidationError("--workers: a comma-separated list of counts in 1...256")
        }
        return counts
    }

    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("queue-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        print("backend \(backend), \(jobs) empty jobs per measurement")
        for count in try workerCounts() {
            let queue = try open(directory.appendingPathComponent("throughput-\(count).sqlite"))
            let (enqueue, drain) = try await throughput(queue, workers: count)
            let total = enqueue + drain
            print(
                String(
                    format: "workers %3d: enqueue %8.0f jobs/s, claim+complete %8.0f jobs/s, all three %8.0f jobs/s",
                    count, Double(jobs) / enqueue, Double(jobs) / drain, Double(jobs) / total))
        }
        let queue = try open(directory.appendingPathComponent("recovery.sqlite"))
        let recovery = try await recoveryTime(queue)
        print(
            String(
                format: "recovery: lease %d ms, poll %d ms: a dead worker's job claimed again after %.0f ms "
                    + "(%.0f ms past its lease)", recoveryLeaseMs, pollMs, recovery * 1000,
                recovery * 1000 - Double(recoveryLeaseMs)))
    }

    private func open(_ file: URL) throws -> any JobQueue {
        switch backend {
        case "sqlite": return try SQLiteJobQueue(path: file.path)
        default: throw ValidationError("unknown backend \(backend); this build has: sqlite")
        }
    }

    /// Seconds to enqueue `jobs` jobs, and to claim and complete them all with `workers` concurrent tasks.
    private func throughput(_ queue: any JobQueue, workers: Int) async throws -> (Double, Double) {
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<jobs {
            _ = try await queue.enqueue(NewJob(kind: "empty", payload: Data()))
        }
        let enqueued = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<workers {
                group.addTask {
                    while let claim = try await queue.claim(kinds: ["empty"], worker: "bench-\(index)", lease: .seconds(30)) {
                        try await queue.complete(claim.token, result: nil)
                    }
                }
            }
            try await group.waitForAll()
        }
        let drained = clock.now
        let left = try await queue.jobs(JobFilter(states: [.available, .running], limit: 10))
        guard left.isEmpty else { throw ValidationError("jobs left after the drain: \(left.count)") }
        return ((enqueued - start).seconds, (drained - enqueued).seconds)
    }

    /// Seconds from a worker's last claim of a job (it then dies: no heartbeat) until another worker, polling
    /// every `pollMs`, claims it again.
    private func recoveryTime(_ queue: any JobQueue) async throws -> Double {
        _ = try await queue.enqueue(NewJob(kind: "recover", payload: Data()))
        let clock = ContinuousClock()
        guard
            let first = try await queue.claim(
                kinds: ["recover"], worker: "dies", lease: .milliseconds(recoveryLeaseMs))
        else { throw ValidationError("the job was not claimed") }
        let claimed = clock.now
        while true {
            if let second = try await queue.claim(kinds: ["recover"], worker: "survivor", lease: .seconds(30)) {
                guard second.token.attempt == first.token.attempt + 1 else {
                    throw ValidationError("the reclaim has attempt \(second.token.attempt)")
                }
                return (clock.now - claimed).seconds
            }
            try await queue.waitForJobs(kinds: ["recover"], timeout: .milliseconds(pollMs))
        }
    }
}

extension Duration {
    fileprivate var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
