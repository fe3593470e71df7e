public import Foundation

/// Generates text from a chat: a language model, or an honest stand-in for one.
///
/// ```swift
/// let generator: some TextGenerator = OpenAICompatibleProvider(configuration: .fromEnvironment())
/// for try await part in generator.stream(ChatRequest(messages: [.user("Tell me a story")])) {
///     if case .textDelta(let text) = part { print(text, terminator: "") }
/// }
/// ```
public protocol TextGenerator: Provider {
    /// Generates a whole response.
    func generate(_ request: ChatRequest) async throws -> ChatResponse
    /// Streams a response as it is produced; the stream ends with ``ChatStreamPart/finish(_:)``
    /// or throws a ``ProviderError``. Cancelling the consuming task stops the request.
    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamPart, any Error>
}

extension TextGenerator {
    /// Generates a response constrained by `request.responseFormat` and decodes it into `T`.
    ///
    /// Tolerates a Markdown code fence around the JSON, which some models add.
    ///
    /// - Throws: ``ProviderError/malformedResponse(_:rawText:)`` with the model's raw text when it
    ///   is not valid JSON for `T`.
    public func generate<T: Decodable>(
        _ type: T.Type,
        _ request: ChatRequest,
        decoder: JSONDecoder = JSONDecoder()
    ) async throws -> (value: T, response: ChatResponse) {
        let response = try await generate(request)
        return (try StructuredOutput.decode(type, from: response.text, decoder: decoder), response)
    }
}

/// Decoding of a model's JSON output.
public enum StructuredOutput {
    /// Decodes `text` (optionally inside a Markdown code fence) into `T`.
    ///
    /// - Throws: ``ProviderError/malformedResponse(_:rawText:)`` keeping `text` when it does not decode.
    public static func decode<T: Decodable>(
        _ type: T.Type,
        from text: String,
        decoder: JSONDecoder = JSONDecoder()
    ) throws -> T {
        var body = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if body.hasPrefix("```") {
            if let firstNewline = body.firstIndex(of: "\n") { body = String(body[body.index(after: firstNewline)...]) }
            if body.hasSuffix("```") { body = String(body.dropLast(3)) }
        }
        do {
            return try decoder.decode(T.self, from: Data(body.utf8))
        } catch let error as DecodingError {
            throw ProviderError.malformedResponse(
                "the model's output is not valid JSON for \(T.self): \(describe(error))", rawText: text)
        } catch {
            throw ProviderError.malformedResponse(
                "the model's output is not valid JSON for \(T.self): \(error)", rawText: text)
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let path = context.codingPath.map(\.stringValue).joined(separator: ".")
            return path.isEmpty ? context.debugDescription : "\(path): \(context.debugDescription)"
        }
        switch error {
        case .dataCorrupted(let context): return path(context)
        case .keyNotFound(let key, let context): return "missing key \(key.stringValue) at \(path(context))"
        case .typeMismatch(_, let context): return "wrong type at \(path(context))"
        case .valueNotFound(_, let context): return "missing value at \(path(context))"
        @unknown default: return "\(error)"
        }
    }
}
