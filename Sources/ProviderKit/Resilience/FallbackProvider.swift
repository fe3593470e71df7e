public import Foundation
public import Logging
import Metrics

/// A provider's output that can say where it came from.
protocol OriginTagged: Sendable {
    /// The origin of the output, when set.
    var responseOrigin: ResponseOrigin? { get }
    /// The output with its origin replaced.
    func tagged(_ origin: ResponseOrigin) -> Self
}

extension ChatResponse: OriginTagged {
    var responseOrigin: ResponseOrigin? { origin }
    func tagged(_ origin: ResponseOrigin) -> Self {
        var copy = self
        copy.origin = origin
        return copy
    }
}

extension SynthesizedSpeech: OriginTagged {
    var responseOrigin: ResponseOrigin? { origin }
    func tagged(_ origin: ResponseOrigin) -> Self {
        var copy = self
        copy.origin = origin
        return copy
    }
}

extension Transcription: OriginTagged {
    var responseOrigin: ResponseOrigin? { origin }
    func tagged(_ origin: ResponseOrigin) -> Self {
        var copy = self
        copy.origin = origin
        return copy
    }
}

extension [GeneratedImage]: OriginTagged {
    var responseOrigin: ResponseOrigin? { first?.origin }
    func tagged(_ origin: ResponseOrigin) -> Self {
        map { image in
            var copy = image
            copy.origin = origin
            return copy
        }
    }
}

extension GeneratedClip: OriginTagged {
    var responseOrigin: ResponseOrigin? { origin }
    func tagged(_ origin: ResponseOrigin) -> Self {
        var copy = self
        copy.origin = origin
        return copy
    }
}

/// Names a provider in a chain: a chain reports its members' names.
protocol ChainMember {
    var memberNames: [String] { get }
}

/// Tries `primary`, and `secondary` when it fails (or its breaker is open); the response's
/// ``ResponseOrigin`` says which one served it and whether the fallback was used.
///
/// Chains nest: `local.fallback(to: openAI, ...).fallback(to: offline, ...)`. A stream falls back
/// only while no text has reached the caller.
public struct FallbackProvider<Primary: Provider, Secondary: Provider>: Provider, ChainMember {
    /// The first choice.
    public let primary: Primary
    /// The second choice.
    public let secondary: Secondary
    /// The first choice's name, in origins and logs.
    public let primaryName: String
    /// The second choice's name.
    public let secondaryName: String
    /// Which errors move on to the next provider: all but cancellation by default.
    public let shouldFallBack: @Sendable (ProviderError) -> Bool
    private let logger: Logger

    /// Creates a chain; prefer ``Provider/fallback(to:name:fallbackName:when:logger:)``.
    public init(
        primary: Primary,
        secondary: Secondary,
        primaryName: String,
        secondaryName: String,
        shouldFallBack: @escaping @Sendable (ProviderError) -> Bool = { $0.code != .cancelled },
        logger: Logger = Logger(label: "storyforge.provider.resilience")
    ) {
        self.primary = primary
        self.secondary = secondary
        self.primaryName = primaryName
        self.secondaryName = secondaryName
        self.shouldFallBack = shouldFallBack
        self.logger = logger
    }

    var memberNames: [String] {
        ((primary as? any ChainMember)?.memberNames ?? [primaryName])
            + ((secondary as? any ChainMember)?.memberNames ?? [secondaryName])
    }

    /// A chain of both identities (``ProviderIdentity/chain(_:)``): named `primary>secondary`, changed by either.
    public var identity: ProviderIdentity { .chain([primary.identity, secondary.identity]) }

    /// Both providers' capabilities that each has.
    public var capabilities: ProviderCapabilities { primary.capabilities.intersection(secondary.capabilities) }

    /// Healthy when either is.
    public func checkHealth() async throws -> HealthReport {
        do { return try await primary.checkHealth() } catch { return try await secondary.checkHealth() }
    }

    /// The primary's models.
    public func models() async throws -> [ModelInfo] { try await primary.models() }

    func run<Output: OriginTagged>(
        _ call: ProviderCall,
        primary first: () async throws -> Output,
        secondary second: () async throws -> Output
    ) async throws -> Output {
        let primaryNames = (primary as? any ChainMember)?.memberNames ?? [primaryName]
        do {
            let output = try await first()
            return output.tagged(output.responseOrigin ?? origin(of: primary.identity, named: primaryName, call))
        } catch {
            let typed = ProviderError.typed(error)
            guard shouldFallBack(typed), !Task.isCancelled else { throw typed }
            fellBack(call, error: typed)
            let output = try await second()
            var origin = output.responseOrigin ?? origin(of: secondary.identity, named: secondaryName, call)
            origin.usedFallback = true
            origin.skipped = primaryNames + origin.skipped
            return output.tagged(origin)
        }
    }

    /// The origin of an answer by the member with `identity`, under the name the chain gave it.
    private func origin(of identity: ProviderIdentity, named name: String, _ call: ProviderCall) -> ResponseOrigin {
        var origin = ResponseOrigin(identity: identity, call: call)
        origin.provider = name
        return origin
    }

    func fellBack(_ call: ProviderCall, error: ProviderError) {
        logger.notice(
            "falling back to the next provider",
            metadata: [
                "provider.name": "\(primaryName)", "provider.fallback": "\(secondaryName)",
                "provider.model": "\(call.model ?? "default")", "provider.operation": "\(call.operation)",
                "error": "\(error)",
            ])
        Counter(
            label: "storyforge_provider_fallbacks_total", dimensions: [("from", primaryName), ("to", secondaryName)]
        ).increment()
    }
}

extension FallbackProvider: TextGenerator where Primary: TextGenerator, Secondary: TextGenerator {
    /// Generates with the primary, or the secondary when the primary fails.
    public func generate(_ request: ChatRequest) async throws -> ChatResponse {
        try await run(ProviderCall(.chat(request))) {
            try await primary.generate(request)
        } secondary: {
            try await secondary.generate(request)
        }
    }

    /// Streams from the primary, or from the secondary when the primary fails before any text.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamPart, any Error> {
        let chain = self
        return makeDecoratedStream { continuation in
            var relay = PreambleHoldingRelay()
            do {
                for try await part in chain.primary.stream(request) { relay.relay(part, to: continuation) }
                relay.finish(to: continuation)
                return
            } catch {
                let typed = ProviderError.typed(error)
                guard !relay.delivered, chain.shouldFallBack(typed), !Task.isCancelled else { throw typed }
                chain.fellBack(ProviderCall(.stream(request)), error: typed)
            }
            for try await part in chain.secondary.stream(request) { continuation.yield(part) }
        }
    }
}

extension FallbackProvider: SpeechSynthesizer where Primary: SpeechSynthesizer, Secondary: SpeechSynthesizer {
    /// Synthesises with the primary, or the secondary when the primary fails.
    public func synthesize(_ request: SpeechRequest) async throws -> SynthesizedSpeech {
        try await run(ProviderCall(.speech(request))) {
            try await primary.synthesize(request)
        } secondary: {
            try await secondary.synthesize(request)
        }
    }
}

extension FallbackProvider: Transcriber where Primary: Transcriber, Secondary: Transcriber {
    /// Transcribes with the primary, or the secondary when the primary fails.
    public func transcribe(_ request: TranscriptionRequest) async throws -> Transcription {
        try await run(ProviderCall(.transcription(request))) {
            try await primary.transcribe(request)
        } secondary: {
            try await secondary.transcribe(request)
        }
    }
}

extension FallbackProvider: ImageGenerator where Primary: ImageGenerator, Secondary: ImageGenerator {
    /// Generates images with the primary, or the secondary when the primary fails.
    public func generateImages(_ request: ImageRequest) async throws -> [GeneratedImage] {
        try await run(ProviderCall(.images(request))) {
            try await primary.generateImages(request)
        } secondary: {
            try await secondary.generateImages(request)
        }
    }
}

extension FallbackProvider: VideoClipGenerator where Primary: VideoClipGenerator, Secondary: VideoClipGenerator {
    /// Generates a clip with the primary, or the secondary when the primary fails (it writes the same destination).
    public func generateClip(_ request: ClipRequest, to destination: URL) async throws -> GeneratedClip {
        try await run(ProviderCall(.video(request))) {
            try await primary.generateClip(request, to: destination)
        } secondary: {
            try await secondary.generateClip(request, to: destination)
        }
    }
}

extension Provider {
    /// Falls back to `next` when this provider fails (its breaker open included).
    ///
    /// ```swift
    /// let text = ollama.withCircuitBreaker(name: "ollama")
    ///     .fallback(to: openAI.withRetry(), name: "ollama", fallbackName: "openai")
    /// ```
    ///
    /// - Parameters:
    ///   - name: this provider's name in origins and logs; its ``ProviderIdentity/name`` by default.
    ///   - fallbackName: `next`'s name; its identity's name by default.
    ///   - when: which errors move on; all but cancellation by default.
    public func fallback<Next: Provider>(
        to next: Next,
        name: String? = nil,
        fallbackName: String? = nil,
        when: @escaping @Sendable (ProviderError) -> Bool = { $0.code != .cancelled },
        logger: Logger = Logger(label: "storyforge.provider.resilience")
    ) -> FallbackProvider<Self, Next> {
        FallbackProvider(
            primary: self, secondary: next,
            primaryName: name ?? (self as? any ChainMember)?.memberNames.joined(separator: "+")
                ?? providerName(of: self),
            secondaryName: fallbackName ?? providerName(of: next), shouldFallBack: when, logger: logger)
    }
}
