import Foundation
import MediaIO
import OfflineProviders
import PipelineKit
import ProviderKit
import StoryModels
import StoryPipeline
import Synchronization
import Testing

// The code of Docs/Extending.md, compiled and run.

struct AddCallToAction: PipelineStage {
    static let id: StageID = "call-to-action"
    static let version = 1

    func run(_ input: StoryState, context: StageContext) async throws -> StoryState {
        var state = input
        guard var script = state.script else { return state }  // nothing to do before a script exists
        let line = context.configuration.string("line") ?? "Follow for the next story."
        let text = script.current.text + " " + line
        _ = try script.append(.enhanced, text: text, from: script.current.number, score: script.current.score)
        state.script = script
        return state
    }
}

struct HouseStyle: TextGenerator {
    let base: any TextGenerator
    let style: String

    var capabilities: ProviderCapabilities { base.capabilities }
    func checkHealth() async throws -> HealthReport { try await base.checkHealth() }

    func generate(_ request: ChatRequest) async throws -> ChatResponse {
        try await base.generate(styled(request))
    }

    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamPart, any Error> {
        base.stream(styled(request))
    }

    private func styled(_ request: ChatRequest) -> ChatRequest {
        var request = request
        request.messages.insert(.system(style), at: 0)
        return request
    }
}

/// Records the requests that reach it, to check the decorator's effect.
final class RecordingWriter: TextGenerator, Sendable {
    let requests = Mutex<[ChatRequest]>([])
    let base = TemplateStoryWriter()
    var capabilities: ProviderCapabilities { base.capabilities }
    func checkHealth() async throws -> HealthReport { try await base.checkHealth() }
    func generate(_ request: ChatRequest) async throws -> ChatResponse {
        requests.withLock { $0.append(request) }
        return try await base.generate(request)
    }
    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamPart, any Error> { base.stream(request) }
}

@Suite struct ExtendingGuideTests {
    @Test func theGuidesStageAndProviderWorkInAPipelineOfTheHostsOwn() async throws {
        let store = try temporaryDirectory("guide")
        defer { try? FileManager.default.removeItem(at: store) }
        let recorder = RecordingWriter()
        var providers = StoryProviders.offline()
        providers.text = HouseStyle(base: recorder, style: "Write for children: short words, no fright.")
        providers.textName = "house-style+template"
        var configuration = StoryConfiguration()
        configuration.pipeline.stages["call-to-action"] = StageConfiguration(
            parameters: StageParameters(["line": .string("Part two tomorrow.")]))
        let studio = try StoryStudio(
            store: store, configuration: configuration, providers: providers, ffmpeg: try await FFmpeg.locate()
        ) { services in
            Pipeline("story-with-cta") {
                GenerateIdeas(services: services)
                SelectIdea(services: services)
                WriteScript(services: services)
                ReviseScript(services: services)
                AddCallToAction()
                PlanShots(services: services)
            }
        }
        let state = try await studio.runner.run(studio.pipeline(), input: studio.request(topic: "a night train"))
        #expect(state.script?.current.text.hasSuffix("Part two tomorrow.") == true)
        #expect(state.shotlist?.shots.last?.narration.text.hasSuffix("Part two tomorrow.") == true)
        let requests = recorder.requests.withLock { $0 }
        #expect(requests.count >= 3)
        #expect(requests.allSatisfy { $0.messages.first?.content == "Write for children: short words, no fright." })
        #expect(studio.request().providers.contains("house-style+template"))
    }
}
