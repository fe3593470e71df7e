import Foundation

/// One webhook to send: the queue payload of a `story.webhook` job (``WebhookJobs``). It carries the body as
/// it will be signed, so that every retry sends the same bytes; never the secret, which stays with the server.
public struct WebhookDelivery: Codable, Sendable, Hashable {
    /// The story it is about.
    public var storyID: String
    /// Where to POST (checked again, and resolved, at each attempt).
    public var url: String
    /// `story.succeeded`, `story.failed` or `story.cancelled` (the `StoryForge-Event` header).
    public var event: String
    /// The story's ``StoryStatus`` as JSON, exactly the bytes sent and signed.
    public var body: String

    /// Creates a delivery.
    public init(storyID: String, url: String, event: String, body: String) {
        self.storyID = storyID
        self.url = url
        self.event = event
        self.body = body
    }

    /// The delivery of a story's final state: `story.<state>` with its status as the API writes it.
    ///
    /// - Throws: ``StoryServerError`` `invalidRequest` when the story is not in a final state.
    public init(status: StoryStatus, url: String) throws {
        guard status.status.isFinal else {
            throw StoryServerError.invalidRequest(
                "story \(status.id) is \(status.status.rawValue); webhooks are sent for final states only")
        }
        let data = try WebhookJSON.encoder.encode(status)
        self.init(
            storyID: status.id, url: url, event: "story.\(status.status.rawValue)",
            body: String(decoding: data, as: UTF8.self))
    }

    enum CodingKeys: String, CodingKey {
        case url, event, body
        case storyID = "story_id"
    }
}

/// The JSON coders of webhook payloads: ISO 8601 dates (UTC), sorted keys so a body is reproducible.
enum WebhookJSON {
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static var decoder: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
