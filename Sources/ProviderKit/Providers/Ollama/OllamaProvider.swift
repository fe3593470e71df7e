public import Foundation
public import Logging
import StoryForgeCore

/// Ollama's native API: `/api/chat` and `/api/generate` streamed as NDJSON, and `/api/tags`.
///
/// Follows Ollama's ways: durations in nanoseconds, tool-call arguments as JSON objects rather
/// than text, errors sent as `{"error": "..."}` lines in the middle of a 200 stream, and a stream
/// that is complete only when a line says `"done": true`.
///
/// ```swift
/// let ollama = OllamaProvider(configuration: .fromEnvironment())
/// for try await part in ollama.stream(ChatRequest(model: "llama3.2", messages: [.user("Hi")])) { ... }
/// ```
public struct OllamaProvider: TextGenerator {
    /// Where Ollama listens and which model to use by default.
    public struct Configuration: Sendable, CustomStringConvertible {
        /// The server, e.g. `http://127.0.0.1:11434`.
        public var baseURL: URL
        /// The model used when a request names none.
        public var chatModel: String
        /// How long Ollama keeps the model loaded after a request (its `keep_alive`), e.g. `5m`.
        public var keepAlive: String?
        /// Time limits; loading a model can take a while, so the first-byte limit is generous.
        public var timeouts: HTTPTimeouts
        /// The largest response accepted, in bytes.
        public var maxResponseBytes: Int
        /// Where requests are logged (method, path, status, duration; never keys, headers or bodies).
        public var logger: Logger

        /// Creates a configuration.
        public init(
            baseURL: URL = URL(string: "http://127.0.0.1:11434")!,  // a valid literal
            chatModel: String = "llama3.2",
            keepAlive: String? = nil,
            timeouts: HTTPTimeouts = HTTPTimeouts(firstByte: .seconds(300)),
            maxResponseBytes: Int = 64 << 20,
            logger: Logger = Logger(label: "storyforge.provider")
        ) {
            self.baseURL = baseURL
            self.chatModel = chatModel
            self.keepAlive = keepAlive
            self.timeouts = timeouts
            self.maxResponseBytes = maxResponseBytes
            self.logger = logger
        }

        /// A configuration from `OLLAMA_HOST` (`host`, `host:port` or a URL; default
        /// `http://127.0.0.1:11434`) and `OLLAMA_MODEL`.
        public static func fromEnvironment(
            _ environment: [String: String] = ProcessInfo.processInfo.environment
        ) -> Self {
            var configuration = Self()
            if let host = environment["OLLAMA_HOST"], let url = hostURL(host) { configuration.baseURL = url }
            if let model = environment["OLLAMA_MODEL"], !model.isEmpty { configuration.chatModel = model }
            return configuration
        }

        /// Reads `OLLAMA_HOST` the way Ollama does: scheme `http` and port 11434 unless given;
        /// `0.0.0.0` (a listen address) means this machine.
        static func hostURL(_ text: String) -> URL? {
            var value = text.trimmingCharacters(in: .whitespaces)
            guard !value.isEmpty else { return nil }
            if !value.contains("://") { value = "http://" + value }
            guard var components = URLComponents(string: value), let host = components.host, !host.isEmpty else {
                return nil
            }
            if host == "0.0.0.0" { components.host = "127.0.0.1" }
            if components.port == nil { components.port = 11434 }
            if components.path == "/" { components.path = "" }
            return components.url
        }

        /// The server and model.
        public var description: String { "Ollama \(baseURL.absoluteString) (model \(chatModel))" }
    }

    /// The configuration.
    public let configuration: Configuration
    private let client: ProviderHTTPClient

    /// Creates a provider over `transport` (the platform default when omitted).
    public init(
        configuration: Configuration = .fromEnvironment(), transport: any HTTPTransport = DefaultHTTPTransport()
    ) {
        self.configuration = configuration
        client = ProviderHTTPClient(
            transport: transport, baseURL: configuration.baseURL, authHeaders: [], extraHeaders: [],
            timeouts: configuration.timeouts, maxResponseBytes: configuration.maxResponseBytes,
            providerName: "Ollama at \(configuration.baseURL.host ?? "?"):\(configuration.baseURL.port ?? 11434)",
            logger: configuration.logger)
    }

    /// Streaming, tools, JSON schema, seed and a model list.
    public var capabilities: ProviderCapabilities { [.streaming, .toolCalls, .structuredOutput, .seed, .modelList] }

    /// `ollama`, its chat model, and a digest of the base URL.
    public var identity: ProviderIdentity {
        ProviderIdentity(
            name: "ollama", models: [.chat: configuration.chatModel],
            configuration: ["base_url": configuration.baseURL.absoluteString])
    }

    /// `GET /api/tags`.
    public func models() async throws -> [ModelInfo] {
        let json = try await client.json(.get, "api/tags")
        guard case .array(let items)? = json["models"] else {
            throw ProviderError.malformedResponse("the tag list has no models array", rawText: json.jsonText)
        }
        return items.compactMap { item in
            (item["name"] ?? item["model"])?.stringValue.map {
                // A size is a count from the server: clamped to 0…2^53, dropped when not finite.
                ModelInfo(id: $0, sizeBytes: CheckedNumber.count(item["size"]?.numberValue))
            }
        }
    }

    /// Lists the local models.
    public func checkHealth() async throws -> HealthReport {
        let start = ContinuousClock.now
        let models = try await models()
        return HealthReport(latency: .now - start, detail: "GET /api/tags: \(models.count) models")
    }

    /// `POST /api/chat` without streaming.
    public func generate(_ request: ChatRequest) async throws -> ChatResponse {
        let start = ContinuousClock.now
        let json = try await client.json(
            .post, "api/chat", body: OllamaWire.chatBody(request, configuration, stream: false))
        var state = OllamaWire.StreamState()
        var accumulator = ChatStreamAccumulator(model: request.model ?? configuration.chatModel)
        for part in try state.parts(for: json, redact: client.redact) { accumulator.add(part) }
        guard state.isDone else {
            throw ProviderError.malformedResponse("Ollama's answer is not marked done", rawText: json.jsonText)
        }
        var response = accumulator.response
        response.latency = .now - start
        return response
    }

    /// `POST /api/chat` streamed as NDJSON; complete only when a line says `"done": true`.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamPart, any Error> {
        streamLines(path: "api/chat", body: OllamaWire.chatBody(request, configuration, stream: true))
    }

    /// `POST /api/generate`: a raw completion of `prompt` (no chat template turns), streamed.
    public func complete(
        prompt: String,
        system: String? = nil,
        model: String? = nil,
        options: ChatRequest = ChatRequest(messages: [])
    ) -> AsyncThrowingStream<ChatStreamPart, any Error> {
        var body = OllamaWire.commonBody(options, configuration, stream: true)
        body["prompt"] = .string(prompt)
        if let model { body["model"] = .string(model) }
        if let system { body["system"] = .string(system) }
        return streamLines(path: "api/generate", body: .object(body))
    }

    private func streamLines(path: String, body: JSONValue) -> AsyncThrowingStream<ChatStreamPart, any Error> {
        let client = client
        return makeProviderStream { continuation in
            let response = try await client.stream(path, body: body)
            var lines = JSONLinesDecoder()
            var state = OllamaWire.StreamState()
            func handle(_ line: Data) throws {
                let json: JSONValue
                do { json = try JSONValue(parsing: line) } catch {
                    throw ProviderError.malformedResponse(
                        "a line of Ollama's stream is not JSON", rawText: String(decoding: line, as: UTF8.self))
                }
                for part in try state.parts(for: json, redact: client.redact) { continuation.yield(part) }
            }
            for try await chunk in response.body {
                for line in try lines.feed(chunk) {
                    try handle(line)
                    if state.isDone { return }
                }
            }
            try Task.checkCancellation()
            if let rest = lines.finish() { try handle(rest) }
            if !state.isDone {
                throw ProviderError.transport(
                    "\(client.providerName): the stream ended before a line said done; the answer may be incomplete")
            }
        }
    }
}

/// Ollama's wire format.
enum OllamaWire {
    static func commonBody(
        _ request: ChatRequest,
        _ configuration: OllamaProvider.Configuration,
        stream: Bool
    ) -> [String: JSONValue] {
        var body: [String: JSONValue] = [
            "model": .string(request.model ?? configuration.chatModel), "stream": .bool(stream),
        ]
        var options: [String: JSONValue] = [:]
        if let temperature = request.temperature { options["temperature"] = .number(temperature) }
        if let maxTokens = request.maxTokens { options["num_predict"] = .number(Double(maxTokens)) }
        if let seed = request.seed { options["seed"] = .number(Double(seed)) }
        if !request.stop.isEmpty { options["stop"] = .array(request.stop.map(JSONValue.string)) }
        if !options.isEmpty { body["options"] = .object(options) }
        switch request.responseFormat {
        case .text: break
        case .jsonObject: body["format"] = "json"
        case .jsonSchema(_, let schema, _): body["format"] = schema
        }
        if let keepAlive = configuration.keepAlive { body["keep_alive"] = .string(keepAlive) }
        return body
    }

    static func chatBody(
        _ request: ChatRequest,
        _ configuration: OllamaProvider.Configuration,
        stream: Bool
    ) -> JSONValue {
        var body = commonBody(request, configuration, stream: stream)
        body["messages"] = .array(
            request.messages.map { message in
                var object: [String: JSONValue] = [
                    "role": .string(message.role.rawValue), "content": .string(message.content),
                ]
                if !message.toolCalls.isEmpty {
                    object["tool_calls"] = .array(
                        message.toolCalls.map { call in
                            let arguments = (try? call.parsedArguments()) ?? .object([:])
                            return ["function": ["name": .string(call.name), "arguments": arguments]]
                        })
                }
                return .object(object)
            })
        if !request.tools.isEmpty {
            body["tools"] = .array(
                request.tools.map { tool in
                    [
                        "type": "function",
                        "function": [
                            "name": .string(tool.name), "description": .string(tool.description),
                            "parameters": tool.parameters,
                        ],
                    ]
                })
        }
        return .object(body)
    }

    /// Turns lines of a chat or generate stream (or a whole non-streamed answer) into parts.
    struct StreamState {
        private(set) var isDone = false
        private var sentModel = false
        private var toolCalls = 0

        mutating func parts(for json: JSONValue, redact: (String) -> String) throws -> [ChatStreamPart] {
            if let error = json["error"] {
                let details = ErrorDetails(.object(["error": error]), fallback: error.jsonText)
                let mapped = ProviderErrorMapping.error(
                    status: 500, retryAfter: nil, details: details, provider: "Ollama", redact: redact)
                throw mapped.code == .badRequest ? ProviderError.server(mapped.message) : mapped
            }
            var parts: [ChatStreamPart] = []
            if !sentModel, let model = json["model"]?.stringValue {
                parts.append(.model(model))
                sentModel = true
            }
            let message = json["message"]
            if let text = (message?["content"] ?? json["response"])?.stringValue, !text.isEmpty {
                parts.append(.textDelta(text))
            }
            if case .array(let calls)? = message?["tool_calls"] {
                for call in calls {
                    let function = call["function"]
                    let arguments: String =
                        switch function?["arguments"] {
                        case .string(let text)?: text
                        case let value?: value.jsonText
                        case nil: "{}"
                        }
                    parts.append(
                        .toolCallDelta(
                            ToolCallDelta(
                                index: toolCalls, id: call["id"]?.stringValue ?? "call_\(toolCalls)",
                                name: function?["name"]?.stringValue ?? "", argumentsFragment: arguments)))
                    toolCalls += 1
                }
            }
            if json["done"] == true {
                isDone = true
                // Counts clamped to 0…2^53; usage is left out when either is NaN or infinite.
                if let prompt = CheckedNumber.count(json["prompt_eval_count"]?.numberValue),
                    let completion = CheckedNumber.count(json["eval_count"]?.numberValue)
                {
                    parts.append(.usage(TokenUsage(promptTokens: prompt, completionTokens: completion)))
                }
                let reason: FinishReason =
                    toolCalls > 0
                    ? .toolCalls : (json["done_reason"]?.stringValue).map { FinishReason(rawValue: $0) } ?? .stop
                parts.append(.finish(reason))
            }
            return parts
        }
    }
}

extension OllamaProvider: CacheScoped {
    /// The base URL and a fingerprint of the key and extra headers, for cache keys.
    package var cacheScope: String {
        makeCacheScope(baseURL: configuration.baseURL, credentials: client.authHeaders + client.extraHeaders)
    }
}
