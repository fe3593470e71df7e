public import Foundation

/// What a run exported, as written to `manifest.json`: ids, titles, durations, who made each
/// part, what it cost and the SHA-256 of every file.
public struct ExportManifest: Codable, Hashable, Sendable {
    /// Which provider and model ran a stage, for how long, with what usage and cost.
    public struct StageRecord: Codable, Hashable, Sendable {
        /// The stage's name, e.g. "script".
        public var stage: String
        /// The provider's name, e.g. "openai", "espeak-ng", "template".
        public var provider: String
        /// The model's name, or "" where the provider has none.
        public var model: String
        /// How long the stage ran, in seconds.
        public var duration: Double
        /// Tokens consumed, for text providers.
        public var usage: TokenUsage?
        /// The cost in US dollars, when known.
        public var costUsd: Double?
        /// Where a router with per-task routes sent the stage's model calls, and why; absent when no call was routed
        /// by task, so a run without task routes writes the same manifest as before the field existed.
        public var routes: [RouteRecord]?

        /// Creates a stage record.
        public init(
            stage: String,
            provider: String,
            model: String,
            duration: Double,
            usage: TokenUsage? = nil,
            costUsd: Double? = nil,
            routes: [RouteRecord]? = nil
        ) {
            self.stage = stage
            self.provider = provider
            self.model = model
            self.duration = duration
            self.usage = usage
            self.costUsd = costUsd
            self.routes = routes?.isEmpty == true ? nil : routes
        }
    }

    /// Which route served a task's model calls in a stage and why (ProviderKit's routing decision, as text).
    public struct RouteRecord: Codable, Hashable, Sendable {
        /// The task, e.g. `script`.
        public var task: String
        /// The route that served, e.g. `quality`.
        public var route: String
        /// Its model, or "" when the route's default.
        public var model: String
        /// Why: `ordered`, `capability`, `context_window`, `breaker_open`, `low_score`, `budget` or `failure`.
        public var reason: String
        /// How many calls went this way.
        public var calls: Int

        /// Creates a route record.
        public init(task: String, route: String, model: String, reason: String, calls: Int = 1) {
            self.task = task
            self.route = route
            self.model = model
            self.reason = reason
            self.calls = calls
        }

        /// E.g. `script → quality/gpt-4o (context_window)`, with `×2` for two calls.
        public var summary: String {
            "\(task) → \(route)\(model.isEmpty ? "" : "/" + model) (\(reason))" + (calls > 1 ? " ×\(calls)" : "")
        }
    }

    /// Tokens a text model read and wrote.
    public struct TokenUsage: Codable, Hashable, Sendable {
        /// Tokens in the prompt.
        public var promptTokens: Int
        /// Tokens in the completion.
        public var completionTokens: Int

        /// Creates a usage record.
        public init(promptTokens: Int, completionTokens: Int) {
            self.promptTokens = promptTokens
            self.completionTokens = completionTokens
        }

        /// Prompt plus completion tokens, saturating at `Int.max` (counts come from servers).
        public var totalTokens: Int {
            let (sum, overflow) = promptTokens.addingReportingOverflow(completionTokens)
            return overflow ? (promptTokens < 0 ? .min : .max) : sum
        }

        /// Both counts added, each saturating at `Int.max` and `Int.min` instead of trapping.
        public func adding(_ other: TokenUsage) -> TokenUsage {
            func add(_ lhs: Int, _ rhs: Int) -> Int {
                let (sum, overflow) = lhs.addingReportingOverflow(rhs)
                return overflow ? (lhs < 0 ? .min : .max) : sum
            }
            return TokenUsage(
                promptTokens: add(promptTokens, other.promptTokens),
                completionTokens: add(completionTokens, other.completionTokens))
        }
    }

    /// One exported file.
    public struct File: Codable, Hashable, Sendable {
        /// The path relative to the output directory, e.g. `keyframes/003.png`.
        public var path: String
        /// The size in bytes.
        public var bytes: Int
        /// The SHA-256 of the contents as 64 lowercase hexadecimal digits.
        public var sha256: String

        /// Creates a file record.
        public init(path: String, bytes: Int, sha256: String) {
            self.path = path
            self.bytes = bytes
            self.sha256 = sha256
        }

        /// Whether `text` is 64 lowercase hexadecimal digits.
        public static func isSHA256Hex(_ text: String) -> Bool {
            text.utf8.count == 64 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
        }

        private enum CodingKeys: String, CodingKey { case path, bytes, sha256 }

        /// Decodes a file record, rejecting a hash that is not 64 lowercase hex digits.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            path = try container.decode(String.self, forKey: .path)
            bytes = try container.decode(Int.self, forKey: .bytes)
            sha256 = try container.decode(String.self, forKey: .sha256)
            guard Self.isSHA256Hex(sha256) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .sha256, in: container, debugDescription: "expected 64 lowercase hex digits")
            }
        }
    }

    /// Where one shot's picture came from: the source, the file or stock item, its match score and its author.
    public struct ShotMediaRecord: Codable, Hashable, Sendable {
        /// The shot's id.
        public var shotId: Int
        /// `still` or `clip`.
        public var kind: String
        /// The source: `library`, `procedural`, `comfyui`, `pexels`, `openai-video`, …
        public var source: String
        /// The item at the source (a library file name, `pexels:123`).
        public var sourceItem: String?
        /// How well it matched the shot, 0...1, for search sources.
        public var matchScore: Double?
        /// How a clip fits the shot: `trim`, `loop` or `slow`.
        public var clipFit: String?
        /// The author, for stock media.
        public var author: String?
        /// The media's page at its source, for stock media.
        public var url: String?
        /// The licence, when the source names one.
        public var license: String?
        /// The reference images the source was given, by file name.
        public var references: [String]?
        /// What it cost in US dollars, for paid sources.
        public var costUsd: Double?

        /// Creates a record.
        public init(
            shotId: Int, kind: String, source: String, sourceItem: String? = nil, matchScore: Double? = nil,
            clipFit: String? = nil, author: String? = nil, url: String? = nil, license: String? = nil,
            references: [String]? = nil, costUsd: Double? = nil
        ) {
            self.shotId = shotId
            self.kind = kind
            self.source = source
            self.sourceItem = sourceItem
            self.matchScore = matchScore
            self.clipFit = clipFit
            self.author = author
            self.url = url
            self.license = license
            self.references = references
            self.costUsd = costUsd
        }
    }

    /// The schema version this document was written with; see ``StoryJSON/schemaVersion``.
    public var schemaVersion: Int
    /// The pipeline run's identifier.
    public var runId: String
    /// The ``StoryIdea/id`` of the story.
    public var ideaId: String
    /// The ``Script/id`` of the script.
    public var scriptId: String
    /// When the export was written.
    public var createdAt: Date
    /// The chosen title.
    public var title: String
    /// Other titles to try, best first.
    public var alternativeTitles: [String]
    /// The description to post with the video.
    public var description: String
    /// Hashtags without `#`.
    public var hashtags: [String]
    /// The voice-over's length, in seconds.
    public var voiceDuration: Double
    /// The video's length, in seconds.
    public var videoDuration: Double
    /// Each stage that ran, in order.
    public var stages: [StageRecord]
    /// Every exported file.
    public var files: [File]
    /// The limits that cut what a model asked for, one line each (`script: cut from 5000 to 169 words
    /// (stages.script.parameters.max_words)`); absent when none applied, so a run within every limit writes the
    /// same manifest as before the field existed.
    public var capsApplied: [String]?
    /// Where each shot's picture came from, when the story had media sources; absent otherwise, so runs without
    /// them write the same manifest as before the field existed.
    public var shotMedia: [ShotMediaRecord]?

    /// Creates a manifest written with the current ``StoryJSON/schemaVersion``.
    public init(
        runId: String,
        ideaId: String,
        scriptId: String,
        createdAt: Date,
        title: String,
        alternativeTitles: [String] = [],
        description: String,
        hashtags: [String],
        voiceDuration: Double,
        videoDuration: Double,
        stages: [StageRecord],
        files: [File],
        capsApplied: [String]? = nil
    ) {
        self.schemaVersion = StoryJSON.schemaVersion
        self.runId = runId
        self.ideaId = ideaId
        self.scriptId = scriptId
        self.createdAt = createdAt
        self.title = title
        self.alternativeTitles = alternativeTitles
        self.description = description
        self.hashtags = hashtags
        self.voiceDuration = voiceDuration
        self.videoDuration = videoDuration
        self.stages = stages
        self.files = files
        self.capsApplied = capsApplied?.isEmpty == true ? nil : capsApplied
    }

    /// The tokens of every stage together.
    public var totalUsage: TokenUsage {
        stages.compactMap(\.usage)
            .reduce(TokenUsage(promptTokens: 0, completionTokens: 0)) { $0.adding($1) }
    }

    /// The cost of every stage that reported one, in US dollars.
    public var totalCostUsd: Double { stages.compactMap(\.costUsd).reduce(0, +) }

    /// Per task, which routes served it and why, over every stage in order (calls of the same task, route, model and
    /// reason counted together); empty for a run without task routes.
    public var routeSummary: [RouteRecord] {
        var summary: [RouteRecord] = []
        for record in stages.flatMap({ $0.routes ?? [] }) {
            if let index = summary.firstIndex(where: {
                ($0.task, $0.route, $0.model, $0.reason) == (record.task, record.route, record.model, record.reason)
            }) {
                let (sum, overflow) = summary[index].calls.addingReportingOverflow(record.calls)
                summary[index].calls = overflow ? .max : sum
            } else {
                summary.append(record)
            }
        }
        return summary
    }
}
