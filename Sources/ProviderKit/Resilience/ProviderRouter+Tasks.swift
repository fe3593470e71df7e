import Logging
import Metrics

/// Per-task routing of chat calls (``TaskRoutes``): walking a ``RoutePlan``, recording the ``RoutingDecision``.
extension ProviderRouter {
    /// What walking a plan found for one candidate: a call to make, or a skip.
    private enum Step {
        case call(route: Route, generator: any TextGenerator, request: ChatRequest, call: ProviderCall, model: String?)
        case skip(RoutingDecision.Skip, error: ProviderError?)
    }

    private func step(_ candidate: RoutePlan.Candidate, _ request: ChatRequest, streaming: Bool) async -> Step {
        let route = routes[candidate.routeIndex]
        var routed = request
        if let model = candidate.model { routed.model = model }
        let call = ProviderCall(streaming ? .stream(routed) : .chat(routed))
        let model = route.model(for: call)
        guard let generator = route.textGenerator else {
            return .skip(.init(route: route.name, model: model, reason: .capability), error: nil)
        }
        if let unfit = candidate.unfit {
            return .skip(.init(route: route.name, model: model, reason: unfit), error: nil)
        }
        switch await admission(route, call: call, model: model) {
        case .admitted:
            return .call(route: route, generator: generator, request: routed, call: call, model: model)
        case .overBudget:
            return .skip(.init(route: route.name, model: model, reason: .budget), error: nil)
        case .circuitOpen(let error):
            return .skip(.init(route: route.name, model: model, reason: .breakerOpen), error: error)
        }
    }

    func routeTask(_ request: ChatRequest, _ plan: RoutePlan) async throws -> ChatResponse {
        var skipped: [RoutingDecision.Skip] = []
        var lastError: ProviderError?
        for (position, candidate) in plan.candidates.enumerated() {
            switch await step(candidate, request, streaming: false) {
            case .skip(let skip, let error):
                skipped.append(skip)
                if let error { lastError = error }
            case .call(let route, let generator, let routed, let call, let model):
                let start = ContinuousClock.now
                do {
                    let response = try await generator.generate(routed)
                    var origin = await book(
                        route, call: call, model: model, usage: response.usage, audioSeconds: nil,
                        latency: .now - start, skipped: skipped.map(\.route))
                    origin.routing = decided(plan, position: position, route: route, model: model, skipped: skipped)
                    return response.tagged(origin)
                } catch {
                    let typed = ProviderError.typed(error)
                    guard shouldFallBack(typed), !Task.isCancelled else { throw typed }
                    failed(route, call: call, error: typed)
                    skipped.append(
                        .init(
                            route: route.name, model: model,
                            reason: typed.code == .circuitOpen ? .breakerOpen : .failure))
                    lastError = typed
                }
            }
        }
        throw exhausted(plan, skipped: skipped, lastError: lastError)
    }

    func streamTask(_ request: ChatRequest, _ plan: RoutePlan) -> AsyncThrowingStream<ChatStreamPart, any Error> {
        let router = self
        return makeDecoratedStream { continuation in
            var skipped: [RoutingDecision.Skip] = []
            var lastError: ProviderError?
            for (position, candidate) in plan.candidates.enumerated() {
                switch await router.step(candidate, request, streaming: true) {
                case .skip(let skip, let error):
                    skipped.append(skip)
                    if let error { lastError = error }
                case .call(let route, let generator, let routed, let call, let model):
                    let start = ContinuousClock.now
                    var relay = PreambleHoldingRelay()
                    var usage: TokenUsage?
                    do {
                        for try await part in generator.stream(routed) {
                            if case .usage(let reported) = part { usage = reported }
                            relay.relay(part, to: continuation)
                        }
                        relay.finish(to: continuation)
                        await router.book(
                            route, call: call, model: model, usage: usage, audioSeconds: nil, latency: .now - start,
                            skipped: skipped.map(\.route))
                        _ = router.decided(plan, position: position, route: route, model: model, skipped: skipped)
                        return
                    } catch {
                        let typed = ProviderError.typed(error)
                        if relay.delivered {
                            // Whatever was generated may have been paid for.
                            await router.book(
                                route, call: call, model: model, usage: usage, audioSeconds: nil, latency: nil,
                                skipped: skipped.map(\.route))
                        }
                        guard !relay.delivered, router.shouldFallBack(typed), !Task.isCancelled else { throw typed }
                        router.failed(route, call: call, error: typed)
                        skipped.append(
                            .init(
                                route: route.name, model: model,
                                reason: typed.code == .circuitOpen ? .breakerOpen : .failure))
                        lastError = typed
                    }
                }
            }
            throw router.exhausted(plan, skipped: skipped, lastError: lastError)
        }
    }

    /// The decision for the route at `position` of `plan`, logged, counted and returned for the origin.
    private func decided(
        _ plan: RoutePlan, position: Int, route: Route, model: String?, skipped: [RoutingDecision.Skip]
    ) -> RoutingDecision {
        // An escalation or a tier choice explains the order first; otherwise the first route passed over says why.
        let reason = plan.reason ?? skipped.first?.reason ?? .ordered
        let later = plan.candidates.index(after: position)
        let decision = RoutingDecision(
            task: plan.task, route: route.name, model: model, tier: plan.candidates[position].tier, reason: reason,
            skipped: skipped, canEscalate: plan.candidates[later...].contains { $0.unfit == nil })
        board.record(decision)
        Counter(
            label: "storyforge_provider_routing_decisions_total",
            dimensions: [("task", plan.task.rawValue), ("route", route.name), ("reason", reason.rawValue)]
        ).increment()
        var metadata: Logger.Metadata = [
            "provider.task": "\(plan.task)", "provider.name": "\(route.name)",
            "provider.model": "\(model ?? "default")", "routing.reason": "\(reason)",
            "routing.input_tokens": "\(plan.inputTokens)",
        ]
        if let tier = decision.tier { metadata["routing.tier"] = "\(tier)" }
        if !skipped.isEmpty {
            metadata["routing.skipped"] = "\(skipped.map { "\($0.route):\($0.reason)" }.joined(separator: ","))"
        }
        logger.log(level: reason == .ordered ? .debug : .info, "routing decision", metadata: metadata)
        return decision
    }

    private func exhausted(_ plan: RoutePlan, skipped: [RoutingDecision.Skip], lastError: ProviderError?)
        -> ProviderError
    {
        if let lastError { return lastError }
        let why = skipped.map { "\($0.route) (\($0.reason))" }.joined(separator: ", ")
        if skipped.contains(where: { $0.reason == .budget }) {
            return .budgetExceeded(
                "no route of task \(plan.task) may take the call: \(why); the budget of $\(ledger.budget ?? 0) is "
                    + "spent or would be passed, and only local routes may still serve")
        }
        if plan.candidates.isEmpty { return .unsupported("task \(plan.task) has no route") }
        return .unsupported(
            "no route of task \(plan.task) can take the request (about \(plan.inputTokens) prompt tokens and "
                + "\(plan.outputTokens) output): \(why)")
    }
}
