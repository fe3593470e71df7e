/// Per-task routing for a ``ProviderRouter``: each task (``ModelTask``) has an ordered list of routes (a router
/// route and, optionally, the model to ask it for), with a default list for tasks not named; a list may be tiered
/// (``RoutingTier``: fast and quality), and ``estimate`` decides which tier a request fits.
///
/// The rule, per chat call:
/// 1. The task's list (the default list for a request with no task or an unnamed one).
/// 2. Each entry is checked against its model in the ``ModelRegistry``: a request that needs a capability the model
///    lacks (a JSON schema, tools, streaming) is unfit for it (``RoutingReason/capability``), and so is one whose
///    estimated tokens pass its context window (``RoutingReason/contextWindow``). Unknown windows and capabilities
///    are not checked.
/// 3. In a tiered list, the fast tier goes first when at least one of its entries fits, else the quality tier goes
///    first and the decision says why (the fast tier's reason); either way the other tier follows, so a failing or
///    breaker-open tier falls over to the other.
/// 4. An escalation (``ChatRequest/escalation``) starts after the route that served the weak answer
///    (``RoutingReason/lowScore``).
/// 5. The router then walks the list: an unfit entry, an open breaker, a spent budget (remote routes only: local
///    routes are free) or a failure moves to the next, each recorded in the ``RoutingDecision``.
///
/// ```swift
/// let routes = TaskRoutes(
///     default: [.init(route: "local"), .init(route: "cloud", model: "gpt-4o-mini")],
///     tasks: [
///         .ideas: [.init(route: "local", model: "llama3.2"), .init(route: "cloud", model: "gpt-4o-mini")],
///         .script: [.init(route: "cloud", model: "gpt-4o"), .init(route: "local", model: "qwen2.5:32b")],
///     ])
/// ```
public struct TaskRoutes: Sendable, Hashable {
    /// One route of a task's list.
    public struct Entry: Sendable, Hashable, Codable {
        /// The router route's name (``ProviderRouter/Route/name``, a configuration's `providers[].name`).
        public var route: String
        /// The model to ask for; `nil` for the route's default chat model.
        public var model: String?
        /// Its tier, in a tiered list (every entry of a list has one, or none has).
        public var tier: RoutingTier?

        /// Creates an entry.
        public init(route: String, model: String? = nil, tier: RoutingTier? = nil) {
            self.route = route
            self.model = model
            self.tier = tier
        }

        private enum CodingKeys: String, CodingKey, CaseIterable { case route, model, tier }

        private struct AnyKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        /// Decodes an entry strictly: a key other than `route`, `model` and `tier` is an error naming it.
        public init(from decoder: any Decoder) throws {
            let all = try decoder.container(keyedBy: AnyKey.self)
            for key in all.allKeys where CodingKeys(rawValue: key.stringValue) == nil {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: all.codingPath + [key],
                        debugDescription: "unknown key (expected route, model or tier)"))
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            route = try container.decode(String.self, forKey: .route)
            model = try container.decodeIfPresent(String.self, forKey: .model)
            tier = try container.decodeIfPresent(RoutingTier.self, forKey: .tier)
        }
    }

    /// The list for tasks without one of their own.
    public var defaultRoutes: [Entry]
    /// The lists by task.
    public var tasks: [ModelTask: [Entry]]
    /// How a request's size is estimated for the context-window check.
    public var estimate: ComplexityEstimate

    /// Creates per-task routes.
    public init(
        default defaultRoutes: [Entry], tasks: [ModelTask: [Entry]] = [:], estimate: ComplexityEstimate = .init()
    ) {
        self.defaultRoutes = defaultRoutes
        self.tasks = tasks
        self.estimate = estimate
    }

    /// The problems of these routes against the router's `routes` and `registry`, each as `path: message` with the
    /// configuration file's path (`tasks.script.1.model: unknown model "gpt-5" …`). Models of the routes in
    /// `unlisted` (local servers whose list could not be read) are not checked.
    public func issues(
        routes: [ProviderRouter.Route], registry: ModelRegistry, unlisted: Set<String> = []
    ) -> [String] {
        issues(
            chatRoutes: Dictionary(routes.map { ($0.name, $0.textGenerator != nil) }, uniquingKeysWith: { a, _ in a }),
            registry: registry, unlisted: unlisted)
    }

    /// ``issues(routes:registry:unlisted:)`` for routes known by name only, with whether each can chat.
    func issues(chatRoutes byName: [String: Bool], registry: ModelRegistry, unlisted: Set<String>) -> [String] {
        var issues: [String] = []
        func check(_ entries: [Entry], _ path: String) {
            if entries.isEmpty { issues.append("\(path): must list at least one route") }
            let tiered = entries.filter { $0.tier != nil }.count
            if tiered != 0, tiered != entries.count {
                issues.append("\(path): give every entry a tier (fast or quality) or none")
            }
            for (index, entry) in entries.enumerated() {
                guard let canChat = byName[entry.route] else {
                    issues.append(
                        "\(path).\(index).route: unknown route \"\(entry.route.prefix(60))\" (known: "
                            + byName.keys.sorted().joined(separator: ", ") + ")")
                    continue
                }
                guard canChat else {
                    issues.append("\(path).\(index).route: \(entry.route) has no text generator")
                    continue
                }
                if let model = entry.model, registry[model] == nil, !unlisted.contains(entry.route) {
                    issues.append(
                        "\(path).\(index).model: unknown model \"\(model.prefix(80))\" (add it to models, to prices, "
                            + "or list it on a local server)")
                }
            }
        }
        check(defaultRoutes, "default")
        for (task, entries) in tasks.sorted(by: { $0.key < $1.key }) {
            if task.rawValue.isEmpty || task.rawValue.utf8.count > 64 {
                issues.append("tasks.\(task.rawValue.prefix(64)): a task name has 1…64 characters")
            }
            check(entries, "tasks.\(task.rawValue)")
        }
        return issues
    }
}

/// How a request's size and needs are estimated, to check it against a model's context window and capabilities.
///
/// Input tokens ≈ the UTF-8 bytes of the messages (and of the tools' names and descriptions) ÷ ``bytesPerToken``,
/// rounded up: the rule of thumb OpenAI documents for English (about four characters a token), and the same one
/// ``PriceTable/estimate(_:model:)`` prices calls with. Output tokens are the request's `max_tokens`, or
/// ``defaultOutputTokens`` when it sets none. A request fits a model when input + output ≤ its context window ×
/// ``usableShare``. Needed capabilities: `json_schema` for a schema response format, `tools` when tools are defined,
/// `streaming` for a streamed call.
public struct ComplexityEstimate: Sendable, Hashable, Codable {
    /// Bytes of text per token (4; 2 is safer for CJK text). 1…16.
    public var bytesPerToken: Int
    /// Output tokens assumed when a request sets no `max_tokens` (512, as the price estimate assumes).
    public var defaultOutputTokens: Int
    /// The share of a context window a request may fill (1: all of it; 0.8 keeps a fifth spare for the estimate's
    /// error). 0.1…1.
    public var usableShare: Double

    /// Creates an estimate.
    public init(bytesPerToken: Int = 4, defaultOutputTokens: Int = 512, usableShare: Double = 1) {
        self.bytesPerToken = bytesPerToken
        self.defaultOutputTokens = defaultOutputTokens
        self.usableShare = usableShare
    }

    /// The estimated prompt tokens of `request`.
    public func inputTokens(_ request: ChatRequest) -> Int {
        var bytes = 0
        // utf8.count is O(1) for native strings; sums saturate, so no request can trap here.
        for message in request.messages { bytes = CheckedNumber.saturatingSum(bytes, message.content.utf8.count) }
        for tool in request.tools {
            bytes = CheckedNumber.saturatingSum(bytes, tool.name.utf8.count + tool.description.utf8.count)
        }
        let divisor = max(1, bytesPerToken)
        return bytes / divisor + (bytes % divisor == 0 ? 0 : 1)
    }

    /// The output tokens `request` may use.
    public func outputTokens(_ request: ChatRequest) -> Int { max(0, request.maxTokens ?? defaultOutputTokens) }

    /// The capabilities `request` needs.
    public func requiredCapabilities(_ request: ChatRequest, streaming: Bool) -> ModelCapabilities {
        var required: ModelCapabilities = []
        if case .jsonSchema = request.responseFormat { required.insert(.jsonSchema) }
        if !request.tools.isEmpty { required.insert(.tools) }
        if streaming { required.insert(.streaming) }
        return required
    }

    /// Why `model` cannot take a request of `tokens` needing `required`, or `nil` when it can (or is unknown).
    public func unfit(_ model: ModelRegistry.Model?, tokens: Int, required: ModelCapabilities) -> RoutingReason? {
        guard let model else { return nil }
        if let capabilities = model.capabilities, !capabilities.isSuperset(of: required) { return .capability }
        if let window = model.contextWindow, Double(tokens) > Double(window) * usableShare { return .contextWindow }
        return nil
    }
}

/// The routes a ``ProviderRouter`` would try for one chat request, in order, with the checks made before any call
/// (``ProviderRouter/plan(for:streaming:)``); breakers, the budget and failures are met while walking it.
public struct RoutePlan: Sendable, Hashable {
    /// One route of the plan.
    public struct Candidate: Sendable, Hashable {
        /// The route's name.
        public var route: String
        /// The model it is asked for (`nil`: the route's provider default).
        public var model: String?
        /// Its tier, in a tiered list.
        public var tier: RoutingTier?
        /// Why it cannot take the request (capability, context window), or `nil` when it can.
        public var unfit: RoutingReason?
        /// Index into the router's routes.
        let routeIndex: Int
    }

    /// The request's task (``ModelTask/unnamed`` when it names none).
    public var task: ModelTask
    /// The routes in the order they will be tried.
    public var candidates: [Candidate]
    /// Why the order is not the list's: the fast tier's reason when the quality tier goes first, or the escalation's.
    public var reason: RoutingReason?
    /// The estimated prompt tokens.
    public var inputTokens: Int
    /// The output tokens allowed for.
    public var outputTokens: Int
}

/// ``TaskRoutes`` resolved against a router's routes and registry once, so a call only looks up its task.
struct CompiledTaskRoutes: Sendable {
    struct Slot: Sendable {
        var routeIndex: Int
        var route: String
        var model: String?
        var details: ModelRegistry.Model?
        var tier: RoutingTier?
    }

    struct List: Sendable {
        var slots: [Slot]
        var isTiered: Bool
    }

    let defaults: List
    let byTask: [ModelTask: List]
    let estimate: ComplexityEstimate

    init(_ routes: TaskRoutes, routes routerRoutes: [ProviderRouter.Route], registry: ModelRegistry) {
        var indices: [String: Int] = [:]
        for (index, route) in routerRoutes.enumerated() where indices[route.name] == nil { indices[route.name] = index }
        func compile(_ entries: [TaskRoutes.Entry]) -> List {
            let slots = entries.compactMap { entry -> Slot? in
                guard let index = indices[entry.route] else { return nil }
                let model = entry.model ?? routerRoutes[index].defaultModels["chat"]
                return Slot(
                    routeIndex: index, route: entry.route, model: entry.model, details: model.flatMap { registry[$0] },
                    tier: entry.tier)
            }
            return List(slots: slots, isTiered: slots.contains { $0.tier != nil })
        }
        defaults = compile(routes.defaultRoutes)
        byTask = routes.tasks.mapValues(compile)
        estimate = routes.estimate
    }

    func plan(for request: ChatRequest, streaming: Bool) -> RoutePlan {
        let task = request.task ?? .unnamed
        let list = byTask[task] ?? defaults
        let input = estimate.inputTokens(request)
        let output = estimate.outputTokens(request)
        let tokens = CheckedNumber.saturatingSum(input, output)
        let required = estimate.requiredCapabilities(request, streaming: streaming)
        var candidates = list.slots.map {
            RoutePlan.Candidate(
                route: $0.route, model: $0.model, tier: $0.tier,
                unfit: estimate.unfit($0.details, tokens: tokens, required: required), routeIndex: $0.routeIndex)
        }
        var reason: RoutingReason?
        if list.isTiered {
            let fast = candidates.filter { $0.tier == .fast }
            let quality = candidates.filter { $0.tier != .fast }
            if fast.contains(where: { $0.unfit == nil }) || quality.isEmpty {
                candidates = fast + quality
            } else {
                candidates = quality + fast
                reason = fast.first?.unfit
            }
        }
        if let escalation = request.escalation,
            let index = candidates.firstIndex(where: { $0.route == escalation.after }),
            candidates.index(after: index) < candidates.endIndex
        {
            candidates = Array(candidates[candidates.index(after: index)...])
            reason = escalation.reason
        }
        return RoutePlan(task: task, candidates: candidates, reason: reason, inputTokens: input, outputTokens: output)
    }
}
