public import Foundation
import OfflineProviders
public import ProviderKit

/// The providers a story run uses. Each one says who it is (``ProviderKit/ProviderIdentity``): the manifest's
/// provider and model names and the cache fingerprint come from those identities, never from labels.
///
/// ```swift
/// let offline = StoryProviders.offline()                                   // no keys, no network
/// let mine = StoryProviders(
///     text: OpenAICompatibleProvider(configuration: .init(apiKey: key)).withRetry(),
///     speech: EspeakSpeechSynthesizer(), images: ProceduralImageGenerator())
/// let (chosen, notes) = try await StoryProviders.fromEnvironment()         // keys and a local Ollama when present
/// ```
public struct StoryProviders: Sendable {
    /// Writes ideas, scripts and shot prompts.
    public var text: any TextGenerator
    /// Speaks the script.
    public var speech: any SpeechSynthesizer
    /// Paints the keyframes.
    public var images: any ImageGenerator
    /// Times the words of the voice when the synthesizer does not; `nil` to use only the synthesizer's timings.
    public var transcriber: (any Transcriber)?
    /// Prices per model for the manifest's cost figures (ProviderKit's published list prices by default; add your
    /// own models). Models not in the table cost 0.
    public var prices: PriceTable
    /// Where each shot's picture comes from, in order (a configuration file's `media` section); `nil` for a still
    /// from ``images`` for every shot.
    public var media: ShotMediaSources?

    /// Creates a set of providers without a transcriber.
    public init(
        text: some TextGenerator, speech: some SpeechSynthesizer, images: some ImageGenerator,
        prices: PriceTable = .standard
    ) {
        self.text = text
        self.speech = speech
        self.images = images
        self.transcriber = nil
        self.prices = prices
    }

    /// Creates a set of providers with a transcriber that times the voice's words.
    public init(
        text: some TextGenerator, speech: some SpeechSynthesizer, images: some ImageGenerator,
        transcriber: some Transcriber, prices: PriceTable = .standard
    ) {
        self.init(text: text, speech: speech, images: images, prices: prices)
        self.transcriber = transcriber
    }

    /// The offline set: the template story writer (not a language model), espeak-ng and procedural placeholder art.
    public static func offline(voice: String = "en-us") -> StoryProviders {
        StoryProviders(
            text: TemplateStoryWriter(fields: TemplateStoryWriter.storyFields),
            speech: EspeakSpeechSynthesizer(configuration: .init(voice: voice)),
            images: ProceduralImageGenerator())
    }

    /// The provider name and model a stage that used `role` records in the manifest, from the provider's identity.
    public struct Record: Sendable, Hashable {
        /// The identity's name (`openai-compatible`, `espeak-ng`, `ollama>template` for a chain).
        public var provider: String
        /// The identity's model for the role; empty when it names none.
        public var model: String

        /// Creates a record.
        public init(provider: String, model: String) {
            self.provider = provider
            self.model = model
        }
    }

    /// What the text provider is, for the manifest.
    public var textRecord: Record { Self.record(text.identity, .chat) }
    /// What the speech provider is, for the manifest.
    public var speechRecord: Record { Self.record(speech.identity, .speech) }
    /// What the image provider is, for the manifest.
    public var imageRecord: Record { Self.record(images.identity, .images) }
    /// What the transcriber is, for the manifest; `nil` without one.
    public var transcriberRecord: Record? { transcriber.map { Self.record($0.identity, .transcription) } }

    private static func record(_ identity: ProviderIdentity, _ role: ProviderIdentity.Role) -> Record {
        Record(provider: identity.name, model: identity.model(for: role) ?? "")
    }

    /// Identifies the providers, their models and output-relevant settings (``ProviderKit/ProviderIdentity``), so
    /// that a different model, server or voice changes every cache key after the stage that uses it. Holds no secret.
    public var fingerprint: String {
        var line =
            "text=\(text.identity.fingerprint); speech=\(speech.identity.fingerprint); "
            + "images=\(images.identity.fingerprint)"
        if let transcriber { line += "; transcriber=\(transcriber.identity.fingerprint)" }
        if let media { line += "; media=\(media.fingerprint)" }
        return line
    }

    /// Every provider with its role, for health checks.
    var all: [(role: String, provider: any Provider)] {
        var roles: [(role: String, provider: any Provider)] = [("text", text), ("speech", speech), ("images", images)]
        if let transcriber { roles.append(("transcriber", transcriber)) }
        return roles
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
        all.allSatisfy { $0.provider.capabilities.contains(.offline) }
    }

    /// A provider kind a configuration file may name for a job: `auto`, `openai`, `ollama`, `elevenlabs`,
    /// `template`, `espeak` or `procedural` (and `offline`, the offline one for the job).
    ///
    /// A struct with static members rather than an enum, so that new providers add members without breaking hosts.
    public struct Choice: Codable, Hashable, Sendable, CustomStringConvertible {
        /// The name as written in the configuration file.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// Chosen from the environment (see ``Selection``).
        public static let automatic = Choice("auto")
        /// An OpenAI-compatible server (`OPENAI_BASE_URL`, `OPENAI_API_KEY`).
        public static let openAI = Choice("openai")
        /// Ollama (`OLLAMA_HOST`); text only.
        public static let ollama = Choice("ollama")
        /// ElevenLabs (`ELEVENLABS_API_KEY`); speech only.
        public static let elevenLabs = Choice("elevenlabs")
        /// The template writer (not a language model); text only.
        public static let template = Choice("template")
        /// espeak-ng; speech only.
        public static let espeak = Choice("espeak")
        /// Procedural placeholder art; images only.
        public static let procedural = Choice("procedural")

        static let text: [Choice] = [.automatic, .openAI, .ollama, .template]
        static let speech: [Choice] = [.automatic, .elevenLabs, .openAI, .espeak]
        static let images: [Choice] = [.automatic, .openAI, .procedural]

        /// The choice named `name` among `allowed` (`offline` naming the job's offline provider), or an error listing them.
        static func named(_ name: String, for job: String, among allowed: [Choice], offline: Choice)
            throws(StoryPipelineError) -> Choice
        {
            if name == "offline" { return offline }
            guard let choice = allowed.first(where: { $0.rawValue == name }) else {
                throw .invalidConfiguration(
                    "providers.\(job): unknown provider \"\(name.prefix(40))\" ("
                        + allowed.map(\.rawValue).joined(separator: ", ") + ")")
            }
            return choice
        }

        /// Decodes any name; ``Selection`` checks it against its job.
        public init(from decoder: any Decoder) throws {
            rawValue = try decoder.singleValueContainer().decode(String.self)
        }

        /// Encodes the name.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(rawValue)
        }

        /// The name.
        public var description: String { rawValue }
    }

    /// Which provider to use for each job, as the configuration file's `providers` section names them; read by
    /// ``fromEnvironment(_:selection:)``.
    public struct Selection: Codable, Hashable, Sendable {
        /// ``Choice/automatic`` (OpenAI when `OPENAI_API_KEY` or `OPENAI_BASE_URL` is set, else Ollama when
        /// `OLLAMA_HOST` is set or one answers on loopback, else the template writer), ``Choice/openAI``,
        /// ``Choice/ollama`` or ``Choice/template``.
        public var text: Choice
        /// ``Choice/automatic`` (ElevenLabs with `ELEVENLABS_API_KEY`, else OpenAI with `OPENAI_API_KEY`, else
        /// espeak-ng), ``Choice/elevenLabs``, ``Choice/openAI`` or ``Choice/espeak``.
        public var speech: Choice
        /// ``Choice/automatic`` (OpenAI with `OPENAI_API_KEY`, else procedural), ``Choice/openAI`` or
        /// ``Choice/procedural``.
        public var images: Choice
        /// The espeak-ng voice.
        public var espeakVoice: String

        /// Creates a selection.
        public init(
            text: Choice = .automatic, speech: Choice = .automatic, images: Choice = .automatic,
            espeakVoice: String = "en-us"
        ) {
            self.text = text
            self.speech = speech
            self.images = images
            self.espeakVoice = espeakVoice
        }

        /// Every provider chosen from the environment.
        public static let automatic = Selection()
        /// Every provider offline.
        public static let offline = Selection(text: .template, speech: .espeak, images: .procedural)

        enum CodingKeys: String, CodingKey {
            case text, speech, images, espeakVoice
        }

        /// Decodes a selection (with ``StoryModels/StoryJSON``'s snake_case keys); missing fields mean `auto`, and a
        /// provider that cannot do the job (`"speech": "ollama"`) or is unknown is an error naming the choices.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            func choice(_ key: CodingKeys, among allowed: [Choice], offline: Choice) throws -> Choice {
                guard let name = try container.decodeIfPresent(String.self, forKey: key) else { return .automatic }
                return try Choice.named(name, for: key.stringValue, among: allowed, offline: offline)
            }
            text = try choice(.text, among: Choice.text, offline: .template)
            speech = try choice(.speech, among: Choice.speech, offline: .espeak)
            images = try choice(.images, among: Choice.images, offline: .procedural)
            espeakVoice = try container.decodeIfPresent(String.self, forKey: .espeakVoice) ?? "en-us"
        }
    }

    /// The providers a selection names, with keys and hosts read from `environment`: one constructor among others
    /// (``init(text:speech:images:prices:)`` takes providers a host made itself).
    ///
    /// Remote providers are wrapped in ProviderKit's resilience layer: retries that honour `Retry-After` (the one
    /// retry layer for provider calls, see ``StoryStudio/providerRetry``) and a circuit breaker per model, so that a
    /// dead provider fails fast instead of once per shot.
    ///
    /// With `routing` (a configuration file's `routing` section), the text provider is a ``ProviderKit/ProviderRouter``
    /// with per-task routes made from it (``ProviderKit/ProviderRouter/make(configuration:environment:transport:clock:ledger:factories:logger:)``:
    /// local servers list their models first, the offline kinds `template` and `procedural` are available), and its
    /// prices price the stages; `selection.text` is not used.
    ///
    /// - Returns: the providers, and one line per choice saying what was chosen and why.
    /// - Throws: ``StoryPipelineError/invalidConfiguration(_:underlying:)`` for a provider that cannot do its job, a
    ///   named provider whose key is missing, or a routing section naming an unknown route or model (with its path,
    ///   `routing.tasks.script.1.model`).
    public static func fromEnvironment(
        _ environment: [String: String] = ProcessInfo.processInfo.environment,
        selection: Selection = .automatic, routing: RouterConfiguration? = nil, media: MediaConfiguration? = nil
    ) async throws(StoryPipelineError) -> (providers: StoryProviders, notes: [String]) {
        // A selection built in code may hold any choice: check each against its job, as decoding does.
        let textChoice = try Choice.named(selection.text.rawValue, for: "text", among: Choice.text, offline: .template)
        let speechChoice = try Choice.named(
            selection.speech.rawValue, for: "speech", among: Choice.speech, offline: .espeak)
        let imageChoice = try Choice.named(
            selection.images.rawValue, for: "images", among: Choice.images, offline: .procedural)
        var text: any TextGenerator = TemplateStoryWriter(fields: TemplateStoryWriter.storyFields)
        var speech: any SpeechSynthesizer = EspeakSpeechSynthesizer(configuration: .init(voice: selection.espeakVoice))
        var images: any ImageGenerator = ProceduralImageGenerator()
        var transcriber: (any Transcriber)?
        var notes: [String] = []
        let openAIConfiguration = OpenAICompatibleProvider.Configuration.fromEnvironment(environment)
        let hasOpenAI = environment["OPENAI_API_KEY"].map { !$0.isEmpty } ?? false
        let hasOpenAIBase = environment["OPENAI_BASE_URL"].map { !$0.isEmpty } ?? false
        let openAI = OpenAICompatibleProvider(configuration: openAIConfiguration)
            .withRetry(name: "openai-compatible").withCircuitBreaker(name: "openai-compatible")

        var prices = PriceTable.standard
        switch textChoice {
        case _ where routing != nil:
            guard let routing else { break }
            let router: ProviderRouter
            do {
                router = try await ProviderRouter.make(
                    configuration: routing, environment: environment, factories: ProviderRouter.offlineFactories)
            } catch let error as ProviderError {
                throw StoryConfiguration.routingError(error)
            } catch {
                throw .invalidConfiguration("routing: \(error)", underlying: error)
            }
            text = router
            prices = router.prices
            let tasks = (router.taskRoutes?.tasks.keys.sorted() ?? []).map(\.rawValue)
            notes.append(
                "text: routed by task over \(router.routes.map(\.name).joined(separator: ", ")) ("
                    + (tasks.isEmpty
                        ? "every task on the default list" : "own routes for \(tasks.joined(separator: ", "))")
                    + ")")
        case .automatic where hasOpenAI || hasOpenAIBase:
            text = openAI
            notes.append("text: OpenAI-compatible \(openAIConfiguration.chatModel) (OPENAI_* is set)")
        case .automatic:
            let ollamaConfiguration = OllamaProvider.Configuration.fromEnvironment(environment)
            // The probe's failure is the expected answer on most machines: keep it out of the log.
            var probeConfiguration = ollamaConfiguration
            probeConfiguration.logger.logLevel = .critical
            let probe = OllamaProvider(configuration: probeConfiguration)
            let hostSet = environment["OLLAMA_HOST"].map { !$0.isEmpty } ?? false
            if (try? await probe.checkHealth()) != nil {
                text = OllamaProvider(configuration: ollamaConfiguration)
                    .withRetry(name: "ollama").withCircuitBreaker(name: "ollama")
                notes.append("text: Ollama \(ollamaConfiguration.chatModel) at \(ollamaConfiguration.baseURL)")
            } else {
                notes.append(
                    hostSet
                        ? "text: template writer (not a language model): Ollama at "
                            + "\(ollamaConfiguration.baseURL) did not answer"
                        : "text: template writer (not a language model); set OPENAI_API_KEY or run Ollama for "
                            + "real writing")
            }
        case .openAI:
            guard hasOpenAI || hasOpenAIBase else {
                throw .invalidConfiguration(
                    "providers.text is \"openai\" but neither OPENAI_API_KEY nor OPENAI_BASE_URL is set")
            }
            text = openAI
            notes.append("text: OpenAI-compatible \(openAIConfiguration.chatModel)")
        case .ollama:
            let configuration = OllamaProvider.Configuration.fromEnvironment(environment)
            text = OllamaProvider(configuration: configuration)
                .withRetry(name: "ollama").withCircuitBreaker(name: "ollama")
            notes.append("text: Ollama \(configuration.chatModel) at \(configuration.baseURL)")
        default:
            notes.append("text: template writer (not a language model)")
        }

        let hasElevenLabs = environment["ELEVENLABS_API_KEY"].map { !$0.isEmpty } ?? false
        switch speechChoice {
        case .automatic where hasElevenLabs, .elevenLabs:
            guard hasElevenLabs else {
                throw .invalidConfiguration("providers.speech is \"elevenlabs\" but ELEVENLABS_API_KEY is not set")
            }
            let configuration = ElevenLabsSpeechSynthesizer.Configuration.fromEnvironment(environment)
            speech = ElevenLabsSpeechSynthesizer(configuration: configuration)
                .withRetry(name: "elevenlabs").withCircuitBreaker(name: "elevenlabs")
            notes.append("speech: ElevenLabs voice \(configuration.voiceID)")
        case .automatic where hasOpenAI, .openAI:
            guard hasOpenAI || hasOpenAIBase else {
                throw .invalidConfiguration("providers.speech is \"openai\" but OPENAI_API_KEY is not set")
            }
            speech = openAI
            transcriber = openAI
            notes.append(
                "speech: OpenAI \(openAIConfiguration.speechModel) voice \(openAIConfiguration.voice), words timed by "
                    + "transcription")
        default:
            notes.append("speech: espeak-ng voice \(selection.espeakVoice) (offline)")
        }

        switch imageChoice {
        case .automatic where hasOpenAI, .openAI:
            guard hasOpenAI || hasOpenAIBase else {
                throw .invalidConfiguration("providers.images is \"openai\" but OPENAI_API_KEY is not set")
            }
            images = openAI
            notes.append("images: OpenAI \(openAIConfiguration.imageModel)")
        default:
            notes.append("images: procedural placeholder art (not an image model); set OPENAI_API_KEY for real images")
        }
        var providers = StoryProviders(text: text, speech: speech, images: images, prices: prices)
        providers.transcriber = transcriber
        if let media {
            let chain = try ShotMediaSources.make(
                media, images: images, imagesArePaid: !images.capabilities.contains(.offline), environment: environment)
            providers.media = chain
            notes.append("media: \(chain.name) (media.sources)")
        }
        return (providers, notes)
    }
}
