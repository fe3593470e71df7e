import Foundation
import PipelineKit
import ProviderKit
import ProviderKitTesting
import StoryPipeline
import Testing

/// `StoryStudio` throws one flattened error: stage, code, message and the error underneath.
@Suite("StoryRunError")
struct StoryRunErrorTests {
    @Test("a failed stage's chain (pipeline → story → provider) flattens to its stage, story code and provider error")
    func flattensAFailedStage() {
        let provider = ProviderError.authentication("the key was refused", statusCode: 401)
        let story = StoryPipelineError.provider(
            "the text provider refused the key: set OPENAI_API_KEY", underlying: provider)
        let error = StoryRunError(flattening: PipelineError.stageFailed("ideas", underlying: story))
        #expect(error.stage == "ideas")
        #expect(error.code == .provider)
        #expect(error.message == story.message)
        #expect((error.underlying as? ProviderError)?.code == .authentication)
        #expect(error.description == "stage ideas failed: \(story.message)")
    }

    @Test("pipeline codes, cancellation and other errors keep their kind; nothing is lost")
    func otherShapes() {
        let timedOut = StoryRunError(
            flattening: PipelineError.stageFailed(
                "voice", underlying: PipelineError.attemptTimedOut("voice", after: .seconds(5))))
        #expect(timedOut.stage == "voice")
        #expect(timedOut.code == .attemptTimedOut)
        let missing = StoryRunError(flattening: PipelineError.runNotFound("no run r1"))
        #expect(missing.stage == nil)
        #expect(missing.code == .runNotFound)
        #expect(missing.description == "no run r1")
        let busy = StoryRunError(flattening: StoryPipelineError.busy("run r1 is running in process 42"))
        #expect(busy.code == .busy)
        #expect(busy.underlying is StoryPipelineError)
        let cancelled = StoryRunError(
            flattening: PipelineError.stageFailed("keyframes", underlying: CancellationError()))
        #expect(cancelled.code == .cancelled)
        #expect(cancelled.stage == "keyframes")
        let other = StoryRunError(flattening: POSIXError(.ENOSPC))
        #expect(other.code == .other)
        #expect(other.underlying is POSIXError)
        // Flattening twice changes nothing.
        #expect(StoryRunError(flattening: timedOut).stage == "voice")
        #expect(StoryRunError(flattening: timedOut).code == .attemptTimedOut)
    }

    @Test("resuming a run the store does not have throws StoryRunError runNotFound")
    func resumeMissingRun() async throws {
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("run-error-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: store) }
        let studio = try StoryStudio(store: store, providers: .offline(), ffmpeg: nil)
        let error = await #expect(throws: StoryRunError.self) {
            try await studio.resume(runID: "never-ran", exportTo: store.appendingPathComponent("out"))
        }
        #expect(error?.code == .runNotFound)
        #expect(error?.stage == nil)
        #expect(error?.message.contains("never-ran") == true)
    }

    @Test("a provider that refuses the key fails the first stage with one flat error carrying the ProviderError")
    func providerFailureOverHTTP() async throws {
        let server = try LoopbackHTTPServer { _ in
            .json(
                #"{"error":{"message":"Incorrect API key","type":"invalid_request_error","code":"invalid_api_key"}}"#,
                status: 401)
        }
        defer { server.shutdown() }
        let store = FileManager.default.temporaryDirectory.appendingPathComponent("run-error-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: store) }
        var providers = StoryProviders.offline()
        providers.text = OpenAICompatibleProvider(
            configuration: .init(baseURL: server.baseURL.appending(path: "v1"), apiKey: "sk-test", chatModel: "m"))
        let studio = try StoryStudio(store: store, providers: providers, ffmpeg: nil)
        let error = await #expect(throws: StoryRunError.self) {
            try await studio.run(
                studio.request(topic: "sea", seed: 1), runID: "refused", exportTo: store.appendingPathComponent("out"))
        }
        #expect(error?.stage == "ideas")
        #expect(error?.code == .provider)
        #expect((error?.underlying as? ProviderError)?.code == .authentication)
        #expect(server.requests.count == 1, "a refused key is not retried")
        #expect(error.map { "\($0)".contains("sk-test") } == false)
    }
}
