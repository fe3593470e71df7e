import Foundation
import PipelineKit
import PipelineKitTesting
import ProviderKit
import ProviderKitTesting
import StoryModels
import Synchronization
import Testing

@testable import StoryPipeline

/// Stage tests against a real OpenAI-compatible HTTP server on loopback whose answers are scripted.
@Suite struct ModelOutputTests {
    /// A loopback server that answers chat completions with `contents` in order (the last one repeats).
    final class ScriptedChatServer: Sendable {
        final class Log: Sendable {
            let bodies = Mutex<[String]>([])
            let answers: Mutex<[String]>
            init(_ answers: [String]) { self.answers = Mutex(answers) }
        }

        let server: LoopbackHTTPServer
        private let log: Log

        init(_ contents: [String]) throws {
            let log = Log(contents)
            self.log = log
            server = try LoopbackHTTPServer { request in
                log.bodies.withLock { $0.append(request.bodyText) }
                let content = log.answers.withLock { list in list.count > 1 ? list.removeFirst() : list[0] }
                let escaped = String(decoding: try! JSONEncoder().encode(content), as: UTF8.self)
                return .json(
                    #"{"id":"c1","object":"chat.completion","model":"scripted","choices":[{"index":0,"#
                        + #""message":{"role":"assistant","content":\#(escaped)},"finish_reason":"stop"}],"#
                        + #""usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}"#)
            }
        }

        var requestBodies: [String] { log.bodies.withLock { $0 } }

        func provider() -> OpenAICompatibleProvider {
            OpenAICompatibleProvider(
                configuration: .init(baseURL: server.baseURL, apiKey: "sk-test-secret", chatModel: "scripted"))
        }

        deinit { server.shutdown() }
    }

    func services(text: any TextGenerator) throws -> StoryServices {
        var providers = StoryProviders.offline()
        providers.text = text
        return StoryServices(providers: providers, ffmpeg: nil, library: nil, workDirectory: try temporaryDirectory())
    }

    func context(_ stage: StageID) -> StageContext {
        StageContext(runID: "test", stageID: stage, logger: .init(label: "test"), artifacts: InMemoryArtifactStore())
    }

    func stateWithIdea() -> StoryState {
        var state = StoryState(request: StoryRequest(topic: "lighthouse", seed: 1, targetSeconds: 20))
        let idea = StoryIdea(
            id: "idea-1", title: "The Last Light", logline: "A keeper's final night.", tone: "warm", theme: "memory",
            narrator: "calm", targetAudience: "adults", language: "en")
        state.candidates = [idea]
        state.idea = idea
        return state
    }

    static let goodNarration =
        "Every night the keeper climbed the stairs and lit the lamp. One stormy night the light went out. "
        + "She climbed anyway, afraid but steady. At the top she found a small bird by the glass. She smiled and "
        + "lit the lamp again, and the ships came home."

    @Test func invalidJSONAndMissingFieldsAreSentBackWithTheReasonUntilTheAnswerIsUsable() async throws {
        let good = String(
            decoding: try JSONEncoder().encode(["title": "The Last Light", "narration": Self.goodNarration]),
            as: UTF8.self)
        let server = try ScriptedChatServer(["{not json", #"{"title": "x"}"#, good])
        let stage = WriteScript(services: try services(text: server.provider()))
        let state = try await stage.run(stateWithIdea(), context: context(WriteScript.id))
        #expect(state.script?.current.text == Self.goodNarration)
        #expect(state.stageRecords.last?.usage?.totalTokens == 45)
        let bodies = server.requestBodies
        #expect(bodies.count == 3)
        #expect(bodies[1].contains("could not be used"))
        #expect(bodies[2].contains("narration"))
        #expect(!bodies.contains { $0.contains("sk-test-secret") })
    }

    @Test func theCostOfEveryAnswerIsBookedFromItsReportedUsage() async throws {
        let good = String(
            decoding: try JSONEncoder().encode(["title": "T", "narration": Self.goodNarration]), as: UTF8.self)
        let server = try ScriptedChatServer(["{", good])
        // The model comes from the provider's identity: a provider configured for gpt-4o-mini is priced as one.
        let services = try services(
            text: OpenAICompatibleProvider(
                configuration: .init(baseURL: server.server.baseURL, apiKey: "sk-test-secret", chatModel: "gpt-4o-mini")
            ))
        let state = try await WriteScript(services: services).run(stateWithIdea(), context: context(WriteScript.id))
        // Two answers of 10 prompt and 5 completion tokens at $0.15 and $0.60 per million.
        let cost = try #require(state.stageRecords.last?.costUsd)
        #expect(abs(cost - (20 * 0.15 + 10 * 0.60) / 1e6) < 1e-12)
    }

    @Test func anAnswerThatStaysMalformedEndsInAClearError() async throws {
        let server = try ScriptedChatServer(["```json\n{\"title\": 3}\n```"])
        let stage = WriteScript(services: try services(text: server.provider()))
        await #expect {
            _ = try await stage.run(stateWithIdea(), context: context(WriteScript.id))
        } throws: { error in
            guard let story = error as? StoryPipelineError else { return false }
            return story.code == .malformedModelOutput && story.message.contains("after 3 attempts")
        }
        #expect(server.requestBodies.count == 3)
    }

    @Test func anEmptyScriptIsRejectedAndRetried() async throws {
        let empty = #"{"title": "T", "narration": "   "}"#
        let good = String(
            decoding: try JSONEncoder().encode(["title": "T", "narration": Self.goodNarration]), as: UTF8.self)
        let server = try ScriptedChatServer([empty, good])
        let state = try await WriteScript(services: try services(text: server.provider()))
            .run(stateWithIdea(), context: context(WriteScript.id))
        #expect(state.script?.current.wordCount ?? 0 > 30)
        #expect(server.requestBodies[1].contains("narration is empty"))
    }

    @Test func theShotPlanAsksAgainWhenTheModelGivesTheWrongNumberOfShots() async throws {
        var state = stateWithIdea()
        state.script = Script(id: "s", ideaId: "idea-1", language: "en", generated: Self.goodNarration)
        let pieces = PlanShots.split(Self.goodNarration, language: "en", minimum: 3, maximum: 10, preferred: 5)
        let shot = #"{"visual_prompt": "a lighthouse at night", "mood": "calm", "camera": "slow zoom in"}"#
        let wrong = #"{"shots": [\#(shot)]}"#
        let right = #"{"shots": ["# + Array(repeating: shot, count: pieces.count).joined(separator: ",") + "]}"
        let server = try ScriptedChatServer([wrong, right])
        let planned = try await PlanShots(services: try services(text: server.provider()))
            .run(state, context: context(PlanShots.id))
        let shots = try #require(planned.shotlist?.shots)
        #expect(shots.count == pieces.count)
        #expect(shots.allSatisfy { $0.visualPrompt == "a lighthouse at night" && $0.motion == "zoom in" })
        #expect(planned.shotlist?.validate().isEmpty == true)
        #expect(server.requestBodies[1].contains("give exactly \(pieces.count)"))
    }

    @Test func ideasAreDecodedRankedAndDeduplicatedAgainstTheLibrary() async throws {
        func idea(_ title: String, _ score: Int) -> String {
            let segments = #"[{"segment": "tiktok", "score": \#(score)}]"#
            return #"{"title": "\#(title)", "logline": "l", "tone": "t", "theme": "m", "narrator": "n", "#
                + #""target_audience": "a", "platforms": \#(segments), "regions": [], "age_groups": [], "genders": [], "#
                + #""titles": [{"title": "\#(title)!", "score": 80}], "tags": [{"tag": "sea", "score": 200}]}"#
        }
        let server = try ScriptedChatServer([#"{"ideas": [\#(idea("Low", 10)), \#(idea("High", 90))]}"#])
        let directory = try temporaryDirectory()
        let library = try StoryLibrary(path: directory.appendingPathComponent("library.sqlite").path)
        var services = try services(text: server.provider())
        services.library = library
        let generated = try await GenerateIdeas(services: services)
            .run(StoryRequest(topic: "sea", ideaCount: 2), context: context(GenerateIdeas.id))
        #expect(generated.candidates.map(\.title) == ["High", "Low"])
        #expect(generated.candidates[0].tagSuggestions.first?.score == 100)

        var selected = try await SelectIdea(services: services).run(generated, context: context(SelectIdea.id))
        #expect(selected.idea?.title == "High")
        let script = Script(id: "s", ideaId: generated.candidates[0].id, language: "en", generated: "Words.")
        try await library.recordExport(
            runID: "r1", idea: generated.candidates[0], script: script,
            manifest: ExportManifest(
                runId: "r1", ideaId: "i", scriptId: "s", createdAt: Date(), title: "High", description: "",
                hashtags: [], voiceDuration: 1, videoDuration: 1, stages: [], files: []),
            outputDirectory: directory)
        selected = try await SelectIdea(services: services).run(generated, context: context(SelectIdea.id))
        #expect(selected.idea?.title == "Low")
    }

    @Test func aDeadProviderIsATypedProviderError() async throws {
        let server = try LoopbackHTTPServer { _ in .json("{}") }
        let url = server.baseURL
        server.shutdown()
        let dead = OpenAICompatibleProvider(configuration: .init(baseURL: url, apiKey: nil, chatModel: "m"))
        await #expect {
            _ = try await WriteScript(services: try services(text: dead)).run(
                stateWithIdea(), context: context(WriteScript.id))
        } throws: { error in
            (error as? StoryPipelineError)?.code == .provider
        }
    }
}
