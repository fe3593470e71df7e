import Foundation
public import Logging
public import MCP
public import StoryServer

/// StoryForge as a Model Context Protocol server: the tools `create_story_video`, `get_story_status`,
/// `list_stories` and `cancel_story`, and the finished stories' files as resources
/// (`storyforge://stories/{id}/{name}`), all answered by a ``StoryService`` exactly as the REST API answers.
///
/// One MCP `Server` serves one client for one ``StoryOwner``: ``runStdio(owner:)`` serves the process's standard
/// input and output (an agent that starts `story-server mcp`), ``StoryMCPRoutes`` one `Server` per Streamable HTTP
/// session, each bound to the token that opened it.
///
/// ```swift
/// let mcp = StoryMCPServer(service: service)
/// try await mcp.runStdio()          // until the client closes standard input
/// ```
public struct StoryMCPServer: Sendable {
    /// Names, limits and the base URL the tools' answers point at.
    public struct Configuration: Sendable, Hashable {
        /// The largest resource read ever sends (256 MiB): a JSON-RPC message holds it whole, base64 on one line.
        public static let maxResourceBytes = 256 << 20

        /// The implementation name `initialize` reports.
        public var name: String
        /// The version `initialize` reports.
        public var version: String
        /// The largest text resource (manifest, subtitles, script) read sends; larger ones are an error that points
        /// at the REST download. Clamped to 0...``maxResourceBytes``.
        public var maxTextResourceBytes: Int {
            didSet { maxTextResourceBytes = Self.clamp(maxTextResourceBytes) }
        }
        /// The largest binary resource (video, audio, image) read sends, before base64. Clamped to
        /// 0...``maxResourceBytes``.
        public var maxBlobResourceBytes: Int {
            didSet { maxBlobResourceBytes = Self.clamp(maxBlobResourceBytes) }
        }
        /// How many stories one `resources/list` page covers (each with all its files). Clamped to 1...100.
        public var storiesPerResourcePage: Int {
            didSet { storiesPerResourcePage = min(max(storiesPerResourcePage, 1), 100) }
        }
        /// What `status_url` and `events_url` start with: the server's public base (`https://stories.example`),
        /// or empty for paths relative to wherever the REST API is served.
        public var baseURL: String

        /// Creates a configuration.
        ///
        /// - Parameters:
        ///   - maxTextResourceBytes: 4 MiB by default: a manifest or subtitle file is kilobytes.
        ///   - maxBlobResourceBytes: 16 MiB by default, about a minute of the default 1080×1920 render; agents'
        ///     clients hold a whole message in memory, so longer videos are downloaded over REST instead.
        public init(
            name: String = "storyforge", version: String = "1.0.0", maxTextResourceBytes: Int = 4 << 20,
            maxBlobResourceBytes: Int = 16 << 20, storiesPerResourcePage: Int = 20, baseURL: String = ""
        ) {
            self.name = name
            self.version = version
            self.maxTextResourceBytes = Self.clamp(maxTextResourceBytes)
            self.maxBlobResourceBytes = Self.clamp(maxBlobResourceBytes)
            self.storiesPerResourcePage = min(max(storiesPerResourcePage, 1), 100)
            self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        }

        private static func clamp(_ bytes: Int) -> Int { min(max(bytes, 0), maxResourceBytes) }
    }

    /// What answers the tools and resources.
    public let service: any StoryService
    /// Names and limits.
    public let configuration: Configuration
    /// Where failures of the service that are not ``StoryServerError``s are logged (their text never reaches a
    /// client).
    public let logger: Logger

    /// Creates the server's description; nothing runs until ``makeServer(owner:)`` or ``runStdio(owner:)``.
    public init(service: any StoryService, configuration: Configuration = .init(), logger: Logger? = nil) {
        self.service = service
        self.configuration = configuration
        self.logger = logger ?? Logger(label: "storyforge.mcp")
    }

    /// What `initialize` tells the agent about using the tools.
    public static let instructions = """
        Make short narrated videos from a topic. Call create_story_video, then get_story_status with its id every \
        few seconds until status is succeeded (minutes; failed and cancelled are final too). A succeeded story's \
        files are resources: read storyforge://stories/{id}/manifest.json for its title, duration and file list, \
        and storyforge://stories/{id}/video.mp4 for the video.
        """

    /// A new MCP `Server` with the tools and resources registered, answering for `owner`; start it on a transport.
    public func makeServer(owner: StoryOwner) async -> Server {
        let server = Server(
            name: configuration.name, version: configuration.version, title: "StoryForge",
            instructions: Self.instructions,
            capabilities: .init(
                resources: .init(subscribe: false, listChanged: false), tools: .init(listChanged: false))
        )
        let service = service
        let configuration = configuration
        let logger = logger
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: StoryTools.all) }
        await server.withMethodHandler(CallTool.self) { parameters in
            guard StoryTools.all.contains(where: { $0.name == parameters.name }) else {
                // A protocol error, as MCP asks for an unknown tool.
                let names = StoryTools.all.map(\.name).joined(separator: ", ")
                throw MCPError.invalidParams("unknown tool `\(parameters.name)`: the tools are \(names)")
            }
            return await StoryTools.call(
                parameters, owner: owner, service: service, configuration: configuration, logger: logger)
        }
        await server.withMethodHandler(ListResources.self) { parameters in
            try await StoryResources.list(
                cursor: parameters.cursor, owner: owner, service: service, configuration: configuration)
        }
        await server.withMethodHandler(ListResourceTemplates.self) { _ in
            ListResourceTemplates.Result(templates: [StoryResources.template])
        }
        await server.withMethodHandler(ReadResource.self) { parameters in
            try await StoryResources.read(parameters.uri, owner: owner, service: service, configuration: configuration)
        }
        return server
    }

    /// Serves one client over standard input and output until it closes its end (or the task is cancelled).
    ///
    /// Standard output carries the protocol alone: log to standard error.
    public func runStdio(owner: StoryOwner = .local) async throws {
        let server = await makeServer(owner: owner)
        try await server.start(transport: StdioTransport(logger: logger))
        await withTaskCancellationHandler {
            await server.waitUntilCompleted()
        } onCancel: {
            Task { await server.stop() }
        }
        await server.stop()
    }

    // MARK: Shared

    /// The API's JSON: snake_case keys (the wire types' own), dates as ISO 8601 in UTC, sorted keys.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// The REST API's error code for a server error (`invalid_request`, `not_found`, …; see ``APIErrorBody``).
    static func wireCode(_ code: StoryServerError.Code) -> String {
        switch code {
        case .invalidRequest: "invalid_request"
        case .unauthorized: "unauthorized"
        case .notFound: "not_found"
        case .conflict: "conflict"
        case .payloadTooLarge: "payload_too_large"
        case .rateLimited: "rate_limited"
        case .unavailable: "unavailable"
        default: "internal"
        }
    }

    /// A server error as a JSON-RPC error, for the resource methods (which, unlike tools, have no error result).
    static func protocolError(_ error: StoryServerError) -> MCPError {
        switch error.code {
        case .invalidRequest: .invalidParams(error.message)
        case .notFound: .serverError(code: StoryResources.notFoundCode, message: error.message)
        default: .internalError("\(wireCode(error.code)): \(error.message)")
        }
    }
}
