public import Foundation
public import Logging
import StoryForgeCore

/// OpenAI's API and the servers that copy it (LM Studio, vLLM, llama.cpp server, LiteLLM): chat
/// completions (streamed, with tools and JSON-schema output), speech, transcription with word
/// timestamps, and image generation.
///
/// Tolerates what compatible servers do differently: string or numeric error codes, `null` where
/// a field is expected, fields nobody asked for, usage left out.
///
/// ```swift
/// let openAI = OpenAICompatibleProvider(configuration: .fromEnvironment())
/// let answer = try await openAI.generate(ChatRequest(messages: [.user("Name three colours")]))
/// ```
public struct OpenAICompatibleProvider: TextGenerator, SpeechSynthesizer, Transcriber, ImageGenerator {
    /// Where the server is, how to authenticate, and the defaults for each kind of request.
    public struct Configuration: Sendable, CustomStringConvertible {
        /// The API root, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:1234/v1`.
        public var baseURL: URL
        /// The API key, sent as a bearer token; `nil` for servers without auth. Never logged or shown.
        public var apiKey: String?
        /// The chat model used when a request names none.
        public var chatModel: String
        /// The speech model.
        public var speechModel: String
        /// The voice used when a request names none.
        public var voice: String
        /// The transcription model.
        public var transcriptionModel: String
        /// The image model.
        public var imageModel: String
        /// Time limits for each request.
        public var timeouts: HTTPTimeouts
        /// The largest response accepted, in bytes.
        public var maxResponseBytes: Int
        /// Where requests are logged (method, path, status, duration; never keys, headers or bodies).
        public var logger: Logger
        /// Headers added to every request (e.g. `OpenAI-Organization`).
        public var extraHeaders: [String: String]
        /// Whether the API key may be sent over plain `http://` to a host that is not this machine.
        /// Off by default: such a request fails with ``ProviderError/insecureTransport(_:)`` before
        /// anything is sent. Loopback hosts and servers without a key never need it.
        public var allowsInsecureHTTP: Bool
        /// The largest image fetched when the server answers with a link instead of base64
        /// (32 MiB by default: twice a 2048 × 2048 RGBA PNG stored uncompressed); past it,
        /// ``ProviderError/responseTooLarge(_:)``. Links are followed only over https or to the
        /// server's own scheme, host and port.
        public var maxImageDownloadBytes: Int

        /// Creates a configuration; the defaults point at OpenAI itself.
        public init(
            baseURL: URL = URL(string: "https://api.openai.com/v1")!,  // a valid literal
            apiKey: String? = nil,
            chatModel: String = "gpt-4o-mini",
            speechModel: String = "tts-1",
            voice: String = "alloy",
            transcriptionModel: String = "whisper-1",
            imageModel: String = "dall-e-3",
            timeouts: HTTPTimeouts = HTTPTimeouts(),
            maxResponseBytes: Int = 64 << 20,
            logger: Logger = Logger(label: "storyforge.provider"),
            extraHeaders: [String: String] = [:],
            allowsInsecureHTTP: Bool = false,
            maxImageDownloadBytes: Int = 32 << 20
        ) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.chatModel = chatModel
            self.speechModel = speechModel
            self.voice = voice
            self.transcriptionModel = transcriptionModel
            self.imageModel = imageModel
            self.timeouts = timeouts
            self.maxResponseBytes = maxResponseBytes
            self.logger = logger
            self.extraHeaders = extraHeaders
            self.allowsInsecureHTTP = allowsInsecureHTTP
            self.maxImageDownloadBytes = max(0, maxImageDownloadBytes)
        }

        /// A configuration from `OPENAI_BASE_URL`, `OPENAI_API_KEY` and `OPENAI_MODEL`, with the
        /// defaults for what is not set.
        public static func fromEnvironment(
            _ environment: [String: String] = ProcessInfo.processInfo.environment
        ) -> Self {
            var configuration = Self()
            if let url = OpenAIEnvironment.baseURL(environment) { configuration.baseURL = url }
            if let key = OpenAIEnvironment.apiKey(environment) { configuration.apiKey = key }
            if let model = environment["OPENAI_MODEL"], !model.isEmpty { configuration.chatModel = model }
            return configuration
        }

        /// The base URL and models; the API key shows only as set or not.
        public var description: String {
            "OpenAI-compatible \(baseURL.absoluteString) (chat model \(chatModel), API key "
                + (apiKey == nil ? "not set)" : "set)")
        }
    }

    /// The configuration.
    public let configuration: Configuration
    private let client: ProviderHTTPClient

    /// Creates a provider over `transport` (the platform default when omitted).
    public init(configuration: Configuration, transport: any HTTPTransport = DefaultHTTPTransport()) {
        self.configuration = configuration
        client = ProviderHTTPClient(
            transport: transport,
            baseURL: configuration.baseURL,
            authHeaders: configuration.apiKey.map { [("Authorization", "Bearer \($0)")] } ?? [],
            extraHeaders: configuration.extraHeaders.sorted { $0.key < $1.key }.map { ($0.key, $0.value) },
            timeouts: configuration.timeouts,
            maxResponseBytes: configuration.maxResponseBytes,
            providerName:
                "OpenAI-compatible server at \(configuration.baseURL.host ?? configuration.baseURL.absoluteString)",
            logger: configuration.logger,
            allowsInsecureHTTP: configuration.allowsInsecureHTTP
        )
    }

    /// Streaming, tools, JSON schema, seed, word timings and a model list.
    public var capabilities: ProviderCapabilities {
        [.streaming, .toolCalls, .structuredOutput, .seed, .wordTimings, .modelList]
    }

    /// `openai-compatible`, its four models, and a digest of the base URL and voice (never the key or headers).
    public var identity: ProviderIdentity {
        ProviderIdentity(
            name: "openai-compatible",
            models: [
                .chat: configuration.chatModel, .speech: configuration.speechModel,
                .transcription: configuration.transcriptionModel, .images: configuration.imageModel,
            ],
            configuration: ["base_url": configuration.baseURL.absoluteString, "voice": configuration.voice])
    }

    // MARK: Models and health

    /// `GET /models`.
    public func models() async throws -> [ModelInfo] {
        let json = try await client.json(.get, "models")
        guard case .array(let items)? = json["data"] else {
            throw ProviderError.malformedResponse("the model list has no data array", rawText: json.jsonText)
        }
        return items.compactMap { item in
            item["id"]?.stringValue.map {
                // vLLM says max_model_len, OpenRouter context_length, Groq context_window: each checked.
                let window = ["max_model_len", "context_length", "context_window"].lazy
                    .compactMap { ModelInfo.checkedContextWindow(item[$0]) }.first
                return ModelInfo(id: $0, ownedBy: item["owned_by"]?.stringValue, contextWindow: window)
            }
        }
    }

    /// Lists the models.
    public func checkHealth() async throws -> HealthReport {
        let start = ContinuousClock.now
        let models = try await models()
        return HealthReport(latency: .now - start, detail: "GET /models: \(models.count) models")
    }

    // MARK: Chat

    /// `POST /chat/completions`.
    public func generate(_ request: ChatRequest) async throws -> ChatResponse {
        let start = ContinuousClock.now
        let body = OpenAIWire.chatBody(request, defaultModel: configuration.chatModel, stream: false)
        let json = try await client.json(.post, "chat/completions", body: body)
        var response = try OpenAIWire.chatResponse(json)
        response.latency = .now - start
        if response.model.isEmpty { response.model = request.model ?? configuration.chatModel }
        return response
    }

    /// `POST /chat/completions` with `stream: true` and usage included; ends with `[DONE]`.
    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamPart, any Error> {
        let body = OpenAIWire.chatBody(request, defaultModel: configuration.chatModel, stream: true)
        let client = client
        return makeProviderStream { continuation in
            let response = try await client.stream("chat/completions", body: body)
            var decoder = ServerSentEventDecoder()
            var state = OpenAIWire.StreamState()
            for try await chunk in response.body {
                for event in try decoder.feed(chunk) {
                    for part in try state.parts(for: event, redact: client.redact) { continuation.yield(part) }
                    if state.isDone { return }
                }
            }
            try Task.checkCancellation()
            if let event = decoder.finish() {
                for part in try state.parts(for: event, redact: client.redact) { continuation.yield(part) }
                if state.isDone { return }
            }
            throw ProviderError.transport(
                "\(client.providerName): the event stream ended without [DONE]; the answer may be incomplete")
        }
    }

    // MARK: Speech

    /// `POST /audio/speech`; OpenAI's speech has no word timings, so they are `nil`.
    public func synthesize(_ request: SpeechRequest) async throws -> SynthesizedSpeech {
        var body: [String: JSONValue] = [
            "model": .string(request.model ?? configuration.speechModel),
            "input": .string(request.text),
            "voice": .string(request.voice ?? configuration.voice),
            "response_format": .string(request.format.rawValue),
        ]
        if let speed = request.speed { body["speed"] = .number(speed) }
        let audio = try await client.raw(
            .post, "audio/speech", body: Data(JSONValue.object(body).jsonText.utf8), contentType: "application/json")
        // OpenAI speaks at 24 kHz; a WAV says so itself.
        let rate = request.format == .wav ? wavSampleRate(audio) ?? 24_000 : (request.format == .pcm ? 24_000 : nil)
        return SynthesizedSpeech(audio: audio, format: request.format, sampleRate: rate, wordTimings: nil)
    }

    // MARK: Transcription

    /// `POST /audio/transcriptions` with `verbose_json` and word and segment timestamps.
    public func transcribe(_ request: TranscriptionRequest) async throws -> Transcription {
        var form = MultipartForm()
        form.addFile(name: "file", fileName: "audio.\(request.format.rawValue)", data: request.audio)
        form.addField(name: "model", value: request.model ?? configuration.transcriptionModel)
        form.addField(name: "response_format", value: "verbose_json")
        form.addField(name: "timestamp_granularities[]", value: "segment")
        if request.wantsWordTimings { form.addField(name: "timestamp_granularities[]", value: "word") }
        if let language = request.language { form.addField(name: "language", value: language) }
        if let prompt = request.prompt { form.addField(name: "prompt", value: prompt) }
        let data = try await client.raw(
            .post, "audio/transcriptions", body: form.finished, contentType: form.contentType)
        let json: JSONValue
        do { json = try JSONValue(parsing: data) } catch {
            throw ProviderError.malformedResponse(
                "the transcription is not JSON", rawText: String(decoding: data, as: UTF8.self))
        }
        return try OpenAIWire.transcription(json, audioDuration: audioDuration(request))
    }

    // MARK: Images

    /// `POST /images/generations` asking for base64 PNGs; `seed` and the negative prompt are not
    /// part of this API and are ignored.
    public func generateImages(_ request: ImageRequest) async throws -> [GeneratedImage] {
        let body: JSONValue = [
            "model": .string(request.model ?? configuration.imageModel),
            "prompt": .string(request.prompt),
            "n": .number(Double(request.count)),
            "size": .string("\(request.width)x\(request.height)"),
            "response_format": "b64_json",
        ]
        let json = try await client.json(.post, "images/generations", body: body)
        guard case .array(let items)? = json["data"] else {
            throw ProviderError.malformedResponse("the image answer has no data array", rawText: json.jsonText)
        }
        var images: [GeneratedImage] = []
        for item in items {
            let revised = item["revised_prompt"]?.stringValue
            if let base64 = item["b64_json"]?.stringValue, let data = Data(base64Encoded: base64) {
                images.append(GeneratedImage(data: data, mimeType: Self.imageType(data), revisedPrompt: revised))
            } else if let link = item["url"]?.stringValue, let url = URL(string: link) {
                // Some compatible servers ignore response_format and answer with a link.
                let data = try await client.fetchLinked(
                    url, maxBytes: configuration.maxImageDownloadBytes, what: "a generated image")
                images.append(GeneratedImage(data: data, mimeType: Self.imageType(data), revisedPrompt: revised))
            } else {
                throw ProviderError.malformedResponse(
                    "an image came with neither valid b64_json nor a url", rawText: item.jsonText)
            }
        }
        return images
    }

    /// The length of the uploaded audio in seconds, when it is a WAV whose header says; word times
    /// are clamped to it.
    private func audioDuration(_ request: TranscriptionRequest) -> Double? {
        request.format == .wav ? PCM16Audio.duration(ofWAV: request.audio) : nil
    }

    /// The MIME type from the data's signature (PNG, JPEG, WebP), PNG when unknown.
    private static func imageType(_ data: Data) -> String {
        if data.starts(with: [0xFF, 0xD8, 0xFF]) { return "image/jpeg" }
        if data.count >= 12, data.prefix(4) == Data("RIFF".utf8), data.dropFirst(8).prefix(4) == Data("WEBP".utf8) {
            return "image/webp"
        }
        return "image/png"
    }
}

extension OpenAICompatibleProvider: CacheScoped {
    /// The base URL and a fingerprint of the key and extra headers, for cache keys.
    package var cacheScope: String {
        makeCacheScope(baseURL: configuration.baseURL, credentials: client.authHeaders + client.extraHeaders)
    }
}
