import Foundation
import OfflineProviders
import PipelineKit
import ProviderKit
import ProviderKitTesting
import StoryPipeline
import Synchronization
import Testing

/// One retry layer per provider call: against a loopback server that always fails, a stage makes at most the
/// provider policy's attempts (4) when the provider retries itself, or the stage policy's (3) when it does not;
/// never the product of the two (12 before).
@Suite struct ProviderRetryTests {
    /// Answers every chat request with a 503 and `Retry-After: 0`, so the retries wait no time, and counts them.
    final class AlwaysFailing: Sendable {
        final class Counter: Sendable {
            let value = Mutex(0)
        }

        let server: LoopbackHTTPServer
        private let chats = Counter()

        init() throws {
            let chats = chats
            server = try LoopbackHTTPServer { request in
                if request.path.hasSuffix("/chat/completions") { chats.value.withLock { $0 += 1 } }
                return .json(
                    #"{"error": {"message": "overloaded", "type": "server_error"}}"#, status: 503,
                    headers: [("Retry-After", "0")])
            }
        }

        var chatRequests: Int { chats.value.withLock { $0 } }

        deinit { server.shutdown() }
    }

    func runIdeas(_ providers: StoryProviders) async throws -> any Error {
        let store = try temporaryDirectory("retry")
        defer { try? FileManager.default.removeItem(at: store) }
        let studio = try StoryStudio(store: store, providers: providers, ffmpeg: nil)
        do {
            _ = try await studio.runner.run(studio.pipeline(), input: studio.request(topic: "a lighthouse"))
        } catch {
            return error
        }
        Issue.record("the run succeeded against a server that always fails")
        return CancellationError()
    }

    @Test func aProviderThatRetriesItselfGetsNoStageRetry() async throws {
        let failing = try AlwaysFailing()
        let environment = ["OPENAI_BASE_URL": failing.server.baseURL.absoluteString, "OPENAI_API_KEY": "sk-test"]
        let (providers, _) = try await StoryProviders.fromEnvironment(
            environment, selection: .init(text: .openAI, speech: .espeak, images: .procedural))
        #expect(providers.text.capabilities.contains(.retriesTransientFailures))
        let error = try await runIdeas(providers)
        #expect("\(error)".contains("503") || "\(error)".contains("overloaded"))
        // ProviderRetryPolicy's default of 4 attempts, and no stage attempt on top.
        #expect(failing.chatRequests == 4)
    }

    @Test func aProviderWithoutItsOwnRetryIsRetriedByTheStageAlone() async throws {
        let failing = try AlwaysFailing()
        let bare = OpenAICompatibleProvider(configuration: .init(baseURL: failing.server.baseURL, apiKey: "sk-test"))
        #expect(!bare.capabilities.contains(.retriesTransientFailures))
        let providers = StoryProviders(
            text: bare, speech: EspeakSpeechSynthesizer(), images: ProceduralImageGenerator())
        _ = try await runIdeas(providers)
        // StoryStudio.providerRetry(for:): 3 stage attempts, one HTTP request each.
        #expect(failing.chatRequests == 3)
    }

    @Test func aHostProviderWrappedInRetryIsNotRetriedTwice() async throws {
        let failing = try AlwaysFailing()
        let retrying = OpenAICompatibleProvider(
            configuration: .init(baseURL: failing.server.baseURL, apiKey: "sk-test")
        )
        .withRetry(.exponentialJitter(maxAttempts: 2, initialDelay: .milliseconds(10)))
        let providers = StoryProviders(
            text: retrying, speech: EspeakSpeechSynthesizer(), images: ProceduralImageGenerator())
        #expect(StoryStudio.providerRetry(for: providers.text).strategy.delay(afterAttempt: 1, error: failure) == nil)
        _ = try await runIdeas(providers)
        #expect(failing.chatRequests == 2)
    }

    let failure = StoryPipelineError.provider("503", underlying: ProviderError.server("503", statusCode: 503))
}
