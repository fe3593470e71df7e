import Foundation
import ProviderKit
import ProviderKitTesting
import StoryForgeCore
import Testing

/// The OpenAI chat-completions wire protocol over real loopback HTTP, with faults on command.
@Suite("OpenAI-compatible provider over loopback")
struct OpenAICompatibleProviderTests {
    static let secret = "sk-test-SECRET-0123456789"

    func provider(_ server: LoopbackHTTPServer, timeouts: HTTPTimeouts = HTTPTimeouts(), maxBytes: Int = 1 << 20)
        -> OpenAICompatibleProvider
    {
        OpenAICompatibleProvider(
            configuration: .init(
                baseURL: server.baseURL.appending(path: "v1"), apiKey: Self.secret, chatModel: "test-model",
                timeouts: timeouts, maxResponseBytes: maxBytes))
    }

    static func chunk(_ delta: String, finish: String? = nil) -> String {
        let reason = finish.map { "\"\($0)\"" } ?? "null"
        return
            #"data: {"id":"c1","model":"test-model-0613","choices":[{"index":0,"delta":\#(delta),"finish_reason":\#(reason)}]}"#
            + "\n\n"
    }

    static let usageChunk =
        #"data: {"id":"c1","choices":[],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}"# + "\n\n"

    @Test("a buffered completion decodes text, finish reason, usage and model, and sends the key")
    func buffered() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(
                #"{"id":"x","object":"chat.completion","model":"test-model-0613","system_fingerprint":null,"#
                    + #""choices":[{"index":0,"message":{"role":"assistant","content":"Hello there","refusal":null},"#
                    + #""logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":2}}"#)
        }
        defer { server.shutdown() }
        let response = try await provider(server).generate(ChatRequest(messages: [.user("Hi")]))
        #expect(response.text == "Hello there")
        #expect(response.finishReason == .stop)
        #expect(response.usage == TokenUsage(promptTokens: 5, completionTokens: 2))
        #expect(response.model == "test-model-0613")
        let request = try #require(server.requests.first)
        #expect(request.path == "/v1/chat/completions")
        #expect(request.header("Authorization") == "Bearer \(Self.secret)")
    }

    @Test("a stream yields deltas, assembles tool calls from indexed fragments, and reports usage")
    func streamed() async throws {
        let server = try LoopbackHTTPServer { _ in
            .stream(
                [
                    ": keep-alive comment\n\n",
                    Self.chunk(#"{"role":"assistant","content":"Hel"}"#),
                    Self.chunk(#"{"content":"lo"}"#),
                    Self.chunk(
                        #"{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"look","arguments":"{\"q\":"}}]}"#
                    ),
                    // This fragment is split across two TCP writes in the middle of the line.
                    String(Self.chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"\"sky\"}"}}]}"#).prefix(40)),
                    String(
                        Self.chunk(#"{"tool_calls":[{"index":0,"function":{"arguments":"\"sky\"}"}}]}"#).dropFirst(40)),
                    Self.chunk("{}", finish: "tool_calls"),
                    Self.usageChunk,
                    "data: [DONE]\n\n",
                ], gap: .milliseconds(5))
        }
        defer { server.shutdown() }
        var accumulator = ChatStreamAccumulator()
        var deltas: [String] = []
        for try await part in provider(server).stream(ChatRequest(messages: [.user("Hi")])) {
            if case .textDelta(let text) = part { deltas.append(text) }
            accumulator.add(part)
        }
        let response = accumulator.response
        #expect(deltas == ["Hel", "lo"])
        #expect(response.text == "Hello")
        #expect(response.toolCalls == [ToolCall(id: "call_1", name: "look", arguments: #"{"q":"sky"}"#)])
        #expect(response.finishReason == .toolCalls)
        #expect(response.usage?.totalTokens == 12)
        #expect(response.model == "test-model-0613")
        let body = try JSONValue(parsing: try #require(server.requests.first).body)
        #expect(body["stream"] == true)
        #expect(body["stream_options"] == ["include_usage": true])
    }

    @Test("a stream cut without [DONE] is an error, not a silent success")
    func cutStream() async throws {
        let server = try LoopbackHTTPServer { _ in .stream([Self.chunk(#"{"content":"partial"}"#)]) }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            for try await _ in provider(server).stream(ChatRequest(messages: [.user("Hi")])) {}
        }
        #expect(error?.code == .transport)
        #expect(error?.message.contains("[DONE]") == true)
    }

    @Test("an error event in the middle of a 200 stream becomes a typed error")
    func midStreamError() async throws {
        let server = try LoopbackHTTPServer { _ in
            .stream([
                Self.chunk(#"{"content":"par"}"#),
                #"data: {"error":{"message":"The server had an error while processing","type":"server_error","code":null}}"#
                    + "\n\n",
            ])
        }
        defer { server.shutdown() }
        var text = ""
        let error = await #expect(throws: ProviderError.self) {
            for try await part in provider(server).stream(ChatRequest(messages: [.user("Hi")])) {
                if case .textDelta(let delta) = part { text += delta }
            }
        }
        #expect(text == "par")
        #expect(error?.code == .server)
        #expect(error?.message.contains("The server had an error") == true)
    }

    @Test("429 with Retry-After is rate limited with that delay")
    func rateLimitedWithRetryAfter() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(
                #"{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}"#,
                status: 429, headers: [("Retry-After", "7")])
        }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            try await provider(server).generate(ChatRequest(messages: [.user("Hi")]))
        }
        #expect(error?.code == .rateLimited)
        #expect(error?.retryAfter == .seconds(7))
        #expect(error?.statusCode == 429)
    }

    @Test("429 without Retry-After is rate limited with no delay; insufficient_quota is quota")
    func rateLimitedWithout() async throws {
        let server = try LoopbackHTTPServer { request in
            request.path.contains("quota")
                ? .json(
                    #"{"error":{"message":"You exceeded your quota","type":"insufficient_quota","code":"insufficient_quota"}}"#,
                    status: 429)
                : .json(#"{"error":{"message":"slow down","type":null,"code":429}}"#, status: 429)
        }
        defer { server.shutdown() }
        let limited = await #expect(throws: ProviderError.self) {
            try await provider(server).generate(ChatRequest(messages: [.user("Hi")]))
        }
        #expect(limited?.code == .rateLimited)
        #expect(limited?.retryAfter == nil)
        let quotaProvider = OpenAICompatibleProvider(
            configuration: .init(baseURL: server.baseURL.appending(path: "quota"), apiKey: Self.secret))
        let quota = await #expect(throws: ProviderError.self) {
            try await quotaProvider.generate(ChatRequest(messages: [.user("Hi")]))
        }
        #expect(quota?.code == .quotaExhausted)
    }

    @Test("Retry-After as an HTTP date and retry-after-ms are understood")
    func retryAfterForms() async throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss 'GMT'"
        let date = formatter.string(from: Date(timeIntervalSinceNow: 30))
        let server = try LoopbackHTTPServer { request in
            request.bodyText.contains("ms")
                ? .json(#"{"error":{"message":"slow"}}"#, status: 429, headers: [("retry-after-ms", "1500")])
                : .json(#"{"error":{"message":"slow"}}"#, status: 429, headers: [("Retry-After", date)])
        }
        defer { server.shutdown() }
        let dated = await #expect(throws: ProviderError.self) {
            try await provider(server).generate(ChatRequest(messages: [.user("date")]))
        }
        let wait = try #require(dated?.retryAfter)
        #expect(wait > .seconds(25) && wait <= .seconds(30))
        let milliseconds = await #expect(throws: ProviderError.self) {
            try await provider(server).generate(ChatRequest(messages: [.user("ms")]))
        }
        #expect(milliseconds?.retryAfter == .milliseconds(1500))
    }

    @Test("an error status before a stream starts is thrown from the stream; health reports models")
    func streamingErrorStatusAndHealth() async throws {
        let server = try LoopbackHTTPServer { request in
            request.path == "/v1/models"
                ? .json(#"{"data":[{"id":"m"}]}"#)
                : .json(#"{"error":{"message":"busy"}}"#, status: 503, headers: [("Retry-After", "2")])
        }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            for try await _ in provider(server).stream(ChatRequest(messages: [.user("Hi")])) {}
        }
        #expect(error?.code == .server)
        #expect(error?.statusCode == 503)
        #expect(error?.retryAfter == .seconds(2))
        let health = try await provider(server).checkHealth()
        #expect(health.detail.contains("1 models"))
    }

    @Test("an image answer with a url instead of b64_json is fetched")
    func imageByURL() async throws {
        let jpeg = Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3])
        let server = try LoopbackHTTPServer { request in
            request.path == "/files/a.jpg"
                ? .bytes(jpeg, contentType: "image/jpeg")
                : .json(
                    #"{"data":[{"url":"http://127.0.0.1:\#(request.header("Host")?.split(separator: ":").last ?? "")/files/a.jpg"}]}"#
                )
        }
        defer { server.shutdown() }
        let images = try await provider(server).generateImages(ImageRequest(prompt: "x", width: 64, height: 64))
        #expect(images == [GeneratedImage(data: jpeg, mimeType: "image/jpeg")])
    }

    @Test("500 and 503 are server errors", arguments: [500, 503])
    func serverErrors(status: Int) async throws {
        let server = try LoopbackHTTPServer { _ in .json(#"{"error":{"message":"overloaded"}}"#, status: status) }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            try await provider(server).generate(ChatRequest(messages: [.user("Hi")]))
        }
        #expect(error?.code == .server)
        #expect(error?.statusCode == status)
        #expect(error?.isRetryable == true)
    }

    @Test("401 is authentication, and the key never appears in the error")
    func authenticationHidesKey() async throws {
        let server = try LoopbackHTTPServer { request in
            let key = request.header("Authorization")?.replacingOccurrences(of: "Bearer ", with: "") ?? ""
            return .json(
                #"{"error":{"message":"Incorrect API key provided: \#(key)","type":"invalid_request_error","code":"invalid_api_key"}}"#,
                status: 401)
        }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            try await provider(server).generate(ChatRequest(messages: [.user("Hi")]))
        }
        #expect(error?.code == .authentication)
        #expect(error.map { "\($0)".contains(Self.secret) } == false)
        #expect(error?.message.contains("[redacted]") == true)
        #expect(!"\(provider(server).configuration)".contains(Self.secret))
    }

    @Test("context length and content filter codes map to their kinds")
    func specificCodes() async throws {
        let server = try LoopbackHTTPServer { request in
            request.bodyText.contains("long")
                ? .json(
                    #"{"error":{"message":"This model's maximum context length is 8192 tokens","code":"context_length_exceeded"}}"#,
                    status: 400)
                : .json(#"{"error":{"message":"flagged","code":"content_filter"}}"#, status: 400)
        }
        defer { server.shutdown() }
        let long = await #expect(throws: ProviderError.self) {
            try await provider(server).generate(ChatRequest(messages: [.user("long")]))
        }
        #expect(long?.code == .contextTooLong)
        let filtered = await #expect(throws: ProviderError.self) {
            try await provider(server).generate(ChatRequest(messages: [.user("other")]))
        }
        #expect(filtered?.code == .contentFiltered)
    }

    @Test("malformed JSON in a 200 answer is a malformed-response error keeping the text")
    func malformedJSON() async throws {
        let server = try LoopbackHTTPServer { _ in .json(#"{"choices":[{"message": {"content": "Hel"#) }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            try await provider(server).generate(ChatRequest(messages: [.user("Hi")]))
        }
        #expect(error?.code == .malformedResponse)
        #expect(error?.rawText?.contains("Hel") == true)
    }

    @Test("an oversized answer is refused")
    func oversized() async throws {
        let big = String(repeating: "a", count: 200_000)
        let server = try LoopbackHTTPServer { _ in .json(#"{"choices":[{"message":{"content":"\#(big)"}}]}"#) }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            try await provider(server, maxBytes: 100_000).generate(ChatRequest(messages: [.user("Hi")]))
        }
        #expect(error?.code == .responseTooLarge)
    }

    @Test("a slow first byte and a stall mid-stream end in timeouts within their limits")
    func timeouts() async throws {
        let server = try LoopbackHTTPServer { request in
            if request.bodyText.contains("slow") {
                var response = LoopbackHTTPServer.Response.json("{}")
                response.delayBeforeHead = .seconds(10)
                return response
            }
            return LoopbackHTTPServer.Response(
                headers: [("Content-Type", "text/event-stream")],
                parts: [.data(Data(Self.chunk(#"{"content":"a"}"#).utf8)), .pause(.seconds(10))], framing: .close)
        }
        defer { server.shutdown() }
        let limited = provider(server, timeouts: HTTPTimeouts(firstByte: .milliseconds(300), idle: .milliseconds(300)))
        let clock = ContinuousClock()
        var start = clock.now
        let slow = await #expect(throws: ProviderError.self) {
            try await limited.generate(ChatRequest(messages: [.user("slow")]))
        }
        #expect(slow?.code == .timeout)
        #expect(clock.now - start < .seconds(5))
        start = clock.now
        let stalled = await #expect(throws: ProviderError.self) {
            for try await _ in limited.stream(ChatRequest(messages: [.user("stall")])) {}
        }
        #expect(stalled?.code == .timeout)
        #expect(clock.now - start < .seconds(5))
    }

    @Test("structured output decodes into the caller's type, or fails keeping the raw text")
    func structuredOutput() async throws {
        struct Idea: Decodable, Equatable {
            var title: String
            var score: Int
        }
        let server = try LoopbackHTTPServer { request in
            let content =
                request.bodyText.contains("bad") ? #"{\"title\": \"Moon\""# : #"{\"title\":\"Moon\",\"score\":7}"#
            return .json(#"{"model":"m","choices":[{"message":{"content":"\#(content)"},"finish_reason":"stop"}]}"#)
        }
        defer { server.shutdown() }
        let schema: JSONValue = [
            "type": "object", "properties": ["title": ["type": "string"], "score": ["type": "integer"]],
            "required": ["title", "score"],
        ]
        let good = try await provider(server).generate(
            Idea.self, ChatRequest(messages: [.user("good")], responseFormat: .jsonSchema(name: "idea", schema: schema))
        )
        #expect(good.value == Idea(title: "Moon", score: 7))
        let error = await #expect(throws: ProviderError.self) {
            try await provider(server).generate(Idea.self, ChatRequest(messages: [.user("bad")]))
        }
        #expect(error?.code == .malformedResponse)
        #expect(error?.rawText == #"{"title": "Moon""#)
    }

    @Test("models, speech, transcription with word timings, and images")
    func otherEndpoints() async throws {
        let wav =
            Data("RIFF".utf8) + Data([36, 0, 0, 0]) + Data("WAVEfmt ".utf8) + Data([16, 0, 0, 0, 1, 0, 1, 0])
            + Data([0xC0, 0x5D, 0, 0]) + Data(count: 16)
        let server = try LoopbackHTTPServer { request in
            switch request.path {
            case "/v1/models":
                return .json(#"{"object":"list","data":[{"id":"a","object":"model","owned_by":"me"},{"id":"b"}]}"#)
            case "/v1/audio/speech": return .bytes(wav, contentType: "audio/wav")
            case "/v1/audio/transcriptions":
                return .json(
                    #"{"task":"transcribe","language":"english","duration":1.5,"text":" Hello world","#
                        + #""segments":[{"id":0,"start":0.0,"end":1.5,"text":" Hello world","avg_logprob":-0.2}],"#
                        + #""words":[{"word":"Hello","start":0.0,"end":0.6},{"word":"world","start":0.7,"end":1.4}]}"#)
            case "/v1/images/generations":
                return .json(#"{"created":1,"data":[{"b64_json":"iVBORw0=","revised_prompt":"a cat"}]}"#)
            default: return .json(#"{"error":{"message":"no route"}}"#, status: 404)
            }
        }
        defer { server.shutdown() }
        let openAI = provider(server)
        #expect(try await openAI.models().map(\.id) == ["a", "b"])
        let speech = try await openAI.synthesize(SpeechRequest(text: "Hello", format: .wav))
        #expect(speech.sampleRate == 24_000)
        #expect(speech.audio == wav)
        let transcript = try await openAI.transcribe(TranscriptionRequest(audio: wav))
        #expect(transcript.text == "Hello world")
        #expect(transcript.words.map(\.word) == ["Hello", "world"])
        #expect(transcript.segments.count == 1)
        let form = try #require(server.requests.first { $0.path == "/v1/audio/transcriptions" }).bodyText
        #expect(form.contains("verbose_json"))
        #expect(form.contains("name=\"timestamp_granularities[]\"\r\n\r\nword"))
        let images = try await openAI.generateImages(ImageRequest(prompt: "a cat", width: 1024, height: 1024))
        #expect(images.first?.data == Data(base64Encoded: "iVBORw0="))
        #expect(images.first?.revisedPrompt == "a cat")
    }
}
