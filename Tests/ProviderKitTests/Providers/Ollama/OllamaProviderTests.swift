import Foundation
import ProviderKit
import ProviderKitTesting
import StoryForgeCore
import Testing

/// Ollama's NDJSON protocol over real loopback HTTP.
@Suite("Ollama provider over loopback")
struct OllamaProviderTests {
    func provider(_ server: LoopbackHTTPServer, idle: Duration = .seconds(60)) -> OllamaProvider {
        OllamaProvider(
            configuration: .init(baseURL: server.baseURL, chatModel: "llama3.2", timeouts: HTTPTimeouts(idle: idle)))
    }

    static func line(_ content: String) -> String {
        #"{"model":"llama3.2","created_at":"2024-01-01T00:00:00Z","message":{"role":"assistant","content":"\#(content)"},"done":false}"#
            + "\n"
    }

    static let doneLine =
        #"{"model":"llama3.2","message":{"role":"assistant","content":""},"done":true,"done_reason":"stop","#
        + #""total_duration":5191566416,"load_duration":2154458,"prompt_eval_count":26,"eval_count":298}"# + "\n"

    @Test("a chat stream yields deltas, usage and finish, with lines split across writes")
    func streamed() async throws {
        let all = Self.line("Once") + Self.line(" upon") + Self.doneLine
        let server = try LoopbackHTTPServer { _ in
            .stream(
                [String(all.prefix(50)), String(all.dropFirst(50).prefix(100)), String(all.dropFirst(150))],
                contentType: "application/x-ndjson", gap: .milliseconds(5))
        }
        defer { server.shutdown() }
        var accumulator = ChatStreamAccumulator()
        for try await part in provider(server).stream(ChatRequest(messages: [.user("Story")], seed: 4)) {
            accumulator.add(part)
        }
        let response = accumulator.response
        #expect(response.text == "Once upon")
        #expect(response.usage == TokenUsage(promptTokens: 26, completionTokens: 298))
        #expect(response.finishReason == .stop)
        let body = try JSONValue(parsing: try #require(server.requests.first).body)
        #expect(body["options"]?["seed"] == 4)
        #expect(server.requests.first?.path == "/api/chat")
    }

    @Test("tool-call arguments sent as objects become JSON text")
    func toolCalls() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(
                #"{"model":"llama3.2","message":{"role":"assistant","content":"","tool_calls":[{"function":"#
                    + #"{"name":"get_weather","arguments":{"city":"Oslo"}}}]},"done":true,"done_reason":"stop"}"#)
        }
        defer { server.shutdown() }
        let response = try await provider(server).generate(
            ChatRequest(messages: [.user("Weather?")], tools: [ToolDefinition(name: "get_weather", description: "w")]))
        #expect(response.toolCalls.count == 1)
        #expect(response.toolCalls.first?.name == "get_weather")
        #expect(try response.toolCalls.first?.parsedArguments() == ["city": "Oslo"])
        #expect(response.finishReason == .toolCalls)
    }

    @Test("an error line in a 200 stream is a typed error")
    func midStreamError() async throws {
        let server = try LoopbackHTTPServer { _ in
            .stream(
                [Self.line("Hi"), #"{"error":"an unknown error was encountered while running the model"}"# + "\n"],
                contentType: "application/x-ndjson")
        }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            for try await _ in provider(server).stream(ChatRequest(messages: [.user("Hi")])) {}
        }
        #expect(error?.code == .server)
        #expect(error?.message.contains("unknown error") == true)
    }

    @Test("a stream that ends without done is an error")
    func cutStream() async throws {
        let server = try LoopbackHTTPServer { _ in
            .stream([Self.line("Hi"), Self.line(" there")], contentType: "application/x-ndjson")
        }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            for try await _ in provider(server).stream(ChatRequest(messages: [.user("Hi")])) {}
        }
        #expect(error?.code == .transport)
    }

    @Test("a malformed line is a malformed-response error")
    func malformedLine() async throws {
        let server = try LoopbackHTTPServer { _ in
            .stream([Self.line("Hi"), "{\"model\": \n"], contentType: "application/x-ndjson")
        }
        defer { server.shutdown() }
        let error = await #expect(throws: ProviderError.self) {
            for try await _ in provider(server).stream(ChatRequest(messages: [.user("Hi")])) {}
        }
        #expect(error?.code == .malformedResponse)
    }

    @Test("a missing model is not found; a stall is an idle timeout")
    func notFoundAndStall() async throws {
        let server = try LoopbackHTTPServer { request in
            if request.bodyText.contains("nope") {
                return .json(#"{"error":"model 'nope' not found, try pulling it first"}"#, status: 404)
            }
            return LoopbackHTTPServer.Response(
                parts: [.data(Data(Self.line("a").utf8)), .pause(.seconds(5))], framing: .close)
        }
        defer { server.shutdown() }
        let missing = await #expect(throws: ProviderError.self) {
            try await provider(server).generate(ChatRequest(model: "nope", messages: [.user("Hi")]))
        }
        #expect(missing?.code == .notFound)
        #expect(missing?.message.contains("not found") == true)
        let stalled = await #expect(throws: ProviderError.self) {
            for try await _ in provider(server, idle: .milliseconds(300)).stream(ChatRequest(messages: [.user("x")])) {}
        }
        #expect(stalled?.code == .timeout)
    }

    @Test("/api/generate streams a raw completion; /api/tags lists models")
    func generateAndTags() async throws {
        let server = try LoopbackHTTPServer { request in
            if request.path == "/api/tags" {
                return .json(#"{"models":[{"name":"llama3.2:latest","model":"llama3.2:latest","size":2019393189}]}"#)
            }
            return .stream(
                [
                    #"{"model":"llama3.2","response":"The","done":false}"# + "\n",
                    #"{"model":"llama3.2","response":" sky","done":false}"# + "\n",
                    #"{"model":"llama3.2","response":"","done":true,"done_reason":"length","eval_count":2,"prompt_eval_count":3}"#,
                ],
                contentType: "application/x-ndjson")
        }
        defer { server.shutdown() }
        var accumulator = ChatStreamAccumulator()
        for try await part in provider(server).complete(prompt: "Why is the sky blue?") { accumulator.add(part) }
        #expect(accumulator.response.text == "The sky")
        #expect(accumulator.response.finishReason == .length)
        #expect(try await provider(server).models() == [ModelInfo(id: "llama3.2:latest", sizeBytes: 2_019_393_189)])
    }

    @Test(
        "OLLAMA_HOST is read like Ollama reads it",
        arguments: [
            ("127.0.0.1", "http://127.0.0.1:11434"), ("0.0.0.0:8080", "http://127.0.0.1:8080"),
            ("https://ollama.example:443", "https://ollama.example:443"), ("", "http://127.0.0.1:11434"),
        ])
    func ollamaHost(value: String, expected: String) {
        let configuration = OllamaProvider.Configuration.fromEnvironment(["OLLAMA_HOST": value])
        #expect(configuration.baseURL.absoluteString == expected)
    }
}
