import Foundation
import StoryForgeCore

/// The OpenAI chat-completions wire format: request bodies and response parsing, kept apart from
/// HTTP so that both can be tested against golden JSON.
enum OpenAIWire {
    static func chatBody(_ request: ChatRequest, defaultModel: String, stream: Bool) -> JSONValue {
        var body: [String: JSONValue] = [
            "model": .string(request.model ?? defaultModel),
            "messages": .array(request.messages.map(message)),
        ]
        if let temperature = request.temperature { body["temperature"] = .number(temperature) }
        if let maxTokens = request.maxTokens { body["max_tokens"] = .number(Double(maxTokens)) }
        if !request.stop.isEmpty { body["stop"] = .array(request.stop.map(JSONValue.string)) }
        if let seed = request.seed { body["seed"] = .number(Double(seed)) }
        switch request.responseFormat {
        case .text: break
        case .jsonObject: body["response_format"] = ["type": "json_object"]
        case .jsonSchema(let name, let schema, let strict):
            body["response_format"] = [
                "type": "json_schema",
                "json_schema": ["name": .string(name), "schema": schema, "strict": .bool(strict)],
            ]
        }
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
        if stream {
            body["stream"] = true
            body["stream_options"] = ["include_usage": true]
        }
        return .object(body)
    }

    private static func message(_ message: ChatMessage) -> JSONValue {
        var object: [String: JSONValue] = ["role": .string(message.role.rawValue), "content": .string(message.content)]
        if !message.toolCalls.isEmpty {
            object["tool_calls"] = .array(
                message.toolCalls.map { call in
                    [
                        "id": .string(call.id), "type": "function",
                        "function": ["name": .string(call.name), "arguments": .string(call.arguments)],
                    ]
                })
            if message.content.isEmpty { object["content"] = .null }
        }
        if let id = message.toolCallID { object["tool_call_id"] = .string(id) }
        return .object(object)
    }

    static func finishReason(_ value: JSONValue?) -> FinishReason? {
        guard let raw = value?.stringValue else { return nil }
        switch raw {
        case "tool_calls", "function_call": return .toolCalls
        case "eos", "stop_sequence", "end_turn": return .stop
        case "max_tokens": return .length
        default: return FinishReason(rawValue: raw)
        }
    }

    /// The usage a server reported: counts clamped to 0…2^53 (``CheckedNumber/count(_:)``);
    /// `nil` when a count is missing, not a number, NaN or infinite.
    static func usage(_ value: JSONValue?) -> TokenUsage? {
        guard let value, let prompt = CheckedNumber.count(value["prompt_tokens"]?.numberValue),
            let completion = CheckedNumber.count(value["completion_tokens"]?.numberValue)
        else { return nil }
        return TokenUsage(promptTokens: prompt, completionTokens: completion)
    }

    /// The most tool calls one answer may index: far above any provider's parallel tool-call
    /// limit (OpenAI allows 128), so only a broken or hostile server reaches it.
    static let toolCallIndexLimit = 65_535

    /// A streamed tool call's `index`, which must be a whole number in 0…``toolCallIndexLimit``.
    static func toolCallIndex(_ value: JSONValue?, position: Int, redact: (String) -> String) throws -> Int {
        guard let value, value != .null else { return position }
        guard let index = CheckedNumber.integer(value.numberValue, in: 0...toolCallIndexLimit) else {
            throw ProviderError.malformedResponse(
                "a tool call's index is \(redact(value.jsonText)), not a whole number in 0…\(toolCallIndexLimit)",
                rawText: redact(value.jsonText))
        }
        return index
    }

    static func chatResponse(_ json: JSONValue) throws -> ChatResponse {
        guard case .array(let choices)? = json["choices"], let choice = choices.first else {
            throw ProviderError.malformedResponse("the chat answer has no choices", rawText: json.jsonText)
        }
        let message = choice["message"]
        var calls: [ToolCall] = []
        if case .array(let items)? = message?["tool_calls"] {
            for (index, item) in items.enumerated() {
                let function = item["function"]
                let arguments: String =
                    switch function?["arguments"] {
                    case .string(let text)?: text
                    case let value?: value.jsonText
                    case nil: "{}"
                    }
                calls.append(
                    ToolCall(
                        id: item["id"]?.stringValue ?? "call_\(index)",
                        name: function?["name"]?.stringValue ?? "", arguments: arguments))
            }
        }
        let reason = finishReason(choice["finish_reason"]) ?? (calls.isEmpty ? .stop : .toolCalls)
        if reason == .contentFilter, message?["content"]?.stringValue?.isEmpty ?? true {
            throw ProviderError.contentFiltered("the provider's content filter withheld the answer")
        }
        return ChatResponse(
            text: message?["content"]?.stringValue ?? "",
            toolCalls: calls,
            finishReason: reason,
            usage: usage(json["usage"]),
            model: json["model"]?.stringValue ?? "",
            latency: .zero
        )
    }

    /// Turns the events of a streamed chat completion into typed parts.
    struct StreamState {
        private(set) var isDone = false
        private var sentModel = false
        private var finished = false

        mutating func parts(for event: ServerSentEvent, redact: (String) -> String) throws -> [ChatStreamPart] {
            let data = event.data.trimmingCharacters(in: .whitespaces)
            if data == "[DONE]" {
                isDone = true
                return finished ? [] : [.finish(.stop)]
            }
            let json: JSONValue
            do { json = try JSONValue(parsing: Data(data.utf8)) } catch {
                throw ProviderError.malformedResponse("an event in the stream is not JSON", rawText: redact(data))
            }
            if json["error"] != nil || event.event == "error" {
                let details = ErrorDetails(json, fallback: data)
                let error = ProviderErrorMapping.error(
                    status: 500, retryAfter: nil, details: details, provider: "the stream", redact: redact)
                // An error event after a 200 status is the server failing mid-answer unless its
                // code says something more specific.
                throw error.code == .badRequest ? ProviderError.server(error.message) : error
            }
            var parts: [ChatStreamPart] = []
            if !sentModel, let model = json["model"]?.stringValue, !model.isEmpty {
                parts.append(.model(model))
                sentModel = true
            }
            if case .array(let choices)? = json["choices"], let choice = choices.first {
                let delta = choice["delta"]
                if let text = delta?["content"]?.stringValue, !text.isEmpty { parts.append(.textDelta(text)) }
                if case .array(let calls)? = delta?["tool_calls"] {
                    for (position, call) in calls.enumerated() {
                        let function = call["function"]
                        parts.append(
                            .toolCallDelta(
                                ToolCallDelta(
                                    index: try OpenAIWire.toolCallIndex(
                                        call["index"], position: position, redact: redact),
                                    id: call["id"]?.stringValue,
                                    name: function?["name"]?.stringValue,
                                    argumentsFragment: function?["arguments"]?.stringValue ?? ""
                                )))
                    }
                }
                if let reason = OpenAIWire.finishReason(choice["finish_reason"]) {
                    parts.append(.finish(reason))
                    finished = true
                }
            }
            if let usage = OpenAIWire.usage(json["usage"]) { parts.append(.usage(usage)) }
            return parts
        }
    }

    /// The longest audio a transcription's times may reach when neither the upload nor the server
    /// says how long it is: one day, past any file a transcription API accepts (OpenAI: 25 MB).
    static let longestTranscribedAudio = 86_400.0

    /// Parses a `verbose_json` transcription. Times are made safe to use: segments and words whose
    /// start or end is not a finite number are dropped, the rest are clamped to `0…length` (the
    /// uploaded audio's length when known, else the server's `duration`, else one day) with
    /// `start ≤ end`; confidences are clamped to `0…1`.
    static func transcription(_ json: JSONValue, audioDuration: Double? = nil) throws -> Transcription {
        guard let text = json["text"]?.stringValue else {
            throw ProviderError.malformedResponse("the transcription has no text", rawText: json.jsonText)
        }
        let reported = json["duration"]?.numberValue.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil }
        let length = min(audioDuration ?? reported ?? longestTranscribedAudio, longestTranscribedAudio)
        func span(_ item: JSONValue) -> (start: Double, end: Double)? {
            guard let start = item["start"]?.numberValue, let end = item["end"]?.numberValue, start.isFinite,
                end.isFinite
            else { return nil }
            let clampedStart = min(max(start, 0), length)
            return (clampedStart, min(max(end, clampedStart), length))
        }
        var segments: [TranscriptSegment] = []
        if case .array(let items)? = json["segments"] {
            segments = items.compactMap { item in
                guard let (start, end) = span(item) else { return nil }
                return TranscriptSegment(
                    text: (item["text"]?.stringValue ?? "").trimmingCharacters(in: .whitespaces), start: start, end: end
                )
            }
        }
        var words: [TimedWord] = []
        if case .array(let items)? = json["words"] {
            words = items.compactMap { item in
                guard let word = item["word"]?.stringValue, let (start, end) = span(item) else { return nil }
                let confidence = (item["probability"]?.numberValue ?? item["confidence"]?.numberValue)
                    .flatMap { $0.isFinite ? min(max($0, 0), 1) : nil }
                return TimedWord(
                    word: word.trimmingCharacters(in: .whitespaces), start: start, end: end, confidence: confidence)
            }
        }
        return Transcription(
            text: text.trimmingCharacters(in: .whitespaces),
            language: json["language"]?.stringValue,
            duration: audioDuration ?? reported.map { min($0, longestTranscribedAudio) },
            segments: segments,
            words: words
        )
    }
}

/// A `multipart/form-data` body.
struct MultipartForm {
    let boundary = "storyforge-\(UUID().uuidString)"
    private(set) var body = Data()

    var contentType: String { "multipart/form-data; boundary=\(boundary)" }

    mutating func addField(name: String, value: String) {
        body.append(Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8))
    }

    mutating func addFile(name: String, fileName: String, data: Data, contentType: String = "application/octet-stream")
    {
        body.append(
            Data(
                ("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"; filename=\"\(fileName)\"\r\n"
                    + "Content-Type: \(contentType)\r\n\r\n").utf8))
        body.append(data)
        body.append(Data("\r\n".utf8))
    }

    /// The body with its closing boundary.
    var finished: Data { body + Data("--\(boundary)--\r\n".utf8) }
}
