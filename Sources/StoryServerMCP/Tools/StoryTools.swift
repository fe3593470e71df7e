import Foundation
import Logging
import MCP
import StoryForgeCore
import StoryServer

/// The four tools an agent makes stories with: their names, input schemas, and what a call does.
///
/// Every call goes to the ``StoryService`` for one ``StoryOwner``; a bad argument, a story of another owner and a
/// failing service all come back as a tool result with `isError: true` and a message an agent can act on (MCP's
/// "tool execution error"), never as a crash or a protocol error.
enum StoryTools {
    static let create = "create_story_video"
    static let status = "get_story_status"
    static let list = "list_stories"
    static let cancel = "cancel_story"

    /// The longest page `list_stories` returns (the REST API's `limit` maximum).
    static let maxListLimit = 100
    /// The page `list_stories` returns without `limit`.
    static let defaultListLimit = 20

    static let createArguments = [
        "topic", "seed", "target_seconds", "aspect", "voice", "language", "config", "webhook_url", "idempotency_key",
    ]

    /// The tools as `tools/list` describes them.
    static let all: [Tool] = [
        Tool(
            name: create,
            title: "Create a story video",
            description: """
                Queues a narrated short video about a topic (script, voice-over, subtitles, images, a vertical MP4 by \
                default). Returns the story's id and status URL at once; the video takes minutes: poll \
                get_story_status until its status is succeeded, then read its files as resources \
                (storyforge://stories/{id}/{name}).
                """,
            inputSchema: .object([
                "type": "object",
                "additionalProperties": false,
                "required": ["topic"],
                "properties": .object([
                    "topic": .object([
                        "type": "string", "minLength": 1, "maxLength": 500,
                        "description": "What the story is about.",
                    ]),
                    "seed": .object([
                        "type": "integer", "minimum": 0,
                        "description": "The same topic, options and seed make the same video.",
                    ]),
                    "target_seconds": .object([
                        "type": "number", "exclusiveMinimum": 0,
                        "description": "The spoken length to aim for, in seconds.",
                    ]),
                    "aspect": .object([
                        "type": "string", "enum": ["9:16", "16:9", "1:1", "4:5"],
                        "description": "The frame's aspect ratio; 9:16 (vertical) by default.",
                    ]),
                    "voice": .object(["type": "string", "description": "The speech provider's voice name."]),
                    "language": .object([
                        "type": "string", "description": "The narration's language (BCP-47: en, de, …).",
                    ]),
                    "config": .object([
                        "type": "object",
                        "description": "Overrides in the configuration file's JSON shape, checked as a file is.",
                    ]),
                    "webhook_url": .object([
                        "type": "string", "format": "uri",
                        "description": "Where the server POSTs the final state (signed with HMAC-SHA256).",
                    ]),
                    "idempotency_key": .object([
                        "type": "string", "minLength": 1, "maxLength": 200,
                        "description": "The same key returns the story it made first instead of a second one.",
                    ]),
                ]),
            ]),
            annotations: .init(readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false)
        ),
        Tool(
            name: status,
            title: "Get a story's status",
            description: """
                Where a story stands: queued, running (with its stage and fraction), succeeded (with its files, each \
                a resource link), failed (with an error code and message) or cancelled.
                """,
            inputSchema: idSchema("The id create_story_video returned."),
            annotations: .init(readOnlyHint: true, openWorldHint: false)
        ),
        Tool(
            name: list,
            title: "List stories",
            description: "Your stories, newest first, a page at a time; filter by status.",
            inputSchema: .object([
                "type": "object",
                "additionalProperties": false,
                "properties": .object([
                    "status": .object([
                        "type": "string", "enum": .array(StoryStatus.State.allCases.map { .string($0.rawValue) }),
                    ]),
                    "cursor": .object([
                        "type": "string", "description": "The next_cursor of the page before.",
                    ]),
                    "limit": .object([
                        "type": "integer", "minimum": 1, "maximum": .int(maxListLimit),
                        "description": "Stories per page (\(defaultListLimit) by default).",
                    ]),
                ]),
            ]),
            annotations: .init(readOnlyHint: true, openWorldHint: false)
        ),
        Tool(
            name: cancel,
            title: "Cancel a story",
            description: "Stops a queued or running story; a finished one stays as it is.",
            inputSchema: idSchema("The story to cancel."),
            annotations: .init(readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false)
        ),
    ]

    private static func idSchema(_ description: String) -> Value {
        .object([
            "type": "object",
            "additionalProperties": false,
            "required": ["id"],
            "properties": .object([
                "id": .object(["type": "string", "minLength": 1, "description": .string(description)])
            ]),
        ])
    }

    // MARK: Calls

    /// Runs one tool call for `owner`.
    static func call(
        _ parameters: CallTool.Parameters, owner: StoryOwner, service: any StoryService,
        configuration: StoryMCPServer.Configuration, logger: Logger
    ) async -> CallTool.Result {
        do {
            switch parameters.name {
            case create:
                return try await createStory(parameters.arguments, owner: owner, service: service, configuration)
            case status:
                let arguments = try ToolArguments(tool: status, arguments: parameters.arguments, allowed: ["id"])
                let id = try arguments.requiredString("id")
                guard let story = try await service.story(id, owner: owner) else { throw notFound(id) }
                return try result(story, links: resourceLinks(story))
            case list:
                return try await listStories(parameters.arguments, owner: owner, service: service)
            case cancel:
                let arguments = try ToolArguments(tool: cancel, arguments: parameters.arguments, allowed: ["id"])
                let id = try arguments.requiredString("id")
                guard let story = try await service.cancel(id, owner: owner) else { throw notFound(id) }
                return try result(story)
            default:
                // Unreachable through Server (it answers unknown tools before), kept for a direct caller.
                let names = all.map(\.name).joined(separator: ", ")
                throw StoryServerError.invalidRequest("unknown tool `\(parameters.name)`: the tools are \(names)")
            }
        } catch let error as StoryServerError {
            return failure(StoryMCPServer.wireCode(error.code), error.message)
        } catch {
            // Not one of ours: its text may hold paths or a driver's detail, so it goes to the log, not the agent.
            logger.error(
                "mcp tool call failed",
                metadata: ["mcp.tool": "\(parameters.name)", "error": "\(String(reflecting: error))"])
            return failure("internal", "the story service failed; the server's log has the details")
        }
    }

    private static func createStory(
        _ raw: [String: Value]?, owner: StoryOwner, service: any StoryService,
        _ configuration: StoryMCPServer.Configuration
    ) async throws -> CallTool.Result {
        let arguments = try ToolArguments(tool: create, arguments: raw, allowed: createArguments)
        let request = CreateStoryRequest(
            topic: try arguments.requiredString("topic"),
            seed: try arguments.integer("seed"),
            targetSeconds: try arguments.number("target_seconds"),
            aspect: try arguments.string("aspect"),
            voice: try arguments.string("voice"),
            language: try arguments.string("language"),
            config: try arguments.object("config"),
            webhookURL: try arguments.string("webhook_url")
        )
        let key = try arguments.string("idempotency_key")
        if let key, key.isEmpty || key.count > 200 {
            throw StoryServerError.invalidRequest("argument `idempotency_key` must be 1–200 characters")
        }
        let story = try await service.create(request, owner: owner, idempotencyKey: key)
        let created = CreatedStory(
            id: story.id, status: story.status,
            statusURL: configuration.baseURL + "/v1/stories/\(story.id)",
            eventsURL: configuration.baseURL + "/v1/stories/\(story.id)/events",
            resourcePrefix: StoryResourceURI.prefix(story: story.id)
        )
        return try result(created)
    }

    private static func listStories(
        _ raw: [String: Value]?, owner: StoryOwner, service: any StoryService
    ) async throws -> CallTool.Result {
        let arguments = try ToolArguments(tool: list, arguments: raw, allowed: ["status", "cursor", "limit"])
        var state: StoryStatus.State?
        if let text = try arguments.string("status") {
            guard let known = StoryStatus.State(rawValue: text) else {
                let states = StoryStatus.State.allCases.map(\.rawValue).joined(separator: ", ")
                throw StoryServerError.invalidRequest("argument `status` must be one of \(states), not `\(text)`")
            }
            state = known
        }
        let limit = try arguments.integer("limit") ?? defaultListLimit
        guard (1...maxListLimit).contains(limit) else {
            throw StoryServerError.invalidRequest("argument `limit` must be 1...\(maxListLimit), not \(limit)")
        }
        let page = try await service.stories(
            owner: owner, status: state, cursor: try arguments.string("cursor"), limit: limit)
        return try result(page)
    }

    private static func notFound(_ id: String) -> StoryServerError {
        .notFound("no story `\(id)`: list_stories shows your stories")
    }

    private static func resourceLinks(_ story: StoryStatus) -> [Tool.Content] {
        guard story.status == .succeeded else { return [] }
        return story.files.map { file in
            .resourceLink(
                uri: StoryResourceURI(story: story.id, name: file.name).text, name: file.name,
                description: "\(file.size) bytes, sha256 \(file.sha256)", mimeType: file.contentType)
        }
    }

    /// A success: the value as JSON text (for clients that show text) and as structured content.
    private static func result(_ value: some Encodable, links: [Tool.Content] = []) throws -> CallTool.Result {
        let data = try StoryMCPServer.encoder.encode(value)
        let structured = try JSONDecoder().decode(Value.self, from: data)
        let text = String(decoding: data, as: UTF8.self)
        return CallTool.Result(
            content: [.text(text: text, annotations: nil, _meta: nil)] + links, structuredContent: Optional(structured),
            isError: false)
    }

    /// A tool execution error: `code: message`, and the same as `{"error": {"code", "message"}}` structured content.
    private static func failure(_ code: String, _ message: String) -> CallTool.Result {
        CallTool.Result(
            content: [.text(text: "\(code): \(message)", annotations: nil, _meta: nil)],
            structuredContent: .object(["error": .object(["code": .string(code), "message": .string(message)])]),
            isError: true)
    }
}

/// What `create_story_video` answers: where to follow the story.
struct CreatedStory: Encodable {
    var id: String
    var status: StoryStatus.State
    var statusURL: String
    var eventsURL: String
    var resourcePrefix: String

    enum CodingKeys: String, CodingKey {
        case id, status
        case statusURL = "status_url"
        case eventsURL = "events_url"
        case resourcePrefix = "resource_uri_prefix"
    }
}
