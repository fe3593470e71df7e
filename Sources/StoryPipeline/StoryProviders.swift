public import Foundation
import OfflineProviders
public import ProviderKit

/// The providers a story run uses, with the names that go into the manifest.
///
/// ```swift
/// let offline = StoryProviders.offline()                       // no keys, no network
/// let chosen = await StoryProviders.resolve(.automatic)       // keys and a local Ollama when present
/// ```
public struct StoryProviders: Sendable {
    /// Writes ideas, scripts and shot prompts.
    public var text: any TextGenerator
    /// What `text` is, for the manifest (`"openai-compatible"`, `"template"`, …).
    public var textName: String
    /// The model `text` uses.
    public var textModel: String
    /// Speaks the script.
    public var speech: any SpeechSynthesizer
    /// What `speech` is.
    public var speechName: String
    /// The voice or model `speech` uses.
    public var speechModel: String
    /// Paints the keyframes.
    public var images: any ImageGenerator
    /// What `images` is.
    public var imageName: String
    /// The model `images` uses.
    public var imageModel: String
    /// Times the words of the voice when the synthesizer does not; `nil` to use only the synthesizer's timings.
    public var transcriber: (any Transcriber)?
    /// The model `transcriber` uses, for the manifest and its price.
    public var transcriberModel: String = ""
    /// Prices per model for the manifest's cost figures (ProviderKit's published list prices by default; add your
    /// own models). Models not in the table cost 0.
    public var prices: PriceTable = .standard

    /// Creates a set of providers.
    public init(
        text: any TextGenerator, textName: String, textModel: String,
        speech: any SpeechSynthesizer, speechName: String, speechModel: String,
        images: any ImageGenerator, imageName: String, imageModel: String,
        transcriber: (any Transcriber)? = nil
    ) {
        self.text = text
        self.textName = textName
        self.textModel = textModel
        self.speech = speech
        self.speechName = speechName
        self.speechModel = speechModel
        self.images = images
        self.imageName = imageName
        self.imageModel = imageModel
        self.transcriber = transcriber
    }

    /// The offline set: the template story writer (not a language model), espeak-ng and procedural placeholder art.
    public static func offline(voice: String = "en-us") -> StoryProviders {
        StoryProviders(
            text: TemplateStoryWriter(fields: TemplateStoryWriter.storyFields), textName: "template",
            textModel: TemplateStoryWriter.modelName,
            speech: EspeakSpeechSynthesizer(configuration: .init(voice: voice)), speechName: "espeak-ng",
            speechModel: voice,
            images: ProceduralImageGenerator(), imageName: "procedural",
            imageModel: ProceduralImageGenerator.modelName
        )
    }

    /// Identifies the providers and models, so that a different model changes every cache key after it.
    public var fingerprint: String {
        "text=\(textName)/\(textModel); speech=\(speechName)/\(speechModel); images=\(imageName)/\(imageModel)"
    }

    /// What a call to `model` costs by ``prices``, from its reported usage when there is one.
    public func cost(
        _ request: ProviderCall.Request, model: String, usage: TokenUsage? = nil, audioSeconds: Double? = nil
    )
        -> Double
    {
        prices.cost(ProviderCall(request), model: model, usage: usage, audioSeconds: audioSeconds)
    }

    /// True when nothing leaves this machine.
    public var isOffline: Bool {
        text.capabilities.contains(.offline) && speech.capabilities.contains(.offline)
            && images.capabilities.contains(.offline)
    }

    /// Which provider to use for each job.
    public struct Selection: Codable, Hashable, Sendable {
        /// `auto` (OpenAI when `OPENAI_API_KEY` or `OPENAI_BASE_URL` is set, else Ollama when `OLLAMA_HOST` is set or
        /// one answers on loopback, else the template writer), `openai`, `ollama` or `template`.
        public var text: String
        /// `auto` (ElevenLabs with `ELEVENLABS_API_KEY`, else OpenAI with `OPENAI_API_KEY`, else espeak-ng),
        /// `elevenlabs`, `openai` or `espeak`.
        public var speech: String
        /// `auto` (OpenAI with `OPENAI_API_KEY`, else procedural), `openai` or `procedural`.
        public var images: String
        /// The espeak-ng voice.
        public var espeakVoice: String

        /// Creates a selection.
        public init(
            text: String = "auto", speech: String = "auto", images: String = "auto", espeakVoice: String = "en-us"
        ) {
            self.text = text
            self.speech = speech
            self.images = images
            self.espeakVoice = espeakVoice
        }

        /// Every provider chosen from the environment.
        public static let automatic = Selection()
        /// Every provider offline.
        public static let offline = Selection(text: "template", speech: "espeak", images: "procedural")

        enum CodingKeys: String, CodingKey {
            case text, speech, images, espeakVoice
        }

        /// Decodes a selection (with ``StoryModels/StoryJSON``'s snake_case keys); missing fields mean `auto`.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            text = try container.decodeIfPresent(String.self, forKey: .text) ?? "auto"
            speech = try container.decodeIfPresent(String.self, forKey: .speech) ?? "auto"
            images = try container.decodeIfPresent(String.self, forKey: .images) ?? "auto"
            espeakVoice = try container.decodeIfPresent(String.self, forKey: .espeakVoice) ?? "en-us"
        }
    }

    /// Builds the providers a selection names, reading keys and hosts from `environment`.
    ///
    /// - Returns: the providers, and one line per choice saying what was chosen and why.
    /// - Throws: ``StoryPipelineError/invalidConfiguration(_:underlying:)`` for an unknown provider name or a named
    ///   provider whose key is missing.
    public static func resolve(
        _ selection: Selection,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws(StoryPipelineError) -> (providers: StoryProviders, notes: [String]) {
        var providers = StoryProviders.offline(voice: selection.espeakVoice)
        var notes: [String] = []
        let openAIConfiguration = OpenAICompatibleProvider.Configuration.fromEnvironment(environment)
        let hasOpenAI = environment["OPENAI_API_KEY"].map { !$0.isEmpty } ?? false
        let hasOpenAIBase = environment["OPENAI_BASE_URL"].map { !$0.isEmpty } ?? false
        // Remote providers go through ProviderKit's resilience layer: retries that honour Retry-After, and a
        // circuit breaker per model so that a dead provider fails fast instead of once per shot.
        let openAI = OpenAICompatibleProvider(configuration: openAIConfiguration)
            .withRetry(name: "openai-compatible").withCircuitBreaker(name: "openai-compatible")

        switch selection.text {
        case "auto":
            if hasOpenAI || hasOpenAIBase {
                providers.useOpenAIText(openAI, model: openAIConfiguration.chatModel)
                notes.append("text: OpenAI-compatible \(openAIConfiguration.chatModel) (OPENAI_* is set)")
            } else {
                let ollamaConfiguration = OllamaProvider.Configuration.fromEnvironment(environment)
                // The probe's failure is the expected answer on most machines: keep it out of the log.
                var probeConfiguration = ollamaConfiguration
                probeConfiguration.logger.logLevel = .critical
                let probe = OllamaProvider(configuration: probeConfiguration)
                let hostSet = environment["OLLAMA_HOST"].map { !$0.isEmpty } ?? false
                if (try? await probe.checkHealth()) != nil {
                    providers.text = OllamaProvider(configuration: ollamaConfiguration)
                        .withRetry(name: "ollama").withCircuitBreaker(name: "ollama")
                    providers.textName = "ollama"
                    providers.textModel = ollamaConfiguration.chatModel
                    notes.append("text: Ollama \(ollamaConfiguration.chatModel) at \(ollamaConfiguration.baseURL)")
                } else {
                    notes.append(
                        hostSet
                            ? "text: template writer (not a language model): Ollama at "
                                + "\(ollamaConfiguration.baseURL) did not answer"
                            : "text: template writer (not a language model); set OPENAI_API_KEY or run Ollama for "
                                + "real writing")
                }
            }
        case "openai":
            guard hasOpenAI || hasOpenAIBase else {
                throw .invalidConfiguration(
                    "providers.text is \"openai\" but neither OPENAI_API_KEY nor OPENAI_BASE_URL is set")
            }
            providers.useOpenAIText(openAI, model: openAIConfiguration.chatModel)
            notes.append("text: OpenAI-compatible \(openAIConfiguration.chatModel)")
        case "ollama":
            let configuration = OllamaProvider.Configuration.fromEnvironment(environment)
            providers.text = OllamaProvider(configuration: configuration)
                .withRetry(name: "ollama").withCircuitBreaker(name: "ollama")
            providers.textName = "ollama"
            providers.textModel = configuration.chatModel
            notes.append("text: Ollama \(configuration.chatModel) at \(configuration.baseURL)")
        case "template", "offline":
            notes.append("text: template writer (not a language model)")
        default:
            throw .invalidConfiguration(
                "providers.text: unknown provider \"\(selection.text)\" (auto, openai, ollama or template)")
        }

        let hasElevenLabs = environment["ELEVENLABS_API_KEY"].map { !$0.isEmpty } ?? false
        switch selection.speech {
        case "auto" where hasElevenLabs, "elevenlabs":
            guard hasElevenLabs else {
                throw .invalidConfiguration("providers.speech is \"elevenlabs\" but ELEVENLABS_API_KEY is not set")
            }
            let configuration = ElevenLabsSpeechSynthesizer.Configuration.fromEnvironment(environment)
            providers.speech = ElevenLabsSpeechSynthesizer(configuration: configuration)
                .withRetry(name: "elevenlabs").withCircuitBreaker(name: "elevenlabs")
            providers.speechName = "elevenlabs"
            providers.speechModel = configuration.voiceID
            notes.append("speech: ElevenLabs voice \(configuration.voiceID)")
        case "auto" where hasOpenAI, "openai":
            guard hasOpenAI || hasOpenAIBase else {
                throw .invalidConfiguration("providers.speech is \"openai\" but OPENAI_API_KEY is not set")
            }
            providers.speech = openAI
            providers.speechName = "openai-compatible"
            providers.speechModel = openAIConfiguration.speechModel
            providers.transcriber = openAI
            providers.transcriberModel = openAIConfiguration.transcriptionModel
            notes.append(
                "speech: OpenAI \(openAIConfiguration.speechModel) voice \(openAIConfiguration.voice), words timed by "
                    + "transcription")
        case "auto", "espeak", "offline":
            notes.append("speech: espeak-ng voice \(selection.espeakVoice) (offline)")
        default:
            throw .invalidConfiguration(
                "providers.speech: unknown provider \"\(selection.speech)\" (auto, elevenlabs, openai or espeak)")
        }

        switch selection.images {
        case "auto" where hasOpenAI, "openai":
            guard hasOpenAI || hasOpenAIBase else {
                throw .invalidConfiguration("providers.images is \"openai\" but OPENAI_API_KEY is not set")
            }
            providers.images = openAI
            providers.imageName = "openai-compatible"
            providers.imageModel = openAIConfiguration.imageModel
            notes.append("images: OpenAI \(openAIConfiguration.imageModel)")
        case "auto", "procedural", "offline":
            notes.append("images: procedural placeholder art (not an image model); set OPENAI_API_KEY for real images")
        default:
            throw .invalidConfiguration(
                "providers.images: unknown provider \"\(selection.images)\" (auto, openai or procedural)")
        }
        return (providers, notes)
    }

    private mutating func useOpenAIText(_ provider: some TextGenerator, model: String) {
        text = provider
        textName = "openai-compatible"
        textModel = model
    }
}
