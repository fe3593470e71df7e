import ProviderKit
import ProviderKitTesting
import Testing

// The code of Docs/Extending.md's "Testing against the providers' wire protocols", compiled and run.

@Test func aBusyServerIsRetriedInVirtualTime() async throws {
    let busy = LoopbackHTTPServer.Response.json(#"{"error":{"message":"busy","type":"server"}}"#, status: 503)
    let answer = LoopbackHTTPServer.Response.json(
        #"{"id":"1","object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}]}"#
    )
    let script = ScriptedResponses([busy], then: answer)
    let server = try LoopbackHTTPServer { script.handler($0) }
    defer { server.shutdown() }
    let clock = ProviderTestClock()
    let provider = OpenAICompatibleProvider(
        configuration: .init(baseURL: server.baseURL.appending(path: "v1"), apiKey: "sk-test", chatModel: "m")
    ).withRetry(.exponentialJitter(maxAttempts: 3, jitter: .none), clock: clock.providerClock)

    let response = try await provider.generate(ChatRequest(messages: [.user("Hi")]))
    #expect(response.text == "hi")
    #expect(server.requests.count == 2)
    #expect(clock.sleeps == [.milliseconds(500)])  // the first backoff step, taken in no real time
}
