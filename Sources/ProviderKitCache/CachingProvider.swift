import Foundation
public import ProviderKit

/// Which requests the response cache may answer.
public struct ResponseCachePolicy: Sendable {
    /// Whether `call` may be served from and stored in the cache.
    public var isCacheable: @Sendable (ProviderCall) -> Bool

    /// Creates a policy from a predicate.
    public init(isCacheable: @escaping @Sendable (ProviderCall) -> Bool) {
        self.isCacheable = isCacheable
    }

    /// Only requests whose answer is meant to repeat: chat at temperature 0 or with a seed, images
    /// with a seed; speech and transcription always (the same text gives interchangeable audio).
    public static let deterministicOnly = Self { call in
        switch call.request {
        case .chat(let request), .stream(let request): request.temperature == 0 || request.seed != nil
        case .images(let request): request.seed != nil
        case .speech, .transcription: true
        // A clip is a file at the caller's path, not an answer the cache holds.
        case .video: false
        }
    }

    /// Every request, deterministic or not.
    public static let always = Self { _ in true }
}

/// A provider whose answers are kept in a ``ResponseCache`` and served from it when the same
/// request comes again. A stream is stored once it has finished and is replayed as a stream.
///
/// The key holds the provider's name and, for the built-in remote providers (under any other
/// decorators), the server's base URL and a SHA-256 fingerprint of the account (API key and
/// extra headers; never the key itself), so two servers or two keys never share answers.
public struct CachingProvider<Base: Provider>: ProviderDecorator {
    /// The wrapped provider.
    public let base: Base
    /// The cache.
    public let cache: ResponseCache
    /// The provider's name: part of every key, so two providers never share answers.
    public let name: String
    /// Which requests are cached.
    public let policy: ResponseCachePolicy
    /// The server and account fingerprint of the provider underneath, when it has them.
    let scope: String?

    /// Wraps `base`; prefer ``Provider/withCache(_:name:policy:)``.
    public init(_ base: Base, cache: ResponseCache, name: String, policy: ResponseCachePolicy) {
        self.base = base
        self.cache = cache
        self.name = name
        self.policy = policy
        scope = cacheScope(of: base)
    }

    /// Serves a cached answer, or calls and stores the answer.
    public func intercept<Output: Sendable>(
        _ call: ProviderCall,
        _ operation: @escaping @Sendable () async throws -> Output
    ) async throws -> Output {
        guard policy.isCacheable(call) else { return try await operation() }
        let key = CanonicalRequest.key(call, provider: name, scope: scope)
        if let stored = cache.lookup(key: key, provider: name),
            let output = stored.output(as: Output.self, origin: origin(call))
        {
            return output
        }
        let output = try await operation()
        if let stored = StoredResponse(output: output) {
            cache.store(stored, key: key, provider: name, operation: call.operation)
        }
        return output
    }

    /// Replays a cached stream, or passes the stream through and stores it once it has finished.
    public func interceptStream(
        _ call: ProviderCall,
        _ open: @escaping @Sendable () -> AsyncThrowingStream<ChatStreamPart, any Error>
    ) -> AsyncThrowingStream<ChatStreamPart, any Error> {
        guard policy.isCacheable(call) else { return open() }
        let cache = cache
        let name = name
        let scope = scope
        return makeDecoratedStream { continuation in
            let key = CanonicalRequest.key(call, provider: name, scope: scope)
            if let parts = cache.lookup(key: key, provider: name)?.streamParts {
                for part in parts { continuation.yield(part) }
                return
            }
            var parts: [ChatStreamPart] = []
            var finished = false
            for try await part in open() {
                parts.append(part)
                if case .finish = part { finished = true }
                continuation.yield(part)
            }
            // Only a complete answer is stored; a cancelled or cut stream is not.
            if finished, !Task.isCancelled {
                cache.store(StoredResponse(parts), key: key, provider: name, operation: call.operation)
            }
        }
    }

    private func origin(_ call: ProviderCall) -> ResponseOrigin {
        .stored(identity: base.identity, call: call, servedAs: name)
    }
}

extension CachingProvider: NamedDecorator {
    package var decoratedName: String { name }
}

extension CachingProvider: TextGenerator where Base: TextGenerator {}
extension CachingProvider: SpeechSynthesizer where Base: SpeechSynthesizer {}
extension CachingProvider: Transcriber where Base: Transcriber {}
extension CachingProvider: ImageGenerator where Base: ImageGenerator {}

extension Provider {
    /// Serves repeated requests from `cache`.
    ///
    /// - Parameters:
    ///   - name: the provider's name in keys and metrics; give each provider its own (`openai`,
    ///     `ollama`), or two providers of the same type would share answers.
    ///   - policy: which requests are cached; deterministic ones by default.
    public func withCache(
        _ cache: ResponseCache,
        name: String? = nil,
        policy: ResponseCachePolicy = .deterministicOnly
    ) -> CachingProvider<Self> {
        CachingProvider(self, cache: cache, name: name ?? providerName(of: self), policy: policy)
    }
}
