/// Which provider served a response, and how it got there.
///
/// Set by ``FallbackProvider``, ``ProviderRouter``, the response cache and the recorder; a bare
/// provider leaves ``ChatResponse/origin`` `nil`.
public struct ResponseOrigin: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The name of the provider that produced the response (as named in the chain or router).
    public var provider: String
    /// The model asked for, when the request named one.
    public var model: String?
    /// Whether a provider before it in the chain failed or was skipped.
    public var usedFallback: Bool
    /// The providers tried or skipped before it, in order.
    public var skipped: [String]
    /// Whether the response was served from the response cache or a recording, not by a request.
    public var fromCache: Bool

    /// Creates an origin.
    public init(
        provider: String,
        model: String? = nil,
        usedFallback: Bool = false,
        skipped: [String] = [],
        fromCache: Bool = false
    ) {
        self.provider = provider
        self.model = model
        self.usedFallback = usedFallback
        self.skipped = skipped
        self.fromCache = fromCache
    }

    /// E.g. `ollama (fallback after openai)` or `openai (cache)`.
    public var description: String {
        var text = provider
        if usedFallback { text += " (fallback after \(skipped.joined(separator: ", ")))" }
        if fromCache { text += " (cache)" }
        return text
    }
}
