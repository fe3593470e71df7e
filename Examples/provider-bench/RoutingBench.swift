import Foundation
import ProviderKit

/// The cost of a per-task routing decision (``ProviderRouter/plan(for:streaming:)``: the task's list, the request's
/// size estimate, each route's fit against its registry entry, the tier choice), without any call, for three kinds of
/// request: a short one on an ordered list, one too big for the fast tier of a tiered list (the quality tier goes
/// first), and one whose task falls to the default list. `plan + lookups` adds a registry lookup of every candidate's
/// model, what an uncompiled router would do per call. Medians of rounds of 200,000 decisions each.
enum RoutingBench {
    static func run(rounds: Int = 9, iterations: Int = 200_000) throws {
        // Real providers; nothing is called, so the address is never dialled.
        func provider(_ model: String) -> OpenAICompatibleProvider {
            OpenAICompatibleProvider(
                configuration: .init(baseURL: URL(string: "http://127.0.0.1:9/v1")!, chatModel: model))
        }
        let routes = [
            ProviderRouter.Route(name: "fast", textGenerator: provider("small"), isLocal: true),
            ProviderRouter.Route(name: "local", textGenerator: provider("llama3.2"), isLocal: true),
            ProviderRouter.Route(name: "cloud", textGenerator: provider("gpt-4o")),
        ]
        var registry = ModelRegistry(prices: .standard)
        registry.register(.init(id: "small", contextWindow: 1000, capabilities: [.jsonSchema, .streaming]))
        registry.register(.init(id: "llama3.2", contextWindow: 8192, capabilities: [.jsonSchema, .streaming]))
        let tiered: [TaskRoutes.Entry] = [
            .init(route: "fast", model: "small", tier: .fast), .init(route: "cloud", model: "gpt-4o", tier: .quality),
        ]
        let router = try ProviderRouter(
            routes: routes,
            taskRoutes: TaskRoutes(
                default: [.init(route: "local", model: "llama3.2"), .init(route: "cloud", model: "gpt-4o-mini")],
                tasks: [
                    .ideas: [.init(route: "local", model: "llama3.2"), .init(route: "cloud", model: "gpt-4o-mini")],
                    .script: tiered, .revision: tiered, .shotPlan: tiered,
                ]),
            registry: registry)
        func request(_ task: ModelTask, bytes: Int) -> ChatRequest {
            ChatRequest(
                messages: [.system("You write story ideas."), .user(String(repeating: "a", count: bytes))],
                responseFormat: .jsonSchema(name: "s", schema: ["type": "object"], strict: false), task: task)
        }
        let cases: [(String, ChatRequest)] = [
            ("ordered list, short request", request(.ideas, bytes: 200)),
            ("tiered, over the fast window", request(.script, bytes: 8000)),
            ("unknown task, default list", request(ModelTask("captions"), bytes: 200)),
        ]
        for (name, request) in cases {
            var planOnly: [Double] = []
            var withLookups: [Double] = []
            var sink = 0
            for _ in 0..<rounds {
                planOnly.append(
                    time(iterations) {
                        sink &+= router.plan(for: request)?.candidates.count ?? 0
                    })
                withLookups.append(
                    time(iterations) {
                        guard let plan = router.plan(for: request) else { return }
                        for candidate in plan.candidates {
                            sink &+= router.registry[candidate.model ?? ""]?.contextWindow ?? 0
                        }
                    })
            }
            func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }
            print(
                String(
                    format: "routing: %@: plan %.0f ns, plan + lookups %.0f ns per decision (median of %d × %d)",
                    name, median(planOnly) * 1e9, median(withLookups) * 1e9, rounds, iterations))
            // Keeps the optimiser from dropping the loops: the sum is never this.
            if sink == Int.min { print(sink) }
        }
    }

    /// Seconds per iteration of `body`, over `iterations`.
    static func time(_ iterations: Int, _ body: () -> Void) -> Double {
        let start = ContinuousClock.now
        for _ in 0..<iterations { body() }
        let elapsed = ContinuousClock.now - start
        return (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            / Double(iterations)
    }
}
