import Foundation
import PipelineKit
import ProviderKit
import ProviderKitTesting
import StoryForgeCore
import StoryModels
import Synchronization
import Testing

@testable import StoryPipeline

/// The three routing behaviours the SDK was designed from, each as a story run over loopback: model servers that
/// speak the OpenAI-compatible and Ollama protocols and answer each stage's schema, behind a `routing` section.
@Suite(.serialized) struct TaskRoutingRunTests {
    /// Answers every story stage (ideas, script, revision, shot plan) by the schema the request carries, as an
    /// OpenAI-compatible server or as Ollama, and records which stage each request was for; fails while `failing`
    /// holds that stage.
    final class StoryModelServer: Sendable {
        final class State: Sendable {
            let value = Mutex<(failing: Set<String>, served: [String])>(([], []))
        }

        let server: LoopbackHTTPServer
        private let state = State()

        init(_ name: String, ollama: Bool = false, models: String, usage: (Int, Int) = (10, 5)) throws {
            let state = state
            server = try LoopbackHTTPServer { request in
                if request.path.hasSuffix("/models") || request.path == "/api/tags" { return .json(models) }
                let body = try? JSONValue(parsing: request.body)
                let schema = ollama ? body?["format"] : body?["response_format"]?["json_schema"]?["schema"]
                let stage = Self.stage(of: schema)
                let failing = state.value.withLock { state in
                    if state.failing.contains(stage) { return true }
                    state.served.append(stage)
                    return false
                }
                if failing { return .json(#"{"error":{"message":"down","type":"server_error"}}"#, status: 500) }
                let content = Self.answer(stage, schema: schema, from: name)
                let escaped = String(decoding: (try? JSONEncoder().encode(content)) ?? Data(), as: UTF8.self)
                if ollama {
                    return .json(
                        #"{"model":"m","message":{"role":"assistant","content":\#(escaped)},"done":true,"#
                            + #""prompt_eval_count":\#(usage.0),"eval_count":\#(usage.1)}"#)
                }
                return .json(
                    #"{"id":"c","object":"chat.completion","model":"m","choices":[{"index":0,"message":"#
                        + #"{"role":"assistant","content":\#(escaped)},"finish_reason":"stop"}],"#
                        + #""usage":{"prompt_tokens":\#(usage.0),"completion_tokens":\#(usage.1)}}"#)
            }
        }

        static func stage(of schema: JSONValue?) -> String {
            guard case .object(let properties)? = schema?["properties"] else { return "unknown" }
            if properties["ideas"] != nil { return "ideas" }
            if properties["shots"] != nil { return "shot_plan" }
            if properties["title"] != nil { return "script" }
            return properties["narration"] != nil ? "revision" : "unknown"
        }

        /// About 165 words: long enough that the shot plan's prompt (which lists it) is the biggest request.
        static let narration = Array(repeating: ModelOutputTests.goodNarration, count: 3).joined(separator: " ")

        static func answer(_ stage: String, schema: JSONValue?, from name: String) -> String {
            switch stage {
            case "ideas":
                return #"{"ideas":[{"title":"The Last Light","logline":"A keeper's final night.","tone":"warm","#
                    + #""theme":"memory","narrator":"calm","target_audience":"adults","platforms":[],"regions":[],"#
                    + #""age_groups":[],"genders":[],"titles":[{"title":"The Last Light","score":80}],"#
                    + #""tags":[{"tag":"sea","score":70}]}]}"#
            case "script":
                return String(
                    decoding: (try? JSONEncoder().encode(["title": "The Last Light", "narration": narration]))
                        ?? Data(),
                    as: UTF8.self)
            case "revision":
                return String(
                    decoding: (try? JSONEncoder().encode(["narration": narration + " Written by \(name)."])) ?? Data(),
                    as: UTF8.self)
            default:
                let count = schema?["properties"]?["shots"]?["minItems"]?.numberValue.flatMap { Int(exactly: $0) } ?? 1
                let shot = #"{"visual_prompt":"a lighthouse at night","mood":"calm","camera":"slow zoom in"}"#
                return #"{"shots":["# + Array(repeating: shot, count: count).joined(separator: ",") + "]}"
            }
        }

        func fail(_ stage: String) { state.value.withLock { _ = $0.failing.insert(stage) } }
        /// The stages whose requests were answered, in order.
        var served: [String] { state.value.withLock { $0.served } }

        deinit { server.shutdown() }
    }

    /// A fast local OpenAI-compatible server, a quality cloud one and an Ollama.
    struct Servers {
        let fast = try! StoryModelServer("fast", models: #"{"data":[{"id":"small","max_model_len":300}]}"#)
        let quality: StoryModelServer
        let ollama = try! StoryModelServer("ollama", ollama: true, models: #"{"models":[{"name":"llama3.2"}]}"#)

        init(qualityUsage: (Int, Int) = (10, 5)) throws {
            quality = try StoryModelServer("quality", models: #"{"data":[{"id":"big"}]}"#, usage: qualityUsage)
        }

        func providers(budget: Double? = nil) -> String {
            let breaker = #""circuit_breaker":{"failure_ratio":0.5,"minimum_calls":1,"open_seconds":600}"#
            return (budget.map { #""budget_usd":\#($0),"# } ?? "") + #"""
                "prices":{"big":{"input_per_million_tokens":10,"output_per_million_tokens":10}},
                "models":{"big":{"context_window":128000,"capabilities":["json_schema","streaming"]}},
                "providers":[
                  {"name":"fast","kind":"openai","base_url":"\#(fast.server.baseURL.appending(path: "v1").absoluteString)","model":"small",
                   "local":true,\#(breaker)},
                  {"name":"quality","kind":"openai","base_url":"\#(quality.server.baseURL.appending(path: "v1").absoluteString)",
                   "model":"big",\#(breaker)},
                  {"name":"local","kind":"ollama","base_url":"\#(ollama.server.baseURL.absoluteString)",
                   "model":"llama3.2",\#(breaker)}
                ]
                """#
        }
    }

    /// A story configuration with `routing`; `video` makes a short, small video (10 s at 360×640, as the offline run
    /// test does), else a 60-second story for the model stages alone.
    static func configuration(routing: String, threshold: Double = 0, maxRevisions: Int = 0, video: Bool = false)
        throws -> StoryConfiguration
    {
        let render = video ? #""render":{"width":360,"height":640,"fps":30},"# : ""
        var configuration = try StoryConfiguration.decode(
            json: Data(
                #"""
                {"story":{"topic":"a lighthouse","seed":5,"target_seconds":\#(video ? 10 : 60)},
                 "providers":{"speech":"espeak","images":"procedural"},\#(render)
                 "routing":{\#(routing)}}
                """#.utf8))
        configuration.pipeline.stages["revise"] = StageConfiguration(
            parameters: StageParameters([
                "threshold": .number(threshold), "max_revisions": .number(Double(maxRevisions)),
            ]))
        if video {
            configuration.pipeline.stages["keyframes"] = StageConfiguration(
                parameters: StageParameters(["width": .number(180), "height": .number(320)]))
        }
        return configuration
    }

    /// Runs the model stages (ideas → selection → script → revision → shot plan) with the configuration's routing.
    static func runTextStages(_ configuration: StoryConfiguration) async throws -> StoryState {
        let store = try temporaryDirectory("routing")
        defer { try? FileManager.default.removeItem(at: store) }
        let (providers, notes) = try await StoryProviders.fromEnvironment(
            [:], selection: configuration.providers, routing: configuration.routing)
        #expect(notes.contains { $0.hasPrefix("text: routed by task") })
        let studio = try StoryStudio(
            store: store, configuration: configuration, providers: providers, ffmpeg: nil
        ) { services in
            Pipeline("story") {
                GenerateIdeas(services: services)
                SelectIdea(services: services)
                WriteScript(services: services)
                ReviseScript(services: services)
                PlanShots(services: services)
            }
        }
        return try await studio.runner.run(studio.pipeline(), input: studio.request())
    }

    static func routes(_ state: StoryState, _ stage: String) -> [String] {
        (state.stageRecords.first { $0.stage == stage }?.routes ?? []).map(\.summary)
    }

    @Test(
        "per-task registry with fallbacks: ideas on a small local model, script on a strong cloud one that falls back")
    func perTaskRegistryWithFallbacks() async throws {
        let servers = try Servers()
        servers.quality.fail("script")
        let configuration = try Self.configuration(
            routing: servers.providers() + #"""
                ,"default":[{"route":"local","model":"llama3.2"},{"route":"quality","model":"big"}],
                "tasks":{
                  "ideas":[{"route":"local","model":"llama3.2"},{"route":"quality","model":"big"}],
                  "script":[{"route":"quality","model":"big"},{"route":"local","model":"llama3.2"}],
                  "shot_plan":[{"route":"quality","model":"big"},{"route":"local","model":"llama3.2"}]
                }
                """#)
        let state = try await Self.runTextStages(configuration)
        #expect(Self.routes(state, "ideas") == ["ideas → local/llama3.2 (ordered)"])
        // The cloud model failed the script: its local fallback wrote it, and the record says why.
        #expect(Self.routes(state, "script") == ["script → local/llama3.2 (failure)"])
        // The failure opened the cloud model's breaker (one failure is enough here): the shot plan skips it
        // without a call and goes to its local fallback.
        #expect(Self.routes(state, "shots") == ["shot_plan → local/llama3.2 (breaker_open)"])
        #expect(servers.ollama.served == ["ideas", "script", "shot_plan"])
        #expect(servers.quality.served.isEmpty)
        #expect(state.shotlist?.shots.isEmpty == false)
    }

    @Test("fast and quality tiers by complexity: small requests on the fast local model, big ones on quality")
    func fastAndQualityTiersByComplexity() async throws {
        let servers = try Servers()
        let tiered =
            #"[{"route":"fast","model":"small","tier":"fast"},{"route":"quality","model":"big","tier":"quality"}]"#
        let configuration = try Self.configuration(
            routing: servers.providers() + #"""
                ,"estimate":{"default_output_tokens":50},
                "default":\#(tiered)
                """#)
        let state = try await Self.runTextStages(configuration)
        // The ideas prompt (~150 tokens + 50) fits the 300-token window /v1/models reported for small; the shot plan,
        // which lists the whole narration (~900 bytes), does not.
        #expect(Self.routes(state, "ideas") == ["ideas → fast/small (ordered)"])
        #expect(Self.routes(state, "script") == ["script → fast/small (ordered)"])
        #expect(Self.routes(state, "shots") == ["shot_plan → quality/big (context_window)"])
        #expect(servers.fast.served == ["ideas", "script"])
        #expect(servers.quality.served == ["shot_plan"])
    }

    @Test("local first: a low revision score escalates once to the cloud, and a spent budget keeps the rest local")
    func localFirstWithEscalationAndBudget() async throws {
        // The cloud revision reports 1000 + 1000 tokens at $10 per million: $0.02, past the $0.01 budget.
        let servers = try Servers(qualityUsage: (1000, 1000))
        let configuration = try Self.configuration(
            routing: servers.providers(budget: 0.01) + #"""
                ,"default":[{"route":"local","model":"llama3.2"},{"route":"quality","model":"big"}],
                "tasks":{"shot_plan":[{"route":"quality","model":"big"},{"route":"local","model":"llama3.2"}]}
                """#, threshold: 100, maxRevisions: 3, video: true)
        let root = try temporaryDirectory("routing-run")
        defer { try? FileManager.default.removeItem(at: root) }
        let (studio, notes) = try await StoryStudio.make(
            store: root.appendingPathComponent("store"), configuration: configuration, environment: [:])
        #expect(notes.contains { $0.hasPrefix("text: routed by task") })
        let output = root.appendingPathComponent("out")
        let result = try await studio.run(studio.request(), runID: "routed", exportTo: output)

        // No score reaches 100: the first revision (local) asks for one escalation, the second goes to the cloud
        // model, and the third is local again: one escalation per run of the stage.
        let manifest = try StoryJSON.decode(
            ExportManifest.self, from: Data(contentsOf: output.appendingPathComponent("manifest.json")))
        let revise = try #require(manifest.stages.first { $0.stage == "revise" }?.routes)
        #expect(
            revise.map(\.summary) == ["revision → local/llama3.2 (ordered) ×2", "revision → quality/big (low_score)"])
        // The escalation spent the budget: the shot plan, cloud first, was served locally.
        #expect(
            manifest.stages.first { $0.stage == "shots" }?.routes?.map(\.summary) == [
                "shot_plan → local/llama3.2 (budget)"
            ])
        #expect(servers.quality.served == ["revision"])
        #expect(manifest.routeSummary.map(\.task) == ["ideas", "script", "revision", "revision", "shot_plan"])
        // Stages that called no model record no routes.
        #expect(manifest.stages.first { $0.stage == "voice" }?.routes == nil)
        #expect(result.manifest.routeSummary == manifest.routeSummary)
    }

    @Test("a routing section naming an unknown model or route is an error with its path under routing")
    func unknownModelsAndRoutesInTheStoryConfigurationAreErrorsWithTheirPath() throws {
        func message(_ routing: String) -> String {
            do {
                _ = try StoryConfiguration.decode(json: Data(#"{"routing":{\#(routing)}}"#.utf8))
                return "no error"
            } catch {
                return error.message
            }
        }
        let providers =
            #""providers":[{"name":"cloud","kind":"openai","model":"gpt-4o"},{"name":"voice","kind":"espeak"}]"#
        let model = message(providers + #","tasks":{"script":[{"route":"cloud"},{"route":"cloud","model":"gpt-5"}]}"#)
        #expect(model.contains("routing.tasks.script.1.model: unknown model \"gpt-5\""), "\(model)")
        let route = message(providers + #","tasks":{"ideas":[{"route":"local"}]}"#)
        #expect(route.contains("routing.tasks.ideas.0.route: unknown route \"local\""), "\(route)")
        let speech = message(providers + #","default":[{"route":"voice"}]"#)
        #expect(speech.contains("routing.default.0.route: voice has no text generator"), "\(speech)")
        let number = message(providers + #","estimate":{"bytes_per_token":0}"#)
        #expect(number.contains("routing.estimate.bytes_per_token"), "\(number)")
        // A valid section survives the round trip through the saved configuration.
        let valid = try StoryConfiguration.decode(
            json: Data(
                #"{"routing":{\#(providers),"tasks":{"shot_plan":[{"route":"cloud","model":"gpt-4o-mini"}]}}}"#.utf8))
        let reread = try StoryConfiguration.decode(json: valid.jsonData())
        #expect(reread.routing == valid.routing)
        #expect(reread.routing?.tasks?["shot_plan"]?.first?.model == "gpt-4o-mini")
    }
}
