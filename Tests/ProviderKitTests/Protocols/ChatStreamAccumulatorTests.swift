import ProviderKit
import Testing

@Suite("Chat stream accumulator")
struct ChatStreamAccumulatorTests {
    @Test("parallel tool calls interleaved by index are assembled separately, in index order")
    func interleavedToolCalls() {
        var accumulator = ChatStreamAccumulator(model: "fallback")
        let parts: [ChatStreamPart] = [
            .model("m-1"),
            .toolCallDelta(ToolCallDelta(index: 1, id: "b", name: "second", argumentsFragment: "{\"y\"")),
            .toolCallDelta(ToolCallDelta(index: 0, id: "a", name: "first", argumentsFragment: "{")),
            .toolCallDelta(ToolCallDelta(index: 1, argumentsFragment: ":2}")),
            .toolCallDelta(ToolCallDelta(index: 0, argumentsFragment: "}")),
            .usage(TokenUsage(promptTokens: 3, completionTokens: 4)),
            .finish(.toolCalls),
        ]
        for part in parts { accumulator.add(part) }
        let response = accumulator.response
        #expect(
            response.toolCalls == [
                ToolCall(id: "a", name: "first", arguments: "{}"),
                ToolCall(id: "b", name: "second", arguments: #"{"y":2}"#),
            ])
        #expect(response.model == "m-1")
        #expect(response.usage?.totalTokens == 7)
        #expect(response.finishReason == .toolCalls)
        #expect(accumulator.isFinished)
    }

    @Test("text deltas concatenate; no finish part means not finished")
    func text() {
        var accumulator = ChatStreamAccumulator()
        accumulator.add(.textDelta("Hel"))
        accumulator.add(.textDelta("lo"))
        #expect(accumulator.response.text == "Hello")
        #expect(!accumulator.isFinished)
    }
}
