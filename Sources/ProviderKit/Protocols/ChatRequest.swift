import Foundation
public import StoryForgeCore

/// Who said a chat message.
public enum ChatRole: String, Sendable, Hashable, Codable {
    /// Instructions for the model.
    case system
    /// The person (or program) asking.
    case user
    /// The model.
    case assistant
    /// The result of a tool call.
    case tool
}

/// One message of a chat.
public struct ChatMessage: Sendable, Hashable {
    /// Who said it.
    public var role: ChatRole
    /// What was said.
    public var content: String
    /// The tool calls an assistant message made.
    public var toolCalls: [ToolCall]
    /// For a ``ChatRole/tool`` message: the id of the call it answers.
    public var toolCallID: String?

    /// Creates a message.
    public init(role: ChatRole, content: String, toolCalls: [ToolCall] = [], toolCallID: String? = nil) {
        self.role = role
        self.content = content
        self.toolCalls = toolCalls
        self.toolCallID = toolCallID
    }

    /// A system message.
    public static func system(_ content: String) -> Self { Self(role: .system, content: content) }
    /// A user message.
    public static func user(_ content: String) -> Self { Self(role: .user, content: content) }
    /// An assistant message.
    public static func assistant(_ content: String, toolCalls: [ToolCall] = []) -> Self {
        Self(role: .assistant, content: content, toolCalls: toolCalls)
    }
    /// A tool result answering the call with id `callID`.
    public static func tool(_ content: String, callID: String) -> Self {
        Self(role: .tool, content: content, toolCallID: callID)
    }
}

/// A tool the model may call.
public struct ToolDefinition: Sendable, Hashable {
    /// The function name.
    public var name: String
    /// What it does, for the model.
    public var description: String
    /// Its parameters as a JSON schema object.
    public var parameters: JSONValue

    /// Creates a tool definition.
    public init(name: String, description: String, parameters: JSONValue = ["type": "object", "properties": [:]]) {
        self.name = name
        self.description = description
        self.parameters = parameters
    }
}

/// A call the model made to a tool.
public struct ToolCall: Sendable, Hashable {
    /// The call's id, to answer with a ``ChatRole/tool`` message.
    public var id: String
    /// The tool's name.
    public var name: String
    /// The arguments as JSON text, exactly as the model produced them.
    public var arguments: String

    /// Creates a tool call.
    public init(id: String, name: String, arguments: String) {
        self.id = id
        self.name = name
        self.arguments = arguments
    }

    /// The arguments parsed as JSON.
    ///
    /// - Throws: ``ProviderError/malformedResponse(_:rawText:)`` when the model's arguments are not JSON.
    public func parsedArguments() throws -> JSONValue {
        try JSONValue(parsing: Data(arguments.utf8))
    }
}

/// The shape of output asked for.
public enum ResponseFormat: Sendable, Hashable {
    /// Free text.
    case text
    /// Any JSON object.
    case jsonObject
    /// JSON matching a schema; `strict` asks the provider to enforce it exactly.
    case jsonSchema(name: String, schema: JSONValue, strict: Bool = true)
}

/// A chat completion request.
public struct ChatRequest: Sendable, Hashable {
    /// The model; `nil` uses the provider's configured default.
    public var model: String?
    /// The conversation so far.
    public var messages: [ChatMessage]
    /// Sampling temperature.
    public var temperature: Double?
    /// The most tokens to generate.
    public var maxTokens: Int?
    /// Sequences that end generation.
    public var stop: [String]
    /// A seed for reproducible sampling, where the provider honours one.
    public var seed: Int?
    /// The output shape.
    public var responseFormat: ResponseFormat
    /// Tools the model may call.
    public var tools: [ToolDefinition]
    /// The kind of work this call does, for a router with per-task routes (``TaskRoutes``), logs, metrics and
    /// manifests; `nil` takes the default route list. Never sent to a server.
    public var task: ModelTask?
    /// Asks a router with per-task routes to skip the route that served an earlier answer and the ones before it,
    /// because that answer was judged too weak; `nil` routes as usual. Never sent to a server.
    public var escalation: RouteEscalation?

    /// Creates a request.
    public init(
        model: String? = nil,
        messages: [ChatMessage],
        temperature: Double? = nil,
        maxTokens: Int? = nil,
        stop: [String] = [],
        seed: Int? = nil,
        responseFormat: ResponseFormat = .text,
        tools: [ToolDefinition] = [],
        task: ModelTask? = nil
    ) {
        self.model = model
        self.messages = messages
        self.temperature = temperature
        self.maxTokens = maxTokens
        self.stop = stop
        self.seed = seed
        self.responseFormat = responseFormat
        self.tools = tools
        self.task = task
        self.escalation = nil
    }
}

/// A request to go past the route that served a weak answer (the revision stage's score under its threshold): the
/// router starts after ``after`` in the task's route list and records ``reason`` in its decision.
public struct RouteEscalation: Sendable, Hashable, Codable {
    /// The route that served the answer judged too weak (``RoutingDecision/route``).
    public var after: String
    /// Why: ``RoutingReason/lowScore`` for a score under its threshold.
    public var reason: RoutingReason

    /// Creates an escalation past the route `after`.
    public init(after: String, reason: RoutingReason = .lowScore) {
        self.after = after
        self.reason = reason
    }
}
