import Foundation
import ProviderKit
import ProviderKitTesting
import StoryForgeCore
import Synchronization
import Testing

/// Per-task routing over loopback: two OpenAI-compatible servers (a fast local one and a quality cloud one) and an
/// Ollama server, each speaking its wire protocol, behind a router made from a configuration file.
@Suite struct TaskRoutingTests {
    /// A loopback model server: OpenAI-compatible (`/v1/models`, `/v1/chat/completions`) or Ollama (`/api/tags`,
    /// `/api/chat`), answering `from <name>` and recording the model each chat asked for; it fails while `failing`.
    final class ModelServer: Sendable {
        final class State: Sendable {
            let value = Mutex<(failing: Bool, chats: [String])>((false, []))
        }

        let name: String
        let server: LoopbackHTTPServer
        private let state = State()

        init(_ name: String, ollama: Bool = false, listing: String, usage: (Int, Int) = (10, 5)) throws {
            self.name = name
            let state = state
            server = try LoopbackHTTPServer { request in
                if request.path.hasSuffix("/models") || request.path == "/api/tags" { return .json(listing) }
                let body = try? JSONValue(parsing: request.body)
                let model = body?["model"]?.stringValue ?? "?"
                let failing = state.value.withLock { state in
                    if !state.failing { state.chats.append(model) }
                    return state.failing
                }
                if failing {
                    return .json(#"{"error":{"message":"down","type":"server_error"}}"#, status: 500)
                }
                if !ollama, body?["stream"] == true {
                    return .stream([
                        ResilienceFixtures.chunk(#"{"role":"assistant","content":"from \#(name)"}"#),
                        ResilienceFixtures.chunk("{}", finish: "stop"), "data: [DONE]\n\n",
                    ])
                }
                if ollama {
                    return .json(
                        #"{"model":"\#(model)","message":{"role":"assistant","content":"from \#(name)"},"done":true,"#
                            + #""done_reason":"stop","prompt_eval_count":\#(usage.0),"eval_count":\#(usage.1)}"#)
                }
                return .json(
                    #"{"id":"x","object":"chat.completion","model":"\#(model)","choices":[{"index":0,"message":"#
                        + #"{"role":"assistant","content":"from \#(name)"},"finish_reason":"stop"}],"#
                        + #""usage":{"prompt_tokens":\#(usage.0),"completion_tokens":\#(usage.1)}}"#)
            }
        }

        func fail(_ failing: Bool) { state.value.withLock { $0.failing = failing } }
        /// The models the chats that were answered asked for, in order.
        var chats: [String] { state.value.withLock { $0.chats } }

        deinit { server.shutdown() }
    }

    /// The three servers; the fast one lists hostile context sizes beside honest ones.
    struct Servers {
        let fast: ModelServer
        let quality: ModelServer
        let ollama: ModelServer

        init(qualityUsage: (Int, Int) = (10, 5)) throws {
            fast = try ModelServer(
                "fast",
                listing: #"{"object":"list","data":[{"id":"small","max_model_len":1000},"#
                    + #"{"id":"small-noschema","context_length":1000},{"id":"huge","max_model_len":1e300},"#
                    + #"{"id":"negative","context_window":-5},{"id":"fraction","max_model_len":512.5},"#
                    + #"{"id":"text","max_model_len":"lots"}]}"#)
            quality = try ModelServer(
                "quality", listing: #"{"object":"list","data":[{"id":"big"}]}"#, usage: qualityUsage)
            ollama = try ModelServer(
                "ollama", ollama: true,
                listing: #"{"models":[{"name":"llama3.2","model":"llama3.2","size":2019393189}]}"#)
        }

        /// The providers section: fast is local (and lists its models), quality is remote, Ollama lists its models.
        var providers: String {
            let breaker = #""circuit_breaker":{"failure_ratio":0.5,"minimum_calls":1,"open_seconds":600}"#
            return #"""
                [
                  {"name":"fast","kind":"openai","base_url":"\#(fast.server.baseURL.appending(path: "v1").absoluteString)","model":"small",
                   "local":true,\#(breaker)},
                  {"name":"quality","kind":"openai","base_url":"\#(quality.server.baseURL.appending(path: "v1").absoluteString)",
                   "model":"big",\#(breaker)},
                  {"name":"local","kind":"ollama","base_url":"\#(ollama.server.baseURL.absoluteString)"}
                ]
                """#
        }

        static let models =
            #""big":{"context_window":128000,"capabilities":["json_schema","tools","streaming"],"latency":"slow"},"#
            + #""small-noschema":{"capabilities":["streaming"]}"#

        /// A router over the three servers; `models` is the content of the configuration's `models` section.
        func router(_ routing: String, budget: Double? = nil, models: String = Servers.models) async throws
            -> ProviderRouter
        {
            let budgetLine = budget.map { #""budget_usd":\#($0),"# } ?? ""
            let json = #"""
                {\#(budgetLine)
                 "prices":{"big":{"input_per_million_tokens":10,"output_per_million_tokens":10}},
                 "providers":\#(providers),
                 "models":{\#(models)},
                 \#(routing)}
                """#
            return try await ProviderRouter.make(
                configuration: RouterConfiguration.decode(json: Data(json.utf8)), environment: [:],
                logger: ResilienceFixtures.quiet)
        }
    }

    static let routing = #"""
        "default":[{"route":"local","model":"llama3.2"},{"route":"quality","model":"big"}],
        "tasks":{
          "ideas":[{"route":"local","model":"llama3.2"},{"route":"quality","model":"big"}],
          "script":[{"route":"fast","model":"small","tier":"fast"},{"route":"quality","model":"big","tier":"quality"}],
          "revision":[{"route":"fast","model":"small"},{"route":"quality","model":"big"}],
          "shot_plan":[{"route":"fast","model":"small-noschema"},{"route":"quality","model":"big"}]
        }
        """#

    static func request(_ task: ModelTask?, bytes: Int = 40, schema: Bool = false) -> ChatRequest {
        var request = ChatRequest(
            messages: [.user(String(repeating: "a", count: bytes))],
            responseFormat: schema ? .jsonSchema(name: "plan", schema: ["type": "object"], strict: false) : .text)
        request.task = task
        return request
    }

    @Test("each task goes to its configured route, with the model its route names")
    func eachTaskGoesToItsRoute() async throws {
        let servers = try Servers()
        let router = try await servers.router(Self.routing)
        let ideas = try await router.generate(Self.request(.ideas))
        let script = try await router.generate(Self.request(.script))
        let revision = try await router.generate(Self.request(.revision))
        #expect(ideas.text == "from ollama")
        #expect(
            ideas.origin?.routing
                == RoutingDecision(
                    task: .ideas, route: "local", model: "llama3.2", reason: .ordered, canEscalate: true))
        #expect(script.text == "from fast")
        #expect(script.origin?.routing?.tier == .fast)
        #expect(script.origin?.routing?.reason == .ordered)
        #expect(revision.text == "from fast")
        #expect(revision.origin?.routing?.route == "fast")
        #expect(servers.ollama.chats == ["llama3.2"])
        #expect(servers.fast.chats == ["small", "small"])
        #expect(servers.quality.chats.isEmpty)
        #expect(
            router.routingCounts().map { "\($0.task)/\($0.route)/\($0.reason)=\($0.calls)" } == [
                "ideas/local/ordered=1", "revision/fast/ordered=1", "script/fast/ordered=1",
            ])
    }

    @Test("a request over the fast tier's context window goes to the quality tier, and says why")
    func overTheFastContextWindowGoesToQuality() async throws {
        let servers = try Servers()
        let router = try await servers.router(Self.routing)
        // 4000 bytes ≈ 1000 tokens, plus 512 output, is past small's 1000-token window (as /v1/models reported it).
        let plan = try #require(router.plan(for: Self.request(.script, bytes: 4000)))
        #expect(plan.inputTokens == 1000)
        #expect(plan.candidates.map(\.route) == ["quality", "fast"])
        #expect(plan.reason == .contextWindow)
        let response = try await router.generate(Self.request(.script, bytes: 4000))
        #expect(response.text == "from quality")
        #expect(response.origin?.routing?.reason == .contextWindow)
        #expect(response.origin?.routing?.tier == .quality)
        // Just under the window (1000 bytes = 250 tokens + 512 ≤ 1000) stays on the fast tier.
        let small = try await router.generate(Self.request(.script, bytes: 1000))
        #expect(small.origin?.routing?.route == "fast")
        #expect(servers.fast.chats == ["small"])
    }

    @Test("a JSON-schema request skips a model without schema support; the same request as text does not")
    func aSchemaRequestSkipsAModelWithoutSchemaSupport() async throws {
        let servers = try Servers()
        let router = try await servers.router(Self.routing)
        let schema = try await router.generate(Self.request(.shotPlan, schema: true))
        #expect(schema.text == "from quality")
        #expect(schema.origin?.routing?.reason == .capability)
        #expect(
            schema.origin?.routing?.skipped == [.init(route: "fast", model: "small-noschema", reason: .capability)])
        let text = try await router.generate(Self.request(.shotPlan))
        #expect(text.text == "from fast")
        #expect(servers.fast.chats == ["small-noschema"])
        #expect(servers.quality.chats == ["big"])
    }

    @Test("the fast tier failing falls over to quality, then its open breaker is skipped without a call")
    func aFailingOrBreakerOpenFastTierFallsOver() async throws {
        let servers = try Servers()
        let router = try await servers.router(Self.routing)
        servers.fast.fail(true)
        let first = try await router.generate(Self.request(.script))
        #expect(first.text == "from quality")
        #expect(first.origin?.routing?.reason == .failure)
        #expect(first.origin?.usedFallback == true)
        let requestsBefore = servers.fast.server.requests.count
        let second = try await router.generate(Self.request(.script))
        #expect(second.text == "from quality")
        #expect(second.origin?.routing?.reason == .breakerOpen)
        #expect(servers.fast.server.requests.count == requestsBefore, "an open breaker is skipped without a call")
    }

    @Test("an escalation after a weak answer goes to the next route once, with reason low_score")
    func anEscalationGoesToTheNextRoute() async throws {
        let servers = try Servers()
        let router = try await servers.router(Self.routing)
        let weak = try await router.generate(Self.request(.revision))
        let decision = try #require(weak.origin?.routing)
        #expect(decision.route == "fast")
        #expect(decision.canEscalate)
        var again = Self.request(.revision)
        again.escalation = RouteEscalation(after: decision.route)
        let escalated = try await router.generate(again)
        #expect(escalated.text == "from quality")
        #expect(escalated.origin?.routing?.reason == .lowScore)
        #expect(escalated.origin?.routing?.canEscalate == false)
    }

    @Test("once the budget is spent every later call is served by a local route")
    func aSpentBudgetKeepsEveryLaterCallLocal() async throws {
        // The quality answer reports 1000 + 1000 tokens at $10 per million: $0.02, past the $0.01 budget.
        let servers = try Servers(qualityUsage: (1000, 1000))
        let router = try await servers.router(
            #"""
            "tasks":{
              "script":[{"route":"quality","model":"big"},{"route":"local","model":"llama3.2"}],
              "ideas":[{"route":"quality","model":"big"},{"route":"fast","model":"small"}]
            }
            """#, budget: 0.01)
        let first = try await router.generate(Self.request(.script))
        #expect(first.text == "from quality")
        #expect(await router.ledger.isSpent)
        for task in [ModelTask.script, .ideas, .script] {
            let later = try await router.generate(Self.request(task))
            #expect(later.origin?.routing?.reason == .budget)
            #expect(later.origin?.routing?.route == (task == .ideas ? "fast" : "local"))
        }
        #expect(servers.quality.chats == ["big"])
    }

    @Test("a task without a list of its own, or a request without a task, takes the default list")
    func unknownTasksUseTheDefaultList() async throws {
        let servers = try Servers()
        let router = try await servers.router(Self.routing)
        let captions = try await router.generate(Self.request(ModelTask("captions")))
        #expect(captions.text == "from ollama")
        #expect(captions.origin?.routing?.task == "captions")
        let unnamed = try await router.generate(Self.request(nil))
        #expect(unnamed.origin?.routing?.task == .unnamed)
        #expect(unnamed.origin?.routing?.route == "local")
    }

    @Test("models listed by local servers join the registry; hostile context sizes are rejected for the default")
    func listedModelsJoinWithCheckedContextWindows() async throws {
        let servers = try Servers()
        let router = try await servers.router(Self.routing)
        let registry = router.registry
        #expect(registry["small"]?.contextWindow == 1000)
        #expect(registry["small"]?.source == "fast")
        // 1e300, −5, 512.5 and a string are no context window: Ollama's 4096 default instead.
        for id in ["huge", "negative", "fraction", "text"] { #expect(registry[id]?.contextWindow == 4096, "\(id)") }
        #expect(registry["llama3.2"]?.contextWindow == 4096)
        #expect(registry["llama3.2"]?.source == "local")
        // The configuration's entry wins over the server's report.
        #expect(registry["small-noschema"]?.capabilities == [.streaming])
        #expect(registry["small-noschema"]?.contextWindow == 1000)
        #expect(registry["gpt-4o-mini"]?.contextWindow == 128_000)
    }

    @Test("a configuration naming an unknown model or route is an error with its path")
    func unknownModelsAndRoutesAreErrorsWithTheirPath() async throws {
        let servers = try Servers()
        func message(_ routing: String) async -> String {
            do {
                _ = try await servers.router(routing)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let model = await message(
            #""tasks":{"script":[{"route":"quality","model":"big"},{"route":"quality","model":"gpt-5"}]}"#)
        #expect(model.contains("tasks.script.1.model: unknown model \"gpt-5\""), "\(model)")
        let route = await message(#""tasks":{"ideas":[{"route":"nowhere"}]}"#)
        #expect(route.contains("tasks.ideas.0.route: unknown route \"nowhere\""), "\(route)")
        let listed = await message(#""tasks":{"ideas":[{"route":"local","model":"not-pulled"}]}"#)
        #expect(listed.contains("tasks.ideas.0.model: unknown model \"not-pulled\""), "\(listed)")
        let defaultList = await message(#""default":[{"route":"quality","model":"nope"}]"#)
        #expect(defaultList.contains("default.0.model"), "\(defaultList)")
        let tier = await message(#""tasks":{"script":[{"route":"fast","tier":"medium"}]}"#)
        #expect(tier.contains("tasks.script.0.tier"), "\(tier)")
        let mixed = await message(#""tasks":{"script":[{"route":"fast","tier":"fast"},{"route":"quality"}]}"#)
        #expect(mixed.contains("tasks.script: give every entry a tier"), "\(mixed)")
        let key = await message(#""tasks":{"script":[{"route":"fast","modle":"small"}]}"#)
        #expect(key.contains("tasks.script.0.modle: unknown key"), "\(key)")
        func models(_ models: String) async -> String {
            do {
                _ = try await servers.router(#""tasks":{}"#, models: models)
                return "no error"
            } catch {
                return "\(error)"
            }
        }
        let window = await models(#""x":{"context_window":1e12}"#)
        #expect(window.contains("models.x.context_window"), "\(window)")
        let capability = await models(#""x":{"capabilities":["telepathy"]}"#)
        #expect(capability.contains("models.x.capabilities.0"), "\(capability)")
    }

    @Test("a streamed call is routed by task too: streaming is a capability the model must have")
    func streamsAreRoutedByTask() async throws {
        let servers = try Servers()
        let router = try await servers.router(
            Self.routing, models: Servers.models + #","small":{"capabilities":["json_schema"]}"#)
        let plan = try #require(router.plan(for: Self.request(.script), streaming: true))
        // The fast tier cannot stream: the quality tier goes first, and the fast one is still listed (unfit) after it.
        #expect(plan.candidates.map(\.route) == ["quality", "fast"])
        #expect(plan.candidates.map(\.unfit) == [nil, .capability])
        #expect(plan.reason == .capability)
        var text = ""
        for try await part in router.stream(Self.request(.script)) {
            if case .textDelta(let delta) = part { text += delta }
        }
        #expect(text == "from quality")
        #expect(servers.fast.chats.isEmpty)
        #expect(router.routingCounts().map(\.reason) == [.capability])
        // The same request whole needs no streaming: the fast tier takes it.
        #expect(try await router.generate(Self.request(.script)).text == "from fast")
    }
}
