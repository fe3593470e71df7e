import Foundation
import Logging
import ProviderKit
import ProviderKitTesting

/// Shared wire fixtures for the resilience tests: OpenAI-shaped answers and a provider on a
/// loopback server.
enum ResilienceFixtures {
    static let secret = "sk-test-RESILIENCE-0123456789"

    static func chatJSON(_ text: String = "ok", promptTokens: Int = 10, completionTokens: Int = 5) -> String {
        #"{"id":"x","object":"chat.completion","model":"test-model","choices":[{"index":0,"message":{"role":"assistant","content":"\#(text)"},"finish_reason":"stop"}],"usage":{"prompt_tokens":\#(promptTokens),"completion_tokens":\#(completionTokens)}}"#
    }

    static func ok(_ text: String = "ok") -> LoopbackHTTPServer.Response { .json(chatJSON(text)) }

    static func error(_ status: Int, code: String? = nil, headers: [(name: String, value: String)] = [])
        -> LoopbackHTTPServer.Response
    {
        let codeText = code.map { "\"\($0)\"" } ?? "null"
        return .json(
            #"{"error":{"message":"scripted failure","type":"test","code":\#(codeText)}}"#, status: status,
            headers: headers)
    }

    static func chunk(_ delta: String, finish: String? = nil) -> String {
        let reason = finish.map { "\"\($0)\"" } ?? "null"
        return
            #"data: {"id":"c1","model":"test-model","choices":[{"index":0,"delta":\#(delta),"finish_reason":\#(reason)}]}"#
            + "\n\n"
    }

    static var completeStream: LoopbackHTTPServer.Response {
        .stream([
            chunk(#"{"role":"assistant","content":"Hel"}"#), chunk(#"{"content":"lo"}"#), chunk("{}", finish: "stop"),
            "data: [DONE]\n\n",
        ])
    }

    /// A logger that keeps the many scripted failures out of the test output.
    static let quiet: Logger = {
        var logger = Logger(label: "storyforge.test.resilience")
        logger.logLevel = .critical
        return logger
    }()

    static func provider(_ server: LoopbackHTTPServer, timeouts: HTTPTimeouts = HTTPTimeouts())
        -> OpenAICompatibleProvider
    {
        OpenAICompatibleProvider(
            configuration: .init(
                baseURL: server.baseURL.appending(path: "v1"), apiKey: secret, chatModel: "test-model",
                timeouts: timeouts, logger: quiet))
    }

    static let request = ChatRequest(messages: [.user("Hi")])
    static let deterministic = ChatRequest(messages: [.user("Tell me a story")], temperature: 0)
}

extension ResponseOrigin {
    /// The origin without what the answering provider's identity adds (model, fingerprint), to compare the route a
    /// response took with a hand-written one.
    var route: ResponseOrigin {
        ResponseOrigin(provider: provider, usedFallback: usedFallback, skipped: skipped, fromCache: fromCache)
    }
}
