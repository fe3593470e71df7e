/// Which provider served a response, and how it got there.
///
/// Set by ``FallbackProvider``, ``ProviderRouter``, the response cache and the recorder; a bare
/// provider leaves ``ChatResponse/origin`` `nil`. Its fields agree with the answering provider's
/// ``ProviderIdentity``: ``provider`` is the identity's name (or the name a chain or route gave it), ``model``
/// the model the request named or else the identity's model for the call, ``fingerprint`` the identity's.
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
    /// The ``ProviderIdentity/fingerprint`` of the provider that answered, when known (chains, router, cache and
    /// recorder set it); `nil` in origins recorded before identities existed.
    public var fingerprint: String?
    /// Where a router with per-task routes sent the call and why (``ProviderRouter/taskRoutes``); `nil` otherwise.
    public var routing: RoutingDecision?

    /// Creates an origin.
    public init(
        provider: String,
        model: String? = nil,
        usedFallback: Bool = false,
        skipped: [String] = [],
        fromCache: Bool = false,
        fingerprint: String? = nil,
        routing: RoutingDecision? = nil
    ) {
        self.provider = provider
        self.model = model
        self.usedFallback = usedFallback
        self.skipped = skipped
        self.fromCache = fromCache
        self.fingerprint = fingerprint
        self.routing = routing
    }

    /// E.g. `ollama (fallback after openai)` or `openai (cache)`.
    public var description: String {
        var text = provider
        if usedFallback { text += " (fallback after \(skipped.joined(separator: ", ")))" }
        if fromCache { text += " (cache)" }
        return text
    }
}
