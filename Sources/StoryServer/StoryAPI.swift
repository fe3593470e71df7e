public import Foundation
public import StoryForgeCore

// The JSON of the REST API (version 1) and of the MCP tools: snake_case keys, dates as ISO 8601 strings in UTC.
// Decoding is strict: an unknown field is a 400 that names it.

/// `POST /v1/stories`: what story to make.
public struct CreateStoryRequest: Codable, Sendable, Hashable {
    /// What the story is about (1–500 characters).
    public var topic: String
    /// The seed; the same request with the same seed makes the same video.
    public var seed: Int?
    /// The spoken length to aim for, in seconds.
    public var targetSeconds: Double?
    /// `9:16` (default), `16:9`, `1:1` or `4:5`.
    public var aspect: String?
    /// The voice name of the speech provider.
    public var voice: String?
    /// The narration's language (BCP-47), e.g. `en`, `de`.
    public var language: String?
    /// Configuration overrides, in the configuration file's JSON shape (checked as a file is).
    public var config: [String: JSONValue]?
    /// Where to POST the final state (HTTPS or HTTP; loopback and private addresses only when the server
    /// allows them).
    public var webhookURL: String?

    /// Creates a request.
    public init(
        topic: String, seed: Int? = nil, targetSeconds: Double? = nil, aspect: String? = nil, voice: String? = nil,
        language: String? = nil, config: [String: JSONValue]? = nil, webhookURL: String? = nil
    ) {
        self.topic = topic
        self.seed = seed
        self.targetSeconds = targetSeconds
        self.aspect = aspect
        self.voice = voice
        self.language = language
        self.config = config
        self.webhookURL = webhookURL
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case topic, seed, aspect, voice, language, config
        case targetSeconds = "target_seconds"
        case webhookURL = "webhook_url"
    }
}

/// `202` to `POST /v1/stories`: where to follow the story.
public struct StoryCreated: Codable, Sendable, Hashable {
    /// The story's id.
    public var id: String
    /// `/v1/stories/{id}`.
    public var statusURL: String
    /// `/v1/stories/{id}/events`.
    public var eventsURL: String

    /// Creates the answer.
    public init(id: String, statusURL: String, eventsURL: String) {
        self.id = id
        self.statusURL = statusURL
        self.eventsURL = eventsURL
    }

    enum CodingKeys: String, CodingKey {
        case id
        case statusURL = "status_url"
        case eventsURL = "events_url"
    }
}

/// `GET /v1/stories/{id}`: where a story stands.
public struct StoryStatus: Codable, Sendable, Hashable {
    /// The states a story goes through.
    public enum State: String, Codable, Sendable, Hashable, CaseIterable {
        /// Waiting for a worker.
        case queued
        /// A worker is making it.
        case running
        /// Made; its files can be downloaded.
        case succeeded
        /// Failed for good (its attempts are used up); ``StoryStatus/error`` says why. Retry re-runs it.
        case failed
        /// Cancelled by its owner.
        case cancelled

        /// Whether the story will not change any more (until a retry).
        public var isFinal: Bool { self == .succeeded || self == .failed || self == .cancelled }
    }

    /// Why a story failed.
    public struct Failure: Codable, Sendable, Hashable {
        /// A stable code (`provider_unavailable`, `invalid_configuration`, `qc_failed`, …).
        public var code: String
        /// What happened and what to do, with no secret in it.
        public var message: String

        /// Creates a failure.
        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// A file of a finished story.
    public struct File: Codable, Sendable, Hashable {
        /// Its name in the manifest (`video.mp4`, `subtitles.srt`, `manifest.json`, …).
        public var name: String
        /// Its size in bytes.
        public var size: Int64
        /// Its hex SHA-256.
        public var sha256: String
        /// Its MIME type.
        public var contentType: String
        /// `/v1/stories/{id}/files/{name}`.
        public var url: String

        /// Creates a file entry.
        public init(name: String, size: Int64, sha256: String, contentType: String, url: String) {
            self.name = name
            self.size = size
            self.sha256 = sha256
            self.contentType = contentType
            self.url = url
        }

        enum CodingKeys: String, CodingKey {
            case name, size, sha256, url
            case contentType = "content_type"
        }
    }

    /// The story's id.
    public var id: String
    /// Where it stands.
    public var status: State
    /// The topic it was asked for.
    public var topic: String
    /// Its title, once the script exists.
    public var title: String?
    /// The stage running now (`write_script`, `assemble`, …), while running.
    public var stage: String?
    /// How far the whole run is, 0...1.
    public var fraction: Double
    /// How many attempts it has used.
    public var attempt: Int
    /// When it was queued.
    public var createdAt: Date
    /// When its latest attempt started.
    public var startedAt: Date?
    /// When it reached a final state.
    public var finishedAt: Date?
    /// Why it failed.
    public var error: Failure?
    /// Its files, once succeeded.
    public var files: [File]
    /// What its paid providers cost, in US dollars, when any were used.
    public var costUSD: Double?

    /// Creates a status.
    public init(
        id: String, status: State, topic: String, title: String? = nil, stage: String? = nil, fraction: Double = 0,
        attempt: Int = 0, createdAt: Date, startedAt: Date? = nil, finishedAt: Date? = nil, error: Failure? = nil,
        files: [File] = [], costUSD: Double? = nil
    ) {
        self.id = id
        self.status = status
        self.topic = topic
        self.title = title
        self.stage = stage
        self.fraction = fraction
        self.attempt = attempt
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.error = error
        self.files = files
        self.costUSD = costUSD
    }

    enum CodingKeys: String, CodingKey {
        case id, status, topic, title, stage, fraction, attempt, error, files
        case createdAt = "created_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case costUSD = "cost_usd"
    }
}

/// `GET /v1/stories`: a page of stories, newest first.
public struct StoryPage: Codable, Sendable, Hashable {
    /// The stories on this page.
    public var stories: [StoryStatus]
    /// The cursor of the next page (`?cursor=`), or `nil` on the last one.
    public var nextCursor: String?

    /// Creates a page.
    public init(stories: [StoryStatus], nextCursor: String?) {
        self.stories = stories
        self.nextCursor = nextCursor
    }

    enum CodingKeys: String, CodingKey {
        case stories
        case nextCursor = "next_cursor"
    }
}

/// One event of `GET /v1/stories/{id}/events` (Server-Sent Events: `id:` is ``id``, `event:` is ``kind``,
/// `data:` is ``status`` as JSON).
public struct StoryEvent: Sendable, Hashable {
    /// What changed.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The state, stage or fraction changed.
        case progress
        /// The story reached a final state; the stream ends after this event.
        case done
    }

    /// Increasing within a story; a client resumes with `Last-Event-ID`.
    public var id: Int
    /// What changed.
    public var kind: Kind
    /// The story as it stands after the change.
    public var status: StoryStatus

    /// Creates an event.
    public init(id: Int, kind: Kind, status: StoryStatus) {
        self.id = id
        self.kind = kind
        self.status = status
    }
}

/// The body of every 4xx and 5xx answer: `{"error": {"code": "...", "message": "..."}}`.
public struct APIErrorBody: Codable, Sendable, Hashable {
    /// The error.
    public struct Detail: Codable, Sendable, Hashable {
        /// A stable code: `invalid_request`, `unauthorized`, `not_found`, `conflict`, `payload_too_large`,
        /// `rate_limited`, `internal`.
        public var code: String
        /// What is wrong, naming the field or header.
        public var message: String

        /// Creates a detail.
        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// The error.
    public var error: Detail

    /// Creates a body.
    public init(code: String, message: String) { self.error = Detail(code: code, message: message) }
}
