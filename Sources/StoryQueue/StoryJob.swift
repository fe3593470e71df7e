public import Foundation
public import QueueKit
public import StoryPipeline

/// A story to make, as a queue job's payload: the per-story settings (topic, seed, length, language, idea count)
/// and, optionally, a configuration file's contents or a path the workers can read.
///
/// The payload is JSON with snake_case keys:
/// `{"story": {"topic": "a lighthouse", "seed": 7, "target_seconds": 30}, "config_path": "/srv/stories/base.yaml"}`.
public struct StoryJob: Sendable, Hashable {
    /// The job kind story workers claim.
    public static let kind = "story"

    /// The per-story settings: the configuration's `story` section.
    public typealias Story = StoryConfiguration.Story

    /// Where the base configuration comes from.
    public enum ConfigurationSource: Sendable, Hashable {
        /// A configuration file's text, carried in the job (JSON, or YAML when `yaml`).
        case contents(String, yaml: Bool)
        /// A file each worker reads when it runs the job (it must be readable on every worker's machine).
        case path(String)
    }

    /// The per-story settings; they override the configuration's `story` section. The topic is required.
    public var story: StoryConfiguration.Story
    /// The base configuration; `nil` is the defaults.
    public var configuration: ConfigurationSource?
    /// Who asked for the story, for a server that keeps each caller's stories apart (`story-server`: the token's
    /// name); `nil` for jobs queued by other means. Workers ignore it.
    public var owner: String?
    /// Where a server POSTs the story's final state; `nil` for none. Workers ignore it.
    public var webhookURL: String?

    /// Creates a job; the topic must be non-empty.
    public init(
        story: StoryConfiguration.Story, configuration: ConfigurationSource? = nil, owner: String? = nil,
        webhookURL: String? = nil
    ) throws {
        guard let topic = story.topic, !topic.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw JobQueueError.invalidRequest("a story job needs a topic")
        }
        self.story = story
        self.configuration = configuration
        self.owner = owner
        self.webhookURL = webhookURL
    }

    /// A job for the queue.
    public func newJob(uniqueKey: String? = nil, priority: Int = 0, maxAttempts: Int = 3) throws -> NewJob {
        NewJob(
            kind: Self.kind, payload: try payload(), uniqueKey: uniqueKey, priority: priority, maxAttempts: maxAttempts)
    }

    /// The JSON payload.
    public func payload() throws -> Data {
        var wire = Wire(story: story)
        wire.owner = owner
        wire.webhookUrl = webhookURL
        switch configuration {
        case .contents(let text, let yaml):
            wire.configText = text
            wire.configFormat = yaml ? "yaml" : "json"
        case .path(let path):
            wire.configPath = path
        case nil:
            break
        }
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(wire)
    }

    /// Reads a payload back, checking every value (the story section through the configuration's own checks).
    ///
    /// - Throws: ``QueueKit/JobQueueError`` with code `invalidRequest` naming what is wrong.
    public init(payload: Data) throws {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let wire: Wire
        do {
            wire = try decoder.decode(Wire.self, from: payload)
        } catch {
            throw JobQueueError.invalidRequest("the story job's payload cannot be read: \(Self.reason(error))")
        }
        let source: ConfigurationSource?
        switch (wire.configText, wire.configPath) {
        case (nil, nil): source = nil
        case (let text?, nil):
            guard wire.configFormat == nil || wire.configFormat == "json" || wire.configFormat == "yaml" else {
                throw JobQueueError.invalidRequest("config_format must be json or yaml")
            }
            source = .contents(text, yaml: wire.configFormat == "yaml")
        case (nil, let path?): source = .path(path)
        case (.some, .some): throw JobQueueError.invalidRequest("a story job has config_text or config_path, not both")
        }
        try self.init(story: wire.story, configuration: source, owner: wire.owner, webhookURL: wire.webhookUrl)
    }

    /// The configuration to run: the base, with the job's story settings over its `story` section, checked as a
    /// configuration file is.
    public func resolvedConfiguration() throws -> StoryConfiguration {
        var configuration: StoryConfiguration
        switch self.configuration {
        case nil:
            configuration = StoryConfiguration()
        case .path(let path):
            configuration = try StoryConfiguration.load(contentsOf: URL(fileURLWithPath: path))
        case .contents(let text, let yaml):
            configuration =
                yaml
                ? try StoryConfiguration.decode(yaml: Data(text.utf8))
                : try StoryConfiguration.decode(json: Data(text.utf8))
        }
        if let topic = story.topic { configuration.story.topic = topic }
        if let seed = story.seed { configuration.story.seed = seed }
        if let seconds = story.targetSeconds { configuration.story.targetSeconds = seconds }
        if let language = story.language { configuration.story.language = language }
        if let ideas = story.ideaCount { configuration.story.ideaCount = ideas }
        return configuration
    }

    private struct Wire: Codable {
        var story: StoryConfiguration.Story
        var configText: String?
        var configFormat: String?
        var configPath: String?
        // Absent from payloads without them (Codable skips nil optionals), so older payloads read the same.
        var owner: String?
        var webhookUrl: String?

        init(story: StoryConfiguration.Story) { self.story = story }
    }

    private static func reason(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, _): "\(key.stringValue) is missing"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context):
            "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default: "\(error)"
        }
    }
}
