/// Why generation stopped.
public struct FinishReason: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The provider's word for it, normalised for the known ones.
    public var rawValue: String
    /// Creates a reason.
    public init(rawValue: String) { self.rawValue = rawValue }

    /// A natural end or a stop sequence.
    public static let stop = Self(rawValue: "stop")
    /// The token limit was reached.
    public static let length = Self(rawValue: "length")
    /// The model called tools and waits for their results.
    public static let toolCalls = Self(rawValue: "tool_calls")
    /// The content filter cut the output.
    public static let contentFilter = Self(rawValue: "content_filter")

    /// The raw value.
    public var description: String { rawValue }
}

/// Tokens counted for a request.
public struct TokenUsage: Sendable, Hashable, Codable {
    /// Tokens in the prompt.
    public var promptTokens: Int
    /// Tokens generated.
    public var completionTokens: Int
    /// Their sum, stopping at `Int.max` rather than overflowing.
    public var totalTokens: Int { CheckedNumber.saturatingSum(promptTokens, completionTokens) }

    /// Creates a usage count.
    public init(promptTokens: Int, completionTokens: Int) {
        self.promptTokens = promptTokens
        self.completionTokens = completionTokens
    }
}

/// A whole chat response.
public struct ChatResponse: Sendable, Hashable {
    /// The generated text.
    public var text: String
    /// The tool calls the model made.
    public var toolCalls: [ToolCall]
    /// Why it stopped.
    public var finishReason: FinishReason
    /// Tokens counted, when the provider reported them.
    public var usage: TokenUsage?
    /// The model that answered, as the provider named it.
    public var model: String
    /// Time from sending the request to the end of the response.
    public var latency: Duration
    /// Which provider served it and how (fallback, cache), when it came through a resilience
    /// decorator or a router; `nil` from a bare provider.
    public var origin: ResponseOrigin?

    /// Creates a response.
    public init(
        text: String,
        toolCalls: [ToolCall] = [],
        finishReason: FinishReason,
        usage: TokenUsage?,
        model: String,
        latency: Duration,
        origin: ResponseOrigin? = nil
    ) {
        self.origin = origin
        self.text = text
        self.toolCalls = toolCalls
        self.finishReason = finishReason
        self.usage = usage
        self.model = model
        self.latency = latency
    }
}

/// A fragment of a tool call as it streams in; fragments with the same `index` make one call.
public struct ToolCallDelta: Sendable, Hashable {
    /// Which call of the response this fragment belongs to.
    public var index: Int
    /// The call's id (usually only in its first fragment).
    public var id: String?
    /// The tool's name (usually only in its first fragment).
    public var name: String?
    /// A piece of the arguments' JSON text.
    public var argumentsFragment: String

    /// Creates a fragment.
    public init(index: Int, id: String? = nil, name: String? = nil, argumentsFragment: String = "") {
        self.index = index
        self.id = id
        self.name = name
        self.argumentsFragment = argumentsFragment
    }
}

/// A typed part of a streamed chat response.
public enum ChatStreamPart: Sendable, Hashable {
    /// More text.
    case textDelta(String)
    /// A fragment of a tool call.
    case toolCallDelta(ToolCallDelta)
    /// Token usage (usually just before the end).
    case usage(TokenUsage)
    /// The model that is answering, as the provider named it.
    case model(String)
    /// The end of the response, and why.
    case finish(FinishReason)
}

/// Builds a ``ChatResponse`` from streamed parts: text concatenated, tool calls assembled from
/// their indexed fragments.
public struct ChatStreamAccumulator: Sendable {
    private var text = ""
    private var calls: [Int: ToolCall] = [:]
    private var usage: TokenUsage?
    private var model: String
    private var finishReason: FinishReason?
    private let start = ContinuousClock.now

    /// Creates an accumulator; `model` is used until a ``ChatStreamPart/model(_:)`` part names one.
    public init(model: String = "") {
        self.model = model
    }

    /// Whether a ``ChatStreamPart/finish(_:)`` part has been seen.
    public var isFinished: Bool { finishReason != nil }

    /// Adds a part.
    public mutating func add(_ part: ChatStreamPart) {
        switch part {
        case .textDelta(let delta): text += delta
        case .toolCallDelta(let delta):
            var call = calls[delta.index] ?? ToolCall(id: "", name: "", arguments: "")
            if let id = delta.id, !id.isEmpty { call.id = id }
            if let name = delta.name, !name.isEmpty { call.name += name }
            call.arguments += delta.argumentsFragment
            calls[delta.index] = call
        case .usage(let usage): self.usage = usage
        case .model(let model): self.model = model
        case .finish(let reason): finishReason = reason
        }
    }

    /// The response so far (finish reason `stop` when none was seen).
    public var response: ChatResponse {
        ChatResponse(
            text: text,
            toolCalls: calls.keys.sorted().compactMap { calls[$0] },
            finishReason: finishReason ?? .stop,
            usage: usage,
            model: model,
            latency: ContinuousClock.now - start
        )
    }
}
