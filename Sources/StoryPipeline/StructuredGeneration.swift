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
    /// The model the generator uses, for its price.
    var model: String = ""

    /// Generates and decodes a `T`.
    ///
    /// - Parameter validate: returns a problem to send back to the model, or `nil` when the value is usable.
    /// - Returns: the value and the token usage of all attempts together.
    /// - Throws: ``StoryPipelineError/malformedModelOutput(_:underlying:)`` after the last attempt, naming the
    ///   problem; provider failures as ``StoryPipelineError/provider(_:underlying:)``; `CancellationError`.
    func generate<T: Decodable>(
        _ type: T.Type,
        with generator: any TextGenerator,
        request: ChatRequest,
        what: String,
        validate: (T) -> String? = { _ in nil }
    ) async throws -> (value: T, usage: ExportManifest.TokenUsage?, cost: Double) {
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
            cost += prices.cost(ProviderCall(.chat(request)), model: model, usage: response.usage)
            if let used = response.usage {
                // Counts come from the server: saturate rather than trap on a hostile 1e18.
                let previous = usage ?? .init(promptTokens: 0, completionTokens: 0)
                usage = previous.adding(.init(promptTokens: used.promptTokens, completionTokens: used.completionTokens))
            }
            let problem: String
            do {
                let value = try StructuredOutput.decode(T.self, from: response.text, decoder: StoryJSON.decoder())
                guard let invalid = validate(value) else { return (value, usage, cost) }
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
