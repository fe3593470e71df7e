public import Foundation
public import Logging
import StoryForgeCore

/// ElevenLabs text to speech, with word timings from the with-timestamps endpoint's character
/// alignment.
///
/// WAV is made by asking for 24 kHz PCM and adding the header; MP3 comes as ElevenLabs sends it.
/// Errors in its `{"detail": {"status", "message"}}` format map to ``ProviderError`` kinds
/// (`quota_exceeded` to ``ProviderError/quotaExhausted``, and so on).
///
/// ```swift
/// let voice = ElevenLabsSpeechSynthesizer(configuration: .fromEnvironment())
/// let speech = try await voice.synthesize(SpeechRequest(text: "Once upon a time", format: .mp3))
/// ```
public struct ElevenLabsSpeechSynthesizer: SpeechSynthesizer {
    /// Where the API is, the key, and the defaults.
    public struct Configuration: Sendable, CustomStringConvertible {
        /// The API root, `https://api.elevenlabs.io`.
        public var baseURL: URL
        /// The API key, sent as `xi-api-key`. Never logged or shown.
        public var apiKey: String?
        /// The voice id used when a request names none.
        public var voiceID: String
        /// The model, e.g. `eleven_multilingual_v2`.
        public var modelID: String
        /// Time limits.
        public var timeouts: HTTPTimeouts
        /// The largest response accepted, in bytes.
        public var maxResponseBytes: Int
        /// Where requests are logged (method, path, status, duration; never keys, headers or bodies).
        public var logger: Logger
        /// Whether the API key may be sent over plain `http://` to a host that is not this machine.
        /// Off by default: such a request fails with ``ProviderError/insecureTransport(_:)`` before
        /// anything is sent.
        public var allowsInsecureHTTP: Bool

        /// Creates a configuration.
        public init(
            baseURL: URL = URL(string: "https://api.elevenlabs.io")!,  // a valid literal
            apiKey: String? = nil,
            voiceID: String = "21m00Tcm4TlvDq8ikWAM",
            modelID: String = "eleven_multilingual_v2",
            timeouts: HTTPTimeouts = HTTPTimeouts(),
            maxResponseBytes: Int = 64 << 20,
            logger: Logger = Logger(label: "storyforge.provider"),
            allowsInsecureHTTP: Bool = false
        ) {
            self.allowsInsecureHTTP = allowsInsecureHTTP
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.voiceID = voiceID
            self.modelID = modelID
            self.timeouts = timeouts
            self.maxResponseBytes = maxResponseBytes
            self.logger = logger
        }

        /// A configuration from `ELEVENLABS_API_KEY` (and `ELEVENLABS_BASE_URL`, `ELEVENLABS_VOICE_ID`).
        public static func fromEnvironment(
            _ environment: [String: String] = ProcessInfo.processInfo.environment
        ) -> Self {
            var configuration = Self()
            if let key = environment["ELEVENLABS_API_KEY"], !key.isEmpty { configuration.apiKey = key }
            if let base = environment["ELEVENLABS_BASE_URL"], let url = URL(string: base), !base.isEmpty {
                configuration.baseURL = url
            }
            if let voice = environment["ELEVENLABS_VOICE_ID"], !voice.isEmpty { configuration.voiceID = voice }
            return configuration
        }

        /// The base URL and voice; the key shows only as set or not.
        public var description: String {
            "ElevenLabs \(baseURL.absoluteString) (voice \(voiceID), API key " + (apiKey == nil ? "not set)" : "set)")
        }
    }

    /// The configuration.
    public let configuration: Configuration
    private let client: ProviderHTTPClient

    /// Creates a synthesiser over `transport` (the platform default when omitted).
    public init(configuration: Configuration, transport: any HTTPTransport = DefaultHTTPTransport()) {
        self.configuration = configuration
        client = ProviderHTTPClient(
            transport: transport, baseURL: configuration.baseURL,
            authHeaders: configuration.apiKey.map { [("xi-api-key", $0)] } ?? [], extraHeaders: [],
            timeouts: configuration.timeouts, maxResponseBytes: configuration.maxResponseBytes,
            providerName: "ElevenLabs", logger: configuration.logger,
            allowsInsecureHTTP: configuration.allowsInsecureHTTP)
    }

    /// Word timings and a model list.
    public var capabilities: ProviderCapabilities { [.wordTimings, .modelList] }

    /// `elevenlabs`, its model, and a digest of the base URL and voice (never the key).
    public var identity: ProviderIdentity {
        ProviderIdentity(
            name: "elevenlabs", models: [.speech: configuration.modelID],
            configuration: ["base_url": configuration.baseURL.absoluteString, "voice": configuration.voiceID])
    }

    /// `GET /v1/models`.
    public func models() async throws -> [ModelInfo] {
        let json = try await client.json(.get, "v1/models")
        guard case .array(let items) = json else {
            throw ProviderError.malformedResponse("the model list is not an array", rawText: json.jsonText)
        }
        return items.compactMap { $0["model_id"]?.stringValue.map { ModelInfo(id: $0, ownedBy: "ElevenLabs") } }
    }

    /// Lists the models.
    public func checkHealth() async throws -> HealthReport {
        let start = ContinuousClock.now
        let models = try await models()
        return HealthReport(latency: .now - start, detail: "GET /v1/models: \(models.count) models")
    }

    /// `POST /v1/text-to-speech/{voice}` or, when word timings are wanted, `.../with-timestamps`.
    public func synthesize(_ request: SpeechRequest) async throws -> SynthesizedSpeech {
        let (outputFormat, sampleRate): (String, Int)
        switch request.format {
        case .mp3: (outputFormat, sampleRate) = ("mp3_44100_128", 44_100)
        case .wav, .pcm: (outputFormat, sampleRate) = ("pcm_24000", 24_000)
        case .opus: (outputFormat, sampleRate) = ("opus_48000_64", 48_000)
        default: throw ProviderError.unsupported("ElevenLabs does not produce \(request.format.rawValue)")
        }
        let voice =
            (request.voice ?? configuration.voiceID).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        var body: [String: JSONValue] = [
            "text": .string(request.text), "model_id": .string(request.model ?? configuration.modelID),
        ]
        // ElevenLabs takes speeds of 0.7…1.2; a NaN is left out rather than sent.
        if let speed = request.speed, speed.isFinite {
            body["voice_settings"] = ["speed": .number(min(max(speed, 0.7), 1.2))]
        }
        // Only the v2.5 models accept a language (ISO 639-1); the others detect it and reject the field.
        let model = request.model ?? configuration.modelID
        if let language = request.language, model.contains("v2_5"),
            let code = language.lowercased().split(whereSeparator: { $0 == "-" || $0 == "_" }).first,
            code.count == 2, code.allSatisfy({ $0.isASCII && $0.isLetter })
        {
            body["language_code"] = .string(String(code))
        }
        let path =
            "v1/text-to-speech/\(voice)" + (request.wantsWordTimings ? "/with-timestamps" : "")
            + "?output_format=\(outputFormat)"
        var audio: Data
        var words: [TimedWord]?
        if request.wantsWordTimings {
            let json = try await client.json(.post, path, body: .object(body))
            guard let base64 = json["audio_base64"]?.stringValue, let decoded = Data(base64Encoded: base64) else {
                throw ProviderError.malformedResponse("the answer has no valid audio_base64")
            }
            audio = decoded
            // Word times are clamped to the audio; its length is known from PCM, not from MP3 or Opus.
            let length =
                sampleRate > 0 && request.format != .mp3 && request.format != .opus
                ? Double(decoded.count / 2) / Double(sampleRate) : nil
            words = Self.words(from: json["alignment"] ?? json["normalized_alignment"], audioLength: length)
        } else {
            audio = try await client.raw(
                .post, path, body: Data(JSONValue.object(body).jsonText.utf8), contentType: "application/json")
        }
        if request.format == .wav {
            audio = PCM16Audio(sampleRate: sampleRate, channels: 1, samples: Self.samples(audio)).wav
        }
        return SynthesizedSpeech(audio: audio, format: request.format, sampleRate: sampleRate, wordTimings: words)
    }

    private static func samples(_ pcm: Data) -> [Int16] {
        let bytes = [UInt8](pcm)
        return stride(from: 0, to: bytes.count - 1, by: 2).map {
            Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8)
        }
    }

    /// The longest audio whose word times are believed when its length is not known (MP3):
    /// one day, far past any text ElevenLabs accepts in one request.
    static let longestAudio = 86_400.0

    /// Groups the character alignment into words: a word runs from its first letter's start to
    /// its last letter's end; whitespace separates words.
    ///
    /// The times come from the server, so they are checked: a time that is not a finite number
    /// is replaced by the one before it, every time is clamped to `0…audioLength` (one day when
    /// unknown), and a word never ends before it starts.
    static func words(from alignment: JSONValue?, audioLength: Double? = nil) -> [TimedWord]? {
        guard case .array(let characters)? = alignment?["characters"],
            case .array(let starts)? = alignment?["character_start_times_seconds"],
            case .array(let ends)? = alignment?["character_end_times_seconds"],
            characters.count == starts.count, characters.count == ends.count
        else { return nil }
        let length = min(audioLength.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil } ?? longestAudio, longestAudio)
        func time(_ value: JSONValue, otherwise fallback: Double) -> Double {
            guard let seconds = value.numberValue, seconds.isFinite else { return fallback }
            return min(max(seconds, 0), length)
        }
        var words: [TimedWord] = []
        var current = ""
        var start = 0.0
        var end = 0.0
        func flush() {
            let word = current.trimmingCharacters(in: .punctuationCharacters)
            if !word.isEmpty { words.append(TimedWord(word: word, start: start, end: max(start, end))) }
            current = ""
        }
        for index in characters.indices {
            let character = characters[index].stringValue ?? ""
            if character.allSatisfy(\.isWhitespace) {
                flush()
                continue
            }
            if current.isEmpty { start = time(starts[index], otherwise: end) }
            current += character
            end = time(ends[index], otherwise: start)
        }
        flush()
        return words
    }
}

extension ElevenLabsSpeechSynthesizer: CacheScoped {
    /// The base URL and a fingerprint of the key and extra headers, for cache keys.
    package var cacheScope: String {
        makeCacheScope(baseURL: configuration.baseURL, credentials: client.authHeaders + client.extraHeaders)
    }
}
