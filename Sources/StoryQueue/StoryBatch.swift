import Foundation
import QueueKit
import StoryPipeline

/// A batch file of stories: one topic per line, or one JSON object per line with per-story settings
/// (`{"topic": "…", "seed": 3, "target_seconds": 30, "language": "en", "idea_count": 3, "unique_key": "…",
/// "priority": 1}`). Empty lines and lines starting with `#` are skipped.
public struct StoryBatch: Sendable {
    /// One story of the batch.
    public struct Entry: Sendable, Hashable {
        /// The line it came from, from 1.
        public var line: Int
        /// The job.
        public var job: StoryJob
        /// Its unique key, if the line gave one.
        public var uniqueKey: String?
        /// Its priority.
        public var priority: Int
    }

    /// The most stories one batch file holds: 100 000 (a day of a large channel many times over; a bigger batch is
    /// several files).
    public static let maximumEntries = 100_000

    /// The stories, in file order.
    public var entries: [Entry]

    /// Parses a batch; every story gets `configuration` as its base.
    ///
    /// - Throws: ``QueueKit/JobQueueError`` with code `invalidRequest` naming the line and what is wrong with it.
    public init(parsing text: String, configuration: StoryJob.ConfigurationSource? = nil) throws {
        var entries: [Entry] = []
        for (offset, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = rawLine.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty || line.hasPrefix("#") { continue }
            guard entries.count < Self.maximumEntries else {
                throw JobQueueError.invalidRequest("the batch holds more than \(Self.maximumEntries) stories")
            }
            do {
                entries.append(try Self.entry(line, number: offset + 1, configuration: configuration))
            } catch let error as JobQueueError {
                throw JobQueueError.invalidRequest("line \(offset + 1): \(error.message)")
            }
        }
        self.entries = entries
    }

    private struct Line: Decodable {
        var story: StoryConfiguration.Story
        var uniqueKey: String?
        var priority: Int?

        enum CodingKeys: String, CodingKey { case uniqueKey, priority }

        init(from decoder: any Decoder) throws {
            // The story's own keys sit beside unique_key and priority on the line.
            story = try StoryConfiguration.Story(from: decoder)
            let container = try decoder.container(keyedBy: CodingKeys.self)
            uniqueKey = try container.decodeIfPresent(String.self, forKey: .uniqueKey)
            priority = try container.decodeIfPresent(Int.self, forKey: .priority)
        }
    }

    private static let knownKeys: Set<String> = [
        "topic", "seed", "target_seconds", "language", "idea_count", "unique_key", "priority",
    ]

    private static func entry(_ line: String, number: Int, configuration: StoryJob.ConfigurationSource?) throws
        -> Entry
    {
        guard line.hasPrefix("{") else {
            return Entry(
                line: number, job: try StoryJob(story: .init(topic: line), configuration: configuration),
                uniqueKey: nil, priority: 0)
        }
        let data = Data(line.utf8)
        // A misspelt key would silently be a default: refuse it.
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
            let unknown = Set(object.keys).subtracting(knownKeys)
            if !unknown.isEmpty {
                throw JobQueueError.invalidRequest(
                    "unknown key \(unknown.sorted().joined(separator: ", ")); known: \(knownKeys.sorted().joined(separator: ", "))")
            }
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let parsed: Line
        do {
            parsed = try decoder.decode(Line.self, from: data)
        } catch {
            throw JobQueueError.invalidRequest("not a story: \(error)")
        }
        if let key = parsed.uniqueKey { try JobRequestCheck.name(key, what: "unique key") }
        return Entry(
            line: number, job: try StoryJob(story: parsed.story, configuration: configuration),
            uniqueKey: parsed.uniqueKey, priority: parsed.priority ?? 0)
    }
}
