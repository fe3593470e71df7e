import Foundation
import ProviderKit
import StoryModels

/// Asks a text generator for JSON and, when the answer does not decode or fails validation, asks again with the
/// reason, a bounded number of times.
struct StructuredGeneration: Sendable {
    /// How many answers to try in all.
    var maxAttempts: Int = 3
    /// Prices, for the cost of the answers.
    var prices: PriceTable = .standard
    /// The model the generator uses, for its price (a routed answer is priced by the model its route used).
    var model: String = ""
    /// Where routing decisions go besides the running stage's ``StageRouteLog/current`` (for a stage that is not a
    /// ``StoryStage``).
    var routeLog: StageRouteLog?

    /// A decoded answer, what it cost, and where the last attempt was routed.
    struct Generated<T> {
        /// The value.
        var value: T
        /// The tokens of all attempts.
        var usage: ExportManifest.TokenUsage?
        /// The cost of all attempts.
        var cost: Double
        /// The routing decision of the answer that was used, when a router with per-task routes gave it.
        var routing: RoutingDecision?
    }

    /// Generates and decodes a `T`; ``generateRouted(_:with:request:what:validate:)`` without the routing decision.
    func generate<T: Decodable>(
        _ type: T.Type,
        with generator: any TextGenerator,
        request: ChatRequest,
        what: String,
        validate: (T) -> String? = { _ in nil }
    ) async throws -> (value: T, usage: ExportManifest.TokenUsage?, cost: Double) {
        let generated = try await generateRouted(
            type, with: generator, request: request, what: what, validate: validate)
        return (generated.value, generated.usage, generated.cost)
    }

    /// Generates and decodes a `T`.
    ///
    /// - Parameter validate: returns a problem to send back to the model, or `nil` when the value is usable.
    /// - Returns: the value and the token usage of all attempts together.
    /// - Throws: ``StoryPipelineError/malformedModelOutput(_:underlying:)`` after the last attempt, naming the
    ///   problem; provider failures as ``StoryPipelineError/provider(_:underlying:)``; `CancellationError`.
    func generateRouted<T: Decodable>(
        _ type: T.Type,
        with generator: any TextGenerator,
        request: ChatRequest,
        what: String,
        validate: (T) -> String? = { _ in nil }
    ) async throws -> Generated<T> {
        var request = request
        var usage: ExportManifest.TokenUsage?
        var cost = 0.0
        var lastProblem = ""
        for attempt in 1...max(1, maxAttempts) {
            try Task.checkCancellation()
            let response: ChatResponse
            do {
                response = try await generator.generate(request)
            } catch let error as ProviderError {
                throw StoryPipelineError.provider(
                    "the text provider failed while writing \(what): \(error)", underlying: error)
            }
            let routing = response.origin?.routing
            if let routing {
                StageRouteLog.current?.add(routing)
                routeLog?.add(routing)
            }
            cost += prices.cost(ProviderCall(.chat(request)), model: routing?.model ?? model, usage: response.usage)
            if let used = response.usage {
                // Counts come from the server: saturate rather than trap on a hostile 1e18.
                let previous = usage ?? .init(promptTokens: 0, completionTokens: 0)
                usage = previous.adding(.init(promptTokens: used.promptTokens, completionTokens: used.completionTokens))
            }
            let problem: String
            do {
                let value = try StructuredOutput.decode(T.self, from: response.text, decoder: StoryJSON.decoder())
                guard let invalid = validate(value) else {
                    return Generated(value: value, usage: usage, cost: cost, routing: routing)
                }
                problem = invalid
            } catch let error as ProviderError {
                problem = error.message
            }
            lastProblem = problem
            guard attempt < maxAttempts else { break }
            request.messages.append(.assistant(String(response.text.prefix(4000))))
            request.messages.append(
                .user(
                    "That answer could not be used: \(problem). Answer again with only the JSON object, "
                        + "following the schema exactly."))
        }
        throw StoryPipelineError.malformedModelOutput(
            "the model's \(what) was unusable after \(maxAttempts) attempts: \(lastProblem)")
    }
}
