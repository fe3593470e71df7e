import ArgumentParser
import Foundation
import Logging
import QueueKit
import QueueKitPostgres
import StoryQueue

/// Manages story jobs: enqueue one or a batch, list, show one, cancel.
///
/// `story-queue enqueue --queue sqlite:///var/lib/stories/queue.sqlite --topic "a lighthouse keeper's last night"`
@main
struct StoryQueueCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "story-queue",
        abstract: "Enqueue, list, inspect and cancel story jobs.",
        subcommands: [Enqueue.self, List.self, Status.self, Cancel.self]
    )
}

/// The queue option every subcommand takes.
struct QueueOptions: ParsableArguments {
    @Option(help: "The queue URL (sqlite:///path or postgres://user@host:port/db); default $STORYFORGE_QUEUE.")
    var queue: String?

    /// Runs `body` with the queue (a PostgreSQL queue's connections live as long as `body`).
    func withQueue<T: Sendable>(_ body: (any JobQueue) async throws -> T) async throws -> T {
        guard let text = queue ?? ProcessInfo.processInfo.environment["STORYFORGE_QUEUE"] else {
            throw ValidationError("no queue: pass --queue URL or set STORYFORGE_QUEUE")
        }
        var logger = Logger(label: "story-queue")
        logger.logLevel = .error
        do {
            return try await QueueURL.withQueue(text, logger: logger, body)
        } catch let error as JobQueueError {
            throw ValidationError(error.message)
        }
    }
}

extension StoryQueueCommand {
    struct Enqueue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Enqueue a story, or a batch file of them (one topic per line, or JSON lines).")

        @OptionGroup var options: QueueOptions

        @Option(help: "The story's topic.")
        var topic: String?

        @Option(help: "A batch file: one topic per line, or one JSON object per line with per-story settings.")
        var batch: String?

        @Option(help: "A configuration file (JSON or YAML), carried in the job.")
        var config: String?

        @Option(help: "Enqueueing a key a job not yet finished holds returns that job.")
        var uniqueKey: String?

        @Option(help: "The seed.")
        var seed: Int?

        @Option(help: "Higher runs first.")
        var priority: Int = 0

        @Option(help: "Attempts before the job is dead.")
        var maxAttempts: Int = 3

        func validate() throws {
            guard (topic == nil) != (batch == nil) else { throw ValidationError("give --topic or --batch, not both") }
            if batch != nil, uniqueKey != nil {
                throw ValidationError("--unique-key is per story: put unique_key on the batch's JSON lines")
            }
        }

        func run() async throws {
            let source = try configurationSource()
            var entries: [(StoryJob, String?, Int)] = []
            if let topic {
                let story = StoryJob.Story(topic: topic, seed: seed)
                entries.append((try wrap { try StoryJob(story: story, configuration: source) }, uniqueKey, priority))
            } else if let batch {
                let text: String
                do {
                    text = try String(contentsOfFile: batch, encoding: .utf8)
                } catch {
                    throw ValidationError("cannot read the batch \(batch): \(error.localizedDescription)")
                }
                let parsed = try wrap { try StoryBatch(parsing: text, configuration: source) }
                entries = parsed.entries.map { ($0.job, $0.uniqueKey, $0.priority) }
            }
            try await options.withQueue { queue in
                for (job, key, priority) in entries {
                    let enqueued = try await queue.enqueue(
                        try job.newJob(uniqueKey: key, priority: priority, maxAttempts: maxAttempts))
                    print(
                        "\(enqueued.created ? "enqueued" : "exists  ") job \(enqueued.job.id)  \(job.story.topic ?? "")"
                    )
                }
            }
        }

        private func configurationSource() throws -> StoryJob.ConfigurationSource? {
            guard let config else { return nil }
            let url = URL(fileURLWithPath: config)
            // Half a payload: the job carries the file, and a payload holds at most 1 MiB in all.
            guard let data = FileManager.default.contents(atPath: url.path),
                data.count <= JobQueueLimits.maximumPayloadBytes / 2
            else { throw ValidationError("cannot read \(config), or it is over 512 KiB") }
            let yaml = ["yaml", "yml"].contains(url.pathExtension.lowercased())
            return .contents(String(decoding: data, as: UTF8.self), yaml: yaml)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List story jobs, newest first.")

        @OptionGroup var options: QueueOptions

        @Option(help: "Only jobs in this state (available, running, succeeded, dead, cancelled).")
        var state: String?

        @Option(help: "At most this many.")
        var limit: Int = 50

        func run() async throws {
            var states: Set<JobState>?
            if let state {
                guard let parsed = JobState(rawValue: state) else {
                    throw ValidationError(
                        "unknown state \(state); one of: \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                states = [parsed]
            }
            try await options.withQueue { queue in
                for job in try await queue.jobs(JobFilter(states: states, kind: StoryJob.kind, limit: limit)) {
                    let topic = (try? StoryJob(payload: job.payload))?.story.topic ?? "?"
                    print("job \(job.id)  \(job.state.rawValue)  attempt \(job.attempt)/\(job.maxAttempts)  \(topic)")
                }
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one job: state, progress, error, files.")

        @OptionGroup var options: QueueOptions

        @Argument(help: "The job id.")
        var job: Int64

        func run() async throws {
            try await options.withQueue { queue in
                guard let record = try await queue.job(JobID(rawValue: job)) else {
                    throw ValidationError("no job \(job)")
                }
                print("job \(record.id): \(record.state.rawValue), attempt \(record.attempt) of \(record.maxAttempts)")
                if let topic = (try? StoryJob(payload: record.payload))?.story.topic { print("topic: \(topic)") }
                if let worker = record.worker, record.state == .running { print("worker: \(worker)") }
                if record.cancelRequested, record.state == .running { print("cancel requested") }
                if let progress = record.progress { print("progress: \(String(decoding: progress, as: UTF8.self))") }
                if let error = record.lastError { print("last error: \(error)") }
                if let data = record.result {
                    if let result = try? JSONDecoder().decode(StoryJobResult.self, from: data) {
                        print("title: \(result.title)")
                        print("exported to \(result.outputDirectory):")
                        for file in result.files { print("  \(file)") }
                    }
                }
            }
        }
    }

    struct Cancel: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a job: at once when waiting, at its worker's next heartbeat when running.")

        @OptionGroup var options: QueueOptions

        @Argument(help: "The job id.")
        var job: Int64

        func run() async throws {
            try await options.withQueue { queue in
                guard let record = try await queue.cancel(JobID(rawValue: job)) else {
                    throw ValidationError("no job \(job)")
                }
                let note = record.state == .running ? " (its worker stops at its next heartbeat)" : ""
                print("job \(record.id): \(record.state.rawValue)\(note)")
            }
        }
    }
}

private func wrap<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as JobQueueError {
        throw ValidationError(error.message)
    }
}
