import Foundation
import ProviderKit
import StoryForgeCore

/// The canonical form of a request, for cache keys and recording file names: every parameter
/// that changes the answer, in sorted-key JSON, with the provider's name and the operation.
/// Credentials are not part of a request, so they can never reach a key.
enum CanonicalRequest {
    /// The SHA-256 of the canonical JSON, in lowercase hex. `scope` (the server and account
    /// fingerprint, see ``CachingProvider``) is part of it when given; without one the key is what
    /// it always was, so caches of local providers stay valid.
    static func key(_ call: ProviderCall, provider: String, scope: String? = nil) -> String {
        var text = ""
        text.reserveCapacity(512)
        switch call.request {
        case .chat(let request), .stream(let request):
            // The hot path, written directly: the same text `write(json(...))` would give.
            text += #"{"operation":"#
            writeString(call.operation, to: &text)
            text += #","provider":"#
            writeString(provider, to: &text)
            text += #","request":"#
            writeChat(request, to: &text)
            if let scope {
                text += #","scope":"#
                writeString(scope, to: &text)
            }
            text += #","v":1}"#
        default:
            var object = json(call, provider: provider)
            if let scope, case .object(var members) = object {
                members["scope"] = .string(scope)
                object = .object(members)
            }
            write(object, to: &text)
        }
        return HexDigest.sha256(text)
    }

    private static func writeOptional(_ string: String?, to text: inout String) {
        if let string { writeString(string, to: &text) } else { text += "null" }
    }

    private static func writeChat(_ request: ChatRequest, to text: inout String) {
        text += #"{"max_tokens":"#
        text += request.maxTokens.map { String($0) } ?? "null"
        text += #","messages":["#
        for (index, message) in request.messages.enumerated() {
            if index > 0 { text += "," }
            text += #"{"content":"#
            writeString(message.content, to: &text)
            text += #","role":"#
            writeString(message.role.rawValue, to: &text)
            text += #","tool_call_id":"#
            writeOptional(message.toolCallID, to: &text)
            text += #","tool_calls":["#
            for (callIndex, toolCall) in message.toolCalls.enumerated() {
                if callIndex > 0 { text += "," }
                text += #"{"arguments":"#
                writeString(toolCall.arguments, to: &text)
                text += #","id":"#
                writeString(toolCall.id, to: &text)
                text += #","name":"#
                writeString(toolCall.name, to: &text)
                text += "}"
            }
            text += "]}"
        }
        text += #"],"model":"#
        writeOptional(request.model, to: &text)
        text += #","response_format":"#
        switch request.responseFormat {
        case .text: text += #""text""#
        case .jsonObject: text += #""json_object""#
        case .jsonSchema(let name, let schema, let strict):
            text += #"{"name":"#
            writeString(name, to: &text)
            text += #","schema":"#
            write(schema, to: &text)
            text += #","strict":"#
            text += strict ? "true" : "false"
            text += "}"
        }
        text += #","seed":"#
        text += request.seed.map { String($0) } ?? "null"
        text += #","stop":["#
        for (index, stop) in request.stop.enumerated() {
            if index > 0 { text += "," }
            writeString(stop, to: &text)
        }
        text += #"],"temperature":"#
        write(request.temperature.map(JSONValue.number) ?? .null, to: &text)
        text += #","tools":["#
        for (index, tool) in request.tools.enumerated() {
            if index > 0 { text += "," }
            text += #"{"description":"#
            writeString(tool.description, to: &text)
            text += #","name":"#
            writeString(tool.name, to: &text)
            text += #","parameters":"#
            write(tool.parameters, to: &text)
            text += "}"
        }
        text += "]}"
    }

    /// Compact JSON with sorted keys, written directly (the `JSONEncoder` route costs tens of
    /// microseconds per request, too much for a cache hit). Numbers use Swift's shortest
    /// round-tripping form, strings escape what JSON requires.
    static func write(_ value: JSONValue, to text: inout String) {
        switch value {
        case .null: text += "null"
        case .bool(let flag): text += flag ? "true" : "false"
        case .number(let number):
            if number == number.rounded(), abs(number) < 1e15 {
                text += String(Int64(number))
            } else {
                text += number.isFinite ? "\(number)" : "null"
            }
        case .string(let string): writeString(string, to: &text)
        case .array(let items):
            text += "["
            for (index, item) in items.enumerated() {
                if index > 0 { text += "," }
                write(item, to: &text)
            }
            text += "]"
        case .object(let members):
            text += "{"
            for (index, key) in members.keys.sorted().enumerated() {
                if index > 0 { text += "," }
                writeString(key, to: &text)
                text += ":"
                write(members[key] ?? .null, to: &text)
            }
            text += "}"
        }
    }

    private static func writeString(_ string: String, to text: inout String) {
        text += "\""
        // Most strings need no escaping: append them whole.
        if !string.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
            text += string
            text += "\""
            return
        }
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20:
                let digits = Array("0123456789abcdef")
                text += "\\u00" + String(digits[Int(scalar.value >> 4)]) + String(digits[Int(scalar.value & 0xF)])
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }

    static func json(_ call: ProviderCall, provider: String) -> JSONValue {
        var object: [String: JSONValue] = [
            "v": 1, "provider": .string(provider), "operation": .string(call.operation),
        ]
        switch call.request {
        case .chat(let request), .stream(let request):
            object["request"] = chat(request)
        case .speech(let request):
            var speech: [String: JSONValue] = [
                "text": .string(request.text), "voice": optional(request.voice), "model": optional(request.model),
                "format": .string(request.format.rawValue), "speed": request.speed.map(JSONValue.number) ?? .null,
                "word_timings": .bool(request.wantsWordTimings),
            ]
            // Only when given, so that the keys of requests made before the field existed stay the same.
            if let language = request.language { speech["language"] = .string(language) }
            object["request"] = .object(speech)
        case .transcription(let request):
            let audioHash = HexDigest.sha256(request.audio)
            object["request"] = [
                "audio_sha256": .string(audioHash), "format": .string(request.format.rawValue),
                "model": optional(request.model), "language": optional(request.language),
                "prompt": optional(request.prompt), "word_timings": .bool(request.wantsWordTimings),
            ]
        case .images(let request):
            object["request"] = [
                "prompt": .string(request.prompt), "negative_prompt": optional(request.negativePrompt),
                "width": .number(Double(request.width)), "height": .number(Double(request.height)),
                "seed": request.seed.map { .number(Double($0)) } ?? .null, "count": .number(Double(request.count)),
                "model": optional(request.model),
            ]
        case .video(let request):
            object["request"] = [
                "prompt": .string(request.prompt), "negative_prompt": optional(request.negativePrompt),
                "reference_sha256": .array(request.referenceImages.map { .string(HexDigest.sha256($0)) }),
                "seconds": request.seconds.isFinite ? .number(request.seconds) : .null,
                "width": .number(Double(request.width)),
                "height": .number(Double(request.height)),
                "seed": request.seed.map { .number(Double($0)) } ?? .null, "model": optional(request.model),
            ]
        }
        return .object(object)
    }

    private static func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }

    private static func chat(_ request: ChatRequest) -> JSONValue {
        let messages: [JSONValue] = request.messages.map { message in
            [
                "role": .string(message.role.rawValue), "content": .string(message.content),
                "tool_call_id": optional(message.toolCallID),
                "tool_calls": .array(
                    message.toolCalls.map {
                        ["id": .string($0.id), "name": .string($0.name), "arguments": .string($0.arguments)]
                    }),
            ]
        }
        let format: JSONValue =
            switch request.responseFormat {
            case .text: "text"
            case .jsonObject: "json_object"
            case .jsonSchema(let name, let schema, let strict):
                ["name": .string(name), "schema": schema, "strict": .bool(strict)]
            }
        return [
            "model": optional(request.model), "messages": .array(messages),
            "temperature": request.temperature.map(JSONValue.number) ?? .null,
            "max_tokens": request.maxTokens.map { .number(Double($0)) } ?? .null,
            "stop": .array(request.stop.map(JSONValue.string)),
            "seed": request.seed.map { .number(Double($0)) } ?? .null,
            "response_format": format,
            "tools": .array(
                request.tools.map {
                    ["name": .string($0.name), "description": .string($0.description), "parameters": $0.parameters]
                }),
        ]
    }
}

/// A response in the form the cache and the recorder store: Codable mirrors of the public types.
enum StoredResponse: Codable, Sendable {
    case chat(StoredChat)
    case stream([StoredPart])
    case speech(StoredSpeech)
    case transcription(StoredTranscription)
    case images([StoredImage])

    struct StoredToolCall: Codable, Sendable {
        var id: String
        var name: String
        var arguments: String
    }

    struct StoredChat: Codable, Sendable {
        var text: String
        var toolCalls: [StoredToolCall]
        var finishReason: String
        var usage: TokenUsage?
        var model: String
        var latencyNanoseconds: Int64
    }

    enum StoredPart: Codable, Sendable {
        case text(String)
        case toolCall(index: Int, id: String?, name: String?, arguments: String)
        case usage(TokenUsage)
        case model(String)
        case finish(String)
    }

    struct StoredSpeech: Codable, Sendable {
        var audio: Data
        var format: AudioFormat
        var sampleRate: Int?
        var wordTimings: [TimedWord]?
    }

    struct StoredTranscription: Codable, Sendable {
        var text: String
        var language: String?
        var duration: Double?
        var segments: [TranscriptSegment]
        var words: [TimedWord]
    }

    struct StoredImage: Codable, Sendable {
        var data: Data
        var mimeType: String
        var revisedPrompt: String?
    }

    init(_ response: ChatResponse) {
        let nanoseconds = CheckedNumber.nanoseconds(response.latency)
        self = .chat(
            StoredChat(
                text: response.text,
                toolCalls: response.toolCalls.map { StoredToolCall(id: $0.id, name: $0.name, arguments: $0.arguments) },
                finishReason: response.finishReason.rawValue, usage: response.usage, model: response.model,
                latencyNanoseconds: nanoseconds))
    }

    init(_ parts: [ChatStreamPart]) {
        self = .stream(
            parts.map { part in
                switch part {
                case .textDelta(let text): .text(text)
                case .toolCallDelta(let delta):
                    .toolCall(index: delta.index, id: delta.id, name: delta.name, arguments: delta.argumentsFragment)
                case .usage(let usage): .usage(usage)
                case .model(let model): .model(model)
                case .finish(let reason): .finish(reason.rawValue)
                }
            })
    }

    init(_ speech: SynthesizedSpeech) {
        self = .speech(
            StoredSpeech(
                audio: speech.audio, format: speech.format, sampleRate: speech.sampleRate,
                wordTimings: speech.wordTimings))
    }

    init(_ transcription: Transcription) {
        self = .transcription(
            StoredTranscription(
                text: transcription.text, language: transcription.language, duration: transcription.duration,
                segments: transcription.segments, words: transcription.words))
    }

    init(_ images: [GeneratedImage]) {
        self = .images(
            images.map { StoredImage(data: $0.data, mimeType: $0.mimeType, revisedPrompt: $0.revisedPrompt) })
    }

    /// The stored value of a provider's output, or `nil` for a type the store does not know.
    init?(output: Any) {
        switch output {
        case let value as ChatResponse: self.init(value)
        case let value as SynthesizedSpeech: self.init(value)
        case let value as Transcription: self.init(value)
        case let value as [GeneratedImage]: self.init(value)
        default: return nil
        }
    }

    /// The public value, tagged with `origin`; `nil` when the stored kind is not `Output`.
    func output<Output>(as type: Output.Type, origin: ResponseOrigin) -> Output? {
        switch self {
        case .chat(let stored):
            let response = ChatResponse(
                text: stored.text,
                toolCalls: stored.toolCalls.map { ToolCall(id: $0.id, name: $0.name, arguments: $0.arguments) },
                finishReason: FinishReason(rawValue: stored.finishReason), usage: stored.usage, model: stored.model,
                latency: .nanoseconds(stored.latencyNanoseconds), origin: origin)
            return response as? Output
        case .stream: return nil
        case .speech(let stored):
            return SynthesizedSpeech(
                audio: stored.audio, format: stored.format, sampleRate: stored.sampleRate,
                wordTimings: stored.wordTimings, origin: origin) as? Output
        case .transcription(let stored):
            return Transcription(
                text: stored.text, language: stored.language, duration: stored.duration, segments: stored.segments,
                words: stored.words, origin: origin) as? Output
        case .images(let stored):
            return stored.map {
                GeneratedImage(data: $0.data, mimeType: $0.mimeType, revisedPrompt: $0.revisedPrompt, origin: origin)
            } as? Output
        }
    }

    /// The stored stream's parts, or `nil` when this is not a stream.
    var streamParts: [ChatStreamPart]? {
        guard case .stream(let parts) = self else { return nil }
        return parts.map { part in
            switch part {
            case .text(let text): .textDelta(text)
            case .toolCall(let index, let id, let name, let arguments):
                .toolCallDelta(ToolCallDelta(index: index, id: id, name: name, argumentsFragment: arguments))
            case .usage(let usage): .usage(usage)
            case .model(let model): .model(model)
            case .finish(let reason): .finish(FinishReason(rawValue: reason))
            }
        }
    }

    func encoded() throws -> Data {
        do { return try JSONEncoder().encode(self) } catch {
            throw ProviderError.malformedResponse("cannot encode a response for the cache: \(error)")
        }
    }

    static func decode(_ data: Data) -> StoredResponse? { try? JSONDecoder().decode(Self.self, from: data) }
}
