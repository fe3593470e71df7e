import Foundation
import ProviderKit
import ProviderKitTesting
import StoryForgeCore
import Testing

/// Request bodies as the server receives them, compared with golden JSON shaped after the
/// examples in OpenAI's API reference (chat completions: "Default", "Functions", "Structured
/// Outputs") and Ollama's API docs (`/api/chat` "Chat request (with tools)").
@Suite("Request encoding (golden JSON)")
struct RequestEncodingTests {
    func captured(_ send: (URL) async throws -> Void) async throws -> JSONValue {
        let server = try LoopbackHTTPServer { _ in .json(#"{"error":{"message":"captured"}}"#, status: 400) }
        defer { server.shutdown() }
        try? await send(server.baseURL)
        return try JSONValue(parsing: try #require(server.requests.first).body)
    }

    @Test("OpenAI chat: messages, sampling, stop, seed, tools and JSON schema")
    func openAIChat() async throws {
        let body = try await captured { url in
            let provider = OpenAICompatibleProvider(configuration: .init(baseURL: url, apiKey: "k"))
            _ = try await provider.generate(
                ChatRequest(
                    model: "gpt-4o",
                    messages: [
                        .system("You are a helpful assistant."), .user("What's the weather like in Boston today?"),
                        .assistant(
                            "",
                            toolCalls: [
                                ToolCall(
                                    id: "call_abc123", name: "get_current_weather",
                                    arguments: #"{"location":"Boston, MA"}"#)
                            ]),
                        .tool(#"{"temperature":22}"#, callID: "call_abc123"),
                    ],
                    temperature: 0.7, maxTokens: 256, stop: ["\n\n"], seed: 42,
                    responseFormat: .jsonSchema(
                        name: "weather", schema: ["type": "object", "properties": ["summary": ["type": "string"]]]),
                    tools: [
                        ToolDefinition(
                            name: "get_current_weather", description: "Get the current weather in a given location",
                            parameters: [
                                "type": "object",
                                "properties": [
                                    "location": [
                                        "type": "string", "description": "The city and state, e.g. San Francisco, CA",
                                    ],
                                    "unit": ["type": "string", "enum": ["celsius", "fahrenheit"]],
                                ],
                                "required": ["location"],
                            ])
                    ]))
        }
        let golden = try JSONValue(
            parsing: Data(
                #"""
                {
                  "model": "gpt-4o",
                  "messages": [
                    {"role": "system", "content": "You are a helpful assistant."},
                    {"role": "user", "content": "What's the weather like in Boston today?"},
                    {"role": "assistant", "content": null, "tool_calls": [
                      {"id": "call_abc123", "type": "function",
                       "function": {"name": "get_current_weather", "arguments": "{\"location\":\"Boston, MA\"}"}}]},
                    {"role": "tool", "content": "{\"temperature\":22}", "tool_call_id": "call_abc123"}
                  ],
                  "temperature": 0.7,
                  "max_tokens": 256,
                  "stop": ["\n\n"],
                  "seed": 42,
                  "response_format": {"type": "json_schema", "json_schema": {"name": "weather", "strict": true,
                    "schema": {"type": "object", "properties": {"summary": {"type": "string"}}}}},
                  "tools": [{"type": "function", "function": {
                    "name": "get_current_weather",
                    "description": "Get the current weather in a given location",
                    "parameters": {"type": "object", "properties": {
                      "location": {"type": "string", "description": "The city and state, e.g. San Francisco, CA"},
                      "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                      "required": ["location"]}}}]
                }
                """#.utf8))
        #expect(body == golden)
    }

    @Test("Ollama chat: options, format schema, tools")
    func ollamaChat() async throws {
        let body = try await captured { url in
            let provider = OllamaProvider(configuration: .init(baseURL: url))
            _ = try await provider.generate(
                ChatRequest(
                    model: "llama3.2", messages: [.user("What is the weather today in Paris?")], temperature: 0.2,
                    maxTokens: 100, seed: 1, responseFormat: .jsonSchema(name: "w", schema: ["type": "object"]),
                    tools: [
                        ToolDefinition(
                            name: "get_current_weather", description: "Get the current weather for a location")
                    ]))
        }
        let golden = try JSONValue(
            parsing: Data(
                #"""
                {"model": "llama3.2", "stream": false,
                 "messages": [{"role": "user", "content": "What is the weather today in Paris?"}],
                 "options": {"temperature": 0.2, "num_predict": 100, "seed": 1},
                 "format": {"type": "object"},
                 "tools": [{"type": "function", "function": {"name": "get_current_weather",
                   "description": "Get the current weather for a location",
                   "parameters": {"type": "object", "properties": {}}}}]}
                """#.utf8))
        #expect(body == golden)
    }
}
