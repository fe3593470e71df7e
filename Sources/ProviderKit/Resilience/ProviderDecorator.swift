public import Foundation

/// One call to a provider, as a decorator sees it.
public struct ProviderCall: Sendable {
    /// The request, by kind.
    public enum Request: Sendable, Hashable {
        /// A whole chat completion.
        case chat(ChatRequest)
        /// A streamed chat completion.
        case stream(ChatRequest)
        /// Speech synthesis.
        case speech(SpeechRequest)
        /// A transcription.
        case transcription(TranscriptionRequest)
        /// Image generation.
        case images(ImageRequest)
        /// A video clip.
        case video(ClipRequest)
    }

    /// The request.
    public var request: Request

    /// Creates a call.
    public init(_ request: Request) { self.request = request }

    /// The model the request names, if any.
    public var model: String? {
        switch request {
        case .chat(let request), .stream(let request): request.model
        case .speech(let request): request.model
        case .transcription(let request): request.model
        case .images(let request): request.model
        case .video(let request): request.model
        }
    }

    /// The kind of call, for logs and metrics: `chat`, `chat.stream`, `speech`, `transcription`, `images`,
    /// `video`.
    public var operation: String {
        switch request {
        case .chat: "chat"
        case .stream: "chat.stream"
        case .speech: "speech"
        case .transcription: "transcription"
        case .images: "images"
        case .video: "video"
        }
    }

    /// A rough count of the tokens the request will use (prompt characters / 4 plus the output
    /// limit, or 256 when none is set), for token budgets before the provider reports usage.
    public var estimatedTokens: Int {
        switch request {
        case .chat(let request), .stream(let request):
            let characters = request.messages.reduce(0) { CheckedNumber.saturatingSum($0, $1.content.count) }
            // `maxTokens` is the caller's and may be anything; the estimate saturates, never traps.
            return CheckedNumber.saturatingSum(characters / 4 + 1, max(0, request.maxTokens ?? 256))
        case .speech(let request): return request.text.count / 4 + 1
        case .transcription: return 1
        case .images, .video: return 1
        }
    }
}

/// A decorator that wraps every call of a base provider the same way: retry, circuit breaker and
/// rate limiter are built on it, and a host can write its own.
///
/// A conforming type implements ``intercept(_:_:)`` and ``interceptStream(_:_:)`` and declares the
/// conformances it passes through, e.g. `extension Audited: TextGenerator where Base: TextGenerator {}`;
/// the protocol methods come from this protocol's extensions.
public protocol ProviderDecorator: Provider {
    /// The type of the wrapped provider.
    associatedtype Base: Provider
    /// The wrapped provider.
    var base: Base { get }
    /// Runs one buffered call; `operation` calls the base provider and may be called more than once.
    func intercept<Output: Sendable>(
        _ call: ProviderCall,
        _ operation: @escaping @Sendable () async throws -> Output
    ) async throws -> Output
    /// Wraps one streamed call; `open` starts the base provider's stream and may be called more than once.
    func interceptStream(
        _ call: ProviderCall,
        _ open: @escaping @Sendable () -> AsyncThrowingStream<ChatStreamPart, any Error>
    ) -> AsyncThrowingStream<ChatStreamPart, any Error>
}

extension ProviderDecorator {
    /// The base provider's identity: a decorator changes how calls are made, not what answers them.
    public var identity: ProviderIdentity { base.identity }
    /// The base provider's capabilities.
    public var capabilities: ProviderCapabilities { base.capabilities }
    /// The base provider's health check, undecorated.
    public func checkHealth() async throws -> HealthReport { try await base.checkHealth() }
    /// The base provider's models.
    public func models() async throws -> [ModelInfo] { try await base.models() }
}

extension ProviderDecorator where Base: TextGenerator {
    /// Generates through ``intercept(_:_:)``.
    public func generate(_ request: ChatRequest) async throws -> ChatResponse {
        let base = base
        return try await intercept(ProviderCall(.chat(request))) { try await base.generate(request) }
    }

    /// Streams through ``interceptStream(_:_:)``.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamPart, any Error> {
        let base = base
        return interceptStream(ProviderCall(.stream(request))) { base.stream(request) }
    }
}

extension ProviderDecorator where Base: SpeechSynthesizer {
    /// Synthesises through ``intercept(_:_:)``.
    public func synthesize(_ request: SpeechRequest) async throws -> SynthesizedSpeech {
        let base = base
        return try await intercept(ProviderCall(.speech(request))) { try await base.synthesize(request) }
    }
}

extension ProviderDecorator where Base: Transcriber {
    /// Transcribes through ``intercept(_:_:)``.
    public func transcribe(_ request: TranscriptionRequest) async throws -> Transcription {
        let base = base
        return try await intercept(ProviderCall(.transcription(request))) { try await base.transcribe(request) }
    }
}

extension ProviderDecorator where Base: ImageGenerator {
    /// Generates images through ``intercept(_:_:)``.
    public func generateImages(_ request: ImageRequest) async throws -> [GeneratedImage] {
        let base = base
        return try await intercept(ProviderCall(.images(request))) { try await base.generateImages(request) }
    }
}

extension ProviderDecorator where Base: VideoClipGenerator {
    /// Generates a clip through ``intercept(_:_:)``; a retried call writes the same destination again.
    public func generateClip(_ request: ClipRequest, to destination: URL) async throws -> GeneratedClip {
        let base = base
        return try await intercept(ProviderCall(.video(request))) {
            try await base.generateClip(request, to: destination)
        }
    }
}

/// Runs `body` in a task feeding a stream; cancelling the consumer cancels the task. Errors that
/// are not ``ProviderError``s become typed ones, so a decorated stream only throws typed errors.
package func makeDecoratedStream(
    _ body: @escaping @Sendable (AsyncThrowingStream<ChatStreamPart, any Error>.Continuation) async throws -> Void
) -> AsyncThrowingStream<ChatStreamPart, any Error> {
    makeProviderStream { continuation in
        do {
            try await body(continuation)
        } catch {
            throw ProviderError.typed(error)
        }
    }
}

extension ProviderError {
    /// `error` as a ``ProviderError``: cancellation becomes ``cancelled``, anything else
    /// ``transport`` with its description.
    static func typed(_ error: any Error) -> ProviderError {
        if let error = error as? ProviderError { return error }
        if error is CancellationError { return .cancelled("the request was cancelled") }
        return .transport(String(describing: error))
    }
}
