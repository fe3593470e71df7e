import Foundation
import QueueKit
import StoryQueue

/// How a story job's record reads as a ``StoryStatus``, and the event id of each record.
enum StoryRecordMapping {
    /// The job states of an API state.
    static func jobStates(for state: StoryStatus.State) -> [JobState] {
        switch state {
        case .queued: [.available]
        case .running: [.running]
        case .succeeded: [.succeeded]
        case .failed: [.dead]
        case .cancelled: [.cancelled]
        }
    }

    /// The API state of a job state.
    static func state(of job: JobState) -> StoryStatus.State {
        switch job {
        case .available: .queued
        case .running: .running
        case .succeeded: .succeeded
        case .dead: .failed
        case .cancelled: .cancelled
        }
    }

    /// What ``StoryQueue/StoryJobRunner`` reports as progress: the stage started last, its position, the stage
    /// count and when the attempt started (seconds since 1970).
    struct Progress: Decodable {
        var stage: String?
        var index: Int?
        var count: Int?
        var startedAt: Double?

        enum CodingKeys: String, CodingKey {
            case stage, index, count
            case startedAt = "started_at"
        }

        /// The progress of a record, or `nil` when there is none or it does not read (a worker of another build).
        static func of(_ record: JobRecord) -> Progress? {
            guard let data = record.progress, data.count <= 64 * 1024 else { return nil }
            return try? JSONDecoder().decode(Progress.self, from: data)
        }
    }

    /// The highest stage position counted in event ids; a pipeline has a few dozen stages at most.
    static let maximumStageIndex = 800

    /// The event id of a record: the millisecond of its last change × 1000 plus a rank of what it shows (0 queued,
    /// 1 started, 2 + the stage index while a stage runs, 999 final), so that two changes within one millisecond
    /// still order. Computed from the record alone, so the same record has the same id after a server restart and
    /// `Last-Event-ID` resumes across restarts; below 2^53 until the year 2255, so a browser's numbers hold it.
    static func eventID(of record: JobRecord) -> Int {
        let seconds = record.updatedAt.timeIntervalSince1970
        // 9e9 s (year 2255) keeps milliseconds × 1000 under 2^53; a clock outside 0…9e9 is not one to order by.
        let milliseconds =
            seconds.isFinite && seconds >= 0 && seconds < 9e9 ? Int(exactly: (seconds * 1000).rounded(.down)) ?? 0 : 0
        let rank: Int
        switch record.state {
        case .available:
            rank = 0
        case .running:
            if let index = Progress.of(record)?.index, index >= 0 {
                rank = 2 + min(index, maximumStageIndex)
            } else {
                rank = 1
            }
        case .succeeded, .dead, .cancelled:
            rank = 999
        }
        return milliseconds * 1000 + rank
    }

    /// The status of a story job.
    static func status(of record: JobRecord, job: StoryJob, files: ExportedFiles?) -> StoryStatus {
        let state = state(of: record.state)
        let progress = Progress.of(record)
        var fraction = 0.0
        var stage: String?
        switch state {
        case .running:
            if let progress, let index = progress.index, let count = progress.count, count > 0, index >= 0 {
                fraction = min(max(Double(index) / Double(count), 0), 0.99)
            }
            if let name = progress?.stage, !name.isEmpty { stage = name }
        case .succeeded:
            fraction = 1
        case .queued, .failed, .cancelled:
            break
        }
        var startedAt: Date?
        if record.attempt > 0, let seconds = progress?.startedAt, seconds.isFinite, seconds > 0,
            seconds < 32_503_680_000  // 3000-01-01: any later value is not a clock's
        {
            startedAt = Date(timeIntervalSince1970: seconds)
        }
        var failure: StoryStatus.Failure?
        if state == .failed {
            failure = Self.failure(record.lastError)
        }
        return StoryStatus(
            id: record.id.description, status: state, topic: job.story.topic ?? "", title: files?.title, stage: stage,
            fraction: fraction, attempt: record.attempt, createdAt: record.createdAt, startedAt: startedAt,
            finishedAt: state.isFinal ? record.finishedAt : nil, error: failure,
            files: files?.statusFiles(storyID: record.id.description) ?? [],
            costUSD: files?.costUSD)
    }

    /// A failed job's error as a code and a message: the worker's error text reads `code: message` for the SDK's
    /// errors (`invalidConfiguration: …`), which becomes `invalid_configuration`; other text is `job_failed`.
    static func failure(_ text: String?) -> StoryStatus.Failure {
        let text = text ?? "the story failed"
        if let colon = text.firstIndex(of: ":") {
            let head = text[..<colon]
            if !head.isEmpty, head.count <= 40, head.allSatisfy({ $0.isASCII && $0.isLetter }) {
                let message = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                return .init(code: snakeCase(String(head)), message: message.isEmpty ? text : message)
            }
        }
        return .init(code: "job_failed", message: text)
    }

    static func snakeCase(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase, !result.isEmpty { result.append("_") }
            result.append(contentsOf: character.lowercased())
        }
        return result
    }
}
