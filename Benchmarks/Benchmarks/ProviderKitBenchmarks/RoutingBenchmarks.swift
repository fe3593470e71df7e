import Benchmark
import Foundation
import ProviderKit

// The cost of one per-task routing decision (`ProviderRouter.plan(for:)`: the task's route list, the request's
// token estimate, each route's fit against its registry entry, the tier choice), without any call. The bar is
// under 5 µs per decision; the same scenario runs in `provider-bench --routing` without the harness.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 1,
        scalingFactor: .kilo,
        maxDuration: .seconds(5),
        maxIterations: 100
    )

    // Real providers; nothing is called, so the address is never dialled.
    func provider(_ model: String) -> OpenAICompatibleProvider {
        OpenAICompatibleProvider(configuration: .init(baseURL: URL(string: "http://127.0.0.1:9/v1")!, chatModel: model))
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
    guard
        let router = try? ProviderRouter(
            routes: routes,
            taskRoutes: TaskRoutes(
                default: [.init(route: "local", model: "llama3.2"), .init(route: "cloud", model: "gpt-4o-mini")],
                tasks: [
                    .ideas: [.init(route: "local", model: "llama3.2"), .init(route: "cloud", model: "gpt-4o-mini")],
                    .script: tiered,
                ]),
            registry: registry)
    else {
        print("skipping the routing benchmarks: the router could not be made")
        return
    }
    func request(_ task: ModelTask, bytes: Int) -> ChatRequest {
        ChatRequest(
            messages: [.system("You write story ideas."), .user(String(repeating: "a", count: bytes))],
            responseFormat: .jsonSchema(name: "s", schema: ["type": "object"], strict: false), task: task)
    }
    for (name, request) in [
        ("ordered list, short request", request(.ideas, bytes: 200)),
        ("tiered, over the fast window", request(.script, bytes: 8000)),
        ("unknown task, default list", request(ModelTask("captions"), bytes: 200)),
    ] {
        Benchmark("routing decision: \(name)") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(router.plan(for: request))
            }
        }
    }
}
