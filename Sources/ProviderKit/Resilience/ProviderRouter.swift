import Foundation
public import Logging
import Metrics

/// Routes each call to one of several providers: in a fixed order, the cheapest first or the
/// fastest first; skipping providers whose circuit breaker is open or whose estimated cost would
/// pass the budget; falling back to the next when one fails. Usage and cost are booked in a
/// ``CostLedger``, and every response's ``ResponseOrigin`` names the provider that served it.
///
/// Build one in code from ``Route``s, or from a JSON file with
/// ``init(configuration:environment:transport:clock:factories:logger:)``; see `Docs/Providers.md`
/// for the file format.
public struct ProviderRouter: TextGenerator, SpeechSynthesizer, Transcriber, ImageGenerator {
    /// How routes are ordered for a call.
    public enum Strategy: String, Sendable, Hashable, Codable {
        /// As listed.
        case ordered
        /// Lowest estimated cost first; ties keep their listed order.
        case cheapest
        /// Lowest observed latency first (routes not yet measured count as fastest, so they get measured).
        case fastest
    }

    /// One provider the router may use, with what it can do.
    public struct Route: Sendable {
        /// Its name, in origins, logs, metrics and the ledger.
        public var name: String
        /// Its text generator, if it has one.
        public var textGenerator: (any TextGenerator)?
        /// Its speech synthesiser, if it has one.
        public var speechSynthesizer: (any SpeechSynthesizer)?
        /// Its transcriber, if it has one.
        public var transcriber: (any Transcriber)?
        /// Its image generator, if it has one.
        public var imageGenerator: (any ImageGenerator)?
        /// The models it uses when a request names none, by operation (`chat`, `speech`,
        /// `transcription`, `images`), for pricing.
        public var defaultModels: [String: String]
        /// Its breaker, consulted before a call so that an open one is skipped without a call.
        public var breaker: CircuitBreaker?
        /// Whether it runs on this machine and costs nothing, whatever the price table says.
        public var isLocal: Bool

        /// Creates a route.
        public init(
            name: String,
            textGenerator: (any TextGenerator)? = nil,
            speechSynthesizer: (any SpeechSynthesizer)? = nil,
            transcriber: (any Transcriber)? = nil,
            imageGenerator: (any ImageGenerator)? = nil,
            defaultModels: [String: String] = [:],
            breaker: CircuitBreaker? = nil,
            isLocal: Bool = false
        ) {
            self.name = name
            self.textGenerator = textGenerator
            self.speechSynthesizer = speechSynthesizer
            self.transcriber = transcriber
            self.imageGenerator = imageGenerator
            self.defaultModels = defaultModels
            self.breaker = breaker
            self.isLocal = isLocal
        }

        func model(for call: ProviderCall) -> String? {
            let operation = call.operation == "chat.stream" ? "chat" : call.operation
            return call.model ?? defaultModels[operation]
        }

        /// The identity of the route's provider for `role`, or `nil` when the route does not serve it.
        public func identity(for role: ProviderIdentity.Role) -> ProviderIdentity? {
            switch role {
            case .chat: textGenerator?.identity
            case .speech: speechSynthesizer?.identity
            case .transcription: transcriber?.identity
            case .images: imageGenerator?.identity
            default: nil
            }
        }

        /// The distinct identities of the route's providers.
        var identities: [ProviderIdentity] {
            var seen: Set<ProviderIdentity> = []
            return [ProviderIdentity.Role.chat, .speech, .transcription, .images].compactMap { identity(for: $0) }
                .filter { seen.insert($0).inserted }
        }

        func can(_ call: ProviderCall) -> Bool {
            switch call.request {
            case .chat, .stream: textGenerator != nil
            case .speech: speechSynthesizer != nil
            case .transcription: transcriber != nil
            case .images: imageGenerator != nil
            // The router routes no clips yet: a host calls its `VideoClipGenerator`, decorated, directly.
            case .video: false
            }
        }
    }

    /// The routes, in listed order.
    public let routes: [Route]
    /// How they are ordered per call.
    public let strategy: Strategy
    /// Prices for cost accounting and budgets.
    public let prices: PriceTable
    /// Where usage and cost are booked, against the budget.
    public let ledger: CostLedger
    /// Which errors move on to the next route: all but cancellation by default.
    public let shouldFallBack: @Sendable (ProviderError) -> Bool
    /// Per-task routes for chat calls, or `nil` to route every call over ``routes`` by ``strategy``.
    public let taskRoutes: TaskRoutes?
    /// The models the router knows (context windows, capabilities, prices), which per-task routing checks requests
    /// against.
    public let registry: ModelRegistry
    private let compiled: CompiledTaskRoutes?
    let board: RoutingBoard
    private let latencies: LatencyBoard
    let logger: Logger

    /// Creates a router over `routes`.
    public init(
        routes: [Route],
        strategy: Strategy = .ordered,
        prices: PriceTable = .standard,
        ledger: CostLedger = CostLedger(),
        shouldFallBack: @escaping @Sendable (ProviderError) -> Bool = { $0.code != .cancelled },
        logger: Logger = Logger(label: "storyforge.provider.router")
    ) {
        self.routes = routes
        self.strategy = strategy
        self.prices = prices
        self.ledger = ledger
        self.shouldFallBack = shouldFallBack
        self.taskRoutes = nil
        self.registry = ModelRegistry(prices: prices)
        self.compiled = nil
        self.board = RoutingBoard()
        self.latencies = LatencyBoard()
        self.logger = logger
    }

    /// Creates a router that sends each chat call to its task's routes (``TaskRoutes``), checking requests against
    /// `registry`; speech, transcription and image calls go over `routes` in order, as without task routes.
    ///
    /// - Parameters:
    ///   - registry: the models known; by default every model `prices` lists.
    ///   - unlisted: routes whose models are not checked against `registry` (local servers whose list could not be
    ///     read at start).
    /// - Throws: ``ProviderError/badRequest(_:statusCode:)`` naming every unknown route or model by its
    ///   configuration path, e.g. `invalid router configuration: tasks.script.1.model: unknown model "gpt-5" …`.
    public init(
        routes: [Route],
        taskRoutes: TaskRoutes,
        registry: ModelRegistry? = nil,
        unlisted: Set<String> = [],
        prices: PriceTable = .standard,
        ledger: CostLedger = CostLedger(),
        shouldFallBack: @escaping @Sendable (ProviderError) -> Bool = { $0.code != .cancelled },
        logger: Logger = Logger(label: "storyforge.provider.router")
    ) throws {
        let registry = registry ?? ModelRegistry(prices: prices)
        let issues = taskRoutes.issues(routes: routes, registry: registry, unlisted: unlisted)
        guard issues.isEmpty else {
            throw ProviderError.badRequest("invalid router configuration: " + issues.joined(separator: "; "))
        }
        self.routes = routes
        self.strategy = .ordered
        self.prices = prices
        self.ledger = ledger
        self.shouldFallBack = shouldFallBack
        self.taskRoutes = taskRoutes
        self.registry = registry
        self.compiled = CompiledTaskRoutes(taskRoutes, routes: routes, registry: registry)
        self.board = RoutingBoard()
        self.latencies = LatencyBoard()
        self.logger = logger
    }

    /// The routes a chat `request` would be tried on, in order, with the checks made before any call (capability,
    /// context window, tier choice, escalation); `nil` for a router without ``taskRoutes``.
    public func plan(for request: ChatRequest, streaming: Bool = false) -> RoutePlan? {
        compiled?.plan(for: request, streaming: streaming)
    }

    /// How many chat calls each task sent to each route, and why, since the router was made (what the
    /// `storyforge_provider_routing_decisions_total` metric counts).
    public func routingCounts() -> [RoutingCount] { board.snapshot() }

    // MARK: Provider

    /// A chain of every route's providers (``ProviderIdentity/chain(_:)``), in listed order: changing any route's
    /// provider changes it.
    public var identity: ProviderIdentity { .chain(routes.flatMap(\.identities)) }

    /// What any of the routes can do.
    public var capabilities: ProviderCapabilities {
        routes.reduce(into: ProviderCapabilities()) { capabilities, route in
            for provider in [
                route.textGenerator as (any Provider)?, route.speechSynthesizer, route.transcriber,
                route.imageGenerator,
            ] {
                if let provider { capabilities.formUnion(provider.capabilities) }
            }
        }
    }

    /// Healthy when any route is; the report names it.
    public func checkHealth() async throws -> HealthReport {
        var lastError: ProviderError = .unsupported("the router has no routes")
        for route in routes {
            guard
                let provider = route.textGenerator as (any Provider)? ?? route.speechSynthesizer ?? route.transcriber
                    ?? route.imageGenerator
            else { continue }
            do {
                var report = try await provider.checkHealth()
                report.detail = "\(route.name): \(report.detail)"
                return report
            } catch {
                lastError = ProviderError.typed(error)
            }
        }
        throw lastError
    }

    // MARK: Calls

    /// Generates with the first route that can and succeeds (with ``taskRoutes``, the first of the request's task).
    public func generate(_ request: ChatRequest) async throws -> ChatResponse {
        if let compiled { return try await routeTask(request, compiled.plan(for: request, streaming: false)) }
        return try await route(ProviderCall(.chat(request))) { route in
            route.textGenerator.map { generator in { try await generator.generate(request) } }
        } usage: { response in
            (response.usage, nil)
        }
    }

    /// Synthesises with the first route that can and succeeds.
    public func synthesize(_ request: SpeechRequest) async throws -> SynthesizedSpeech {
        try await route(ProviderCall(.speech(request))) { route in
            route.speechSynthesizer.map { synthesizer in { try await synthesizer.synthesize(request) } }
        } usage: { _ in
            (nil, nil)
        }
    }

    /// Transcribes with the first route that can and succeeds.
    public func transcribe(_ request: TranscriptionRequest) async throws -> Transcription {
        try await route(ProviderCall(.transcription(request))) { route in
            route.transcriber.map { transcriber in { try await transcriber.transcribe(request) } }
        } usage: { transcription in
            (nil, transcription.duration)
        }
    }

    /// Generates images with the first route that can and succeeds.
    public func generateImages(_ request: ImageRequest) async throws -> [GeneratedImage] {
        try await route(ProviderCall(.images(request))) { route in
            route.imageGenerator.map { generator in { try await generator.generateImages(request) } }
        } usage: { _ in
            (nil, nil)
        }
    }

    /// Streams from the first route that can and starts; a failure before any text moves on to
    /// the next route, a failure after text is the caller's. Usage is booked when the stream ends.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamPart, any Error> {
        if let compiled { return streamTask(request, compiled.plan(for: request, streaming: true)) }
        let router = self
        let call = ProviderCall(.stream(request))
        return makeDecoratedStream { continuation in
            var skipped: [String] = []
            var lastError: ProviderError?
            var budgetSkips = 0
            for route in await router.ordered(for: call) {
                guard let generator = route.textGenerator else { continue }
                let model = route.model(for: call)
                switch await router.admission(route, call: call, model: model) {
                case .admitted: break
                case .overBudget:
                    skipped.append(route.name)
                    budgetSkips += 1
                    continue
                case .circuitOpen(let error):
                    skipped.append(route.name)
                    lastError = error
                    continue
                }
                let start = ContinuousClock.now
                var relay = PreambleHoldingRelay()
                var usage: TokenUsage?
                do {
                    for try await part in generator.stream(request) {
                        if case .usage(let reported) = part { usage = reported }
                        relay.relay(part, to: continuation)
                    }
                    relay.finish(to: continuation)
                    await router.book(
                        route, call: call, model: model, usage: usage, audioSeconds: nil, latency: .now - start,
                        skipped: skipped)
                    return
                } catch {
                    let typed = ProviderError.typed(error)
                    if relay.delivered {
                        // Whatever was generated may have been paid for.
                        await router.book(
                            route, call: call, model: model, usage: usage, audioSeconds: nil, latency: nil,
                            skipped: skipped)
                    }
                    guard !relay.delivered, router.shouldFallBack(typed), !Task.isCancelled else { throw typed }
                    router.failed(route, call: call, error: typed)
                    skipped.append(route.name)
                    lastError = typed
                }
            }
            throw router.exhausted(call, lastError: lastError, budgetSkips: budgetSkips)
        }
    }

    private func route<Output: OriginTagged>(
        _ call: ProviderCall,
        operation: (Route) -> (() async throws -> Output)?,
        usage: (Output) -> (TokenUsage?, Double?)
    ) async throws -> Output {
        var skipped: [String] = []
        var lastError: ProviderError?
        var budgetSkips = 0
        for route in await ordered(for: call) {
            guard let run = operation(route) else { continue }
            let model = route.model(for: call)
            switch await admission(route, call: call, model: model) {
            case .admitted: break
            case .overBudget:
                skipped.append(route.name)
                budgetSkips += 1
                continue
            case .circuitOpen(let error):
                skipped.append(route.name)
                lastError = error
                continue
            }
            let start = ContinuousClock.now
            do {
                let output = try await run()
                let (tokens, audioSeconds) = usage(output)
                let origin = await book(
                    route, call: call, model: model, usage: tokens, audioSeconds: audioSeconds,
                    latency: .now - start, skipped: skipped)
                return output.tagged(origin)
            } catch {
                let typed = ProviderError.typed(error)
                guard shouldFallBack(typed), !Task.isCancelled else { throw typed }
                failed(route, call: call, error: typed)
                skipped.append(route.name)
                lastError = typed
            }
        }
        throw exhausted(call, lastError: lastError, budgetSkips: budgetSkips)
    }

    /// The routes that can serve `call`, in the strategy's order.
    func ordered(for call: ProviderCall) async -> [Route] {
        let candidates = routes.filter { $0.can(call) }
        switch strategy {
        case .ordered:
            return candidates
        case .cheapest:
            let costs = candidates.map { $0.isLocal ? 0 : prices.estimate(call, model: $0.model(for: call)) }
            return zip(candidates, costs).enumerated()
                .sorted { ($0.element.1, $0.offset) < ($1.element.1, $1.offset) }
                .map(\.element.0)
        case .fastest:
            let observed = await latencies.snapshot()
            return candidates.enumerated()
                .sorted { (observed[$0.element.name] ?? 0, $0.offset) < (observed[$1.element.name] ?? 0, $1.offset) }
                .map(\.element)
        }
    }

    enum Admission {
        case admitted
        case overBudget
        case circuitOpen(ProviderError)
    }

    /// Whether `route` may take the call: not when its breaker is open, nor (for a remote route) when the budget is
    /// spent or the call's estimate would pass it.
    func admission(_ route: Route, call: ProviderCall, model: String?) async -> Admission {
        if let breaker = route.breaker, breaker.state(model: model) == .open {
            return .circuitOpen(.circuitOpen("\(route.name): circuit open"))
        }
        let fits = route.isLocal ? true : await ledger.admits(prices.estimate(call, model: model))
        guard fits else {
            logger.notice(
                "skipping provider: the budget would be exceeded",
                metadata: ["provider.name": "\(route.name)", "provider.model": "\(model ?? "default")"])
            return .overBudget
        }
        return .admitted
    }

    @discardableResult
    func book(
        _ route: Route,
        call: ProviderCall,
        model: String?,
        usage: TokenUsage?,
        audioSeconds: Double?,
        latency: Duration?,
        skipped: [String]
    ) async -> ResponseOrigin {
        let cost = route.isLocal ? 0 : prices.cost(call, model: model, usage: usage, audioSeconds: audioSeconds)
        await ledger.record(provider: route.name, call: call, usage: usage, audioSeconds: audioSeconds, cost: cost)
        if let latency { await latencies.record(route.name, latency) }
        var metadata: Logger.Metadata = [
            "provider.name": "\(route.name)", "provider.model": "\(model ?? "default")",
            "provider.operation": "\(call.operation)", "provider.cost_usd": "\(cost)",
            "provider.fallback": "\(!skipped.isEmpty)",
        ]
        if let latency { metadata["provider.latency_ms"] = "\(CheckedNumber.milliseconds(latency))" }
        if let usage { metadata["provider.tokens"] = "\(usage.totalTokens)" }
        logger.debug("provider call served", metadata: metadata)
        let dimensions = [("provider", route.name), ("operation", call.operation)]
        Counter(label: "storyforge_provider_requests_total", dimensions: dimensions + [("outcome", "success")])
            .increment()
        if let latency {
            Timer(label: "storyforge_provider_request_duration_seconds", dimensions: dimensions)
                .recordNanoseconds(
                    latency.components.seconds * 1_000_000_000 + latency.components.attoseconds / 1_000_000_000)
        }
        if let usage {
            Counter(label: "storyforge_provider_tokens_total", dimensions: dimensions).increment(by: usage.totalTokens)
        }
        let identity = route.identity(for: call.role)
        return ResponseOrigin(
            provider: route.name, model: model ?? identity?.model(for: call.role), usedFallback: !skipped.isEmpty,
            skipped: skipped, fingerprint: identity?.fingerprint)
    }

    func failed(_ route: Route, call: ProviderCall, error: ProviderError) {
        logger.notice(
            "provider failed, trying the next",
            metadata: [
                "provider.name": "\(route.name)", "provider.operation": "\(call.operation)", "error": "\(error)",
            ])
        Counter(
            label: "storyforge_provider_requests_total",
            dimensions: [("provider", route.name), ("operation", call.operation), ("outcome", "failure")]
        ).increment()
    }

    func exhausted(_ call: ProviderCall, lastError: ProviderError?, budgetSkips: Int) -> ProviderError {
        if let lastError {
            return lastError
        }
        if budgetSkips > 0 {
            return .budgetExceeded(
                "every provider that can do \(call.operation) would pass the budget of $\(ledger.budget ?? 0)")
        }
        return .unsupported("no provider in the router can do \(call.operation)")
    }
}

/// Observed latency per route: an exponentially weighted moving average (weight 0.2 for the newest).
actor LatencyBoard {
    private var averages: [String: Double] = [:]

    func record(_ name: String, _ latency: Duration) {
        let seconds = latency.seconds
        averages[name] = averages[name].map { $0 * 0.8 + seconds * 0.2 } ?? seconds
    }

    func snapshot() -> [String: Double] { averages }
}
