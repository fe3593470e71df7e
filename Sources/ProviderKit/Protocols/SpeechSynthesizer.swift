public import Foundation
public import StoryForgeCore

/// What to say and how.
public struct SpeechRequest: Sendable, Hashable {
    /// The text to speak.
    public var text: String
    /// The voice: a provider voice name or id; `nil` for the provider's default.
    public var voice: String?
    /// The model; `nil` for the provider's default.
    public var model: String?
    /// The audio format wanted.
    public var format: AudioFormat
    /// Speaking rate relative to normal (1.0), where the provider supports it.
    public var speed: Double?
    /// Whether word timings are wanted (they may cost a slower endpoint).
    public var wantsWordTimings: Bool
    /// The BCP 47 language of the text (`de`, `ja`), or `nil` to leave it to the provider: espeak-ng picks its voice
    /// for the language when the request names no voice, ElevenLabs' v2.5 models are told it; OpenAI's voices
    /// read any language they are given.
    public var language: String?

    /// Creates a speech request.
    public init(
        text: String,
        voice: String? = nil,
        model: String? = nil,
        format: AudioFormat = .wav,
        speed: Double? = nil,
        wantsWordTimings: Bool = true,
        language: String? = nil
    ) {
        self.language = language
        self.text = text
        self.voice = voice
        self.model = model
        self.format = format
        self.speed = speed
        self.wantsWordTimings = wantsWordTimings
    }
}

/// Synthesised speech.
public struct SynthesizedSpeech: Sendable, Hashable {
    /// The encoded audio.
    public var audio: Data
    /// Its format.
    public var format: AudioFormat
    /// Its sample rate in Hz, when known.
    public var sampleRate: Int?
    /// When each word is spoken, when the provider can tell.
    public var wordTimings: [TimedWord]?
    /// Which provider served it and how, when it came through a decorator or a router.
    public var origin: ResponseOrigin?

    /// Creates synthesised speech.
    public init(
        audio: Data,
        format: AudioFormat,
        sampleRate: Int?,
        wordTimings: [TimedWord]? = nil,
        origin: ResponseOrigin? = nil
    ) {
        self.origin = origin
        self.audio = audio
        self.format = format
        self.sampleRate = sampleRate
        self.wordTimings = wordTimings
    }
}

/// Turns text into speech.
public protocol SpeechSynthesizer: Provider {
    /// Speaks `request.text`.
    func synthesize(_ request: SpeechRequest) async throws -> SynthesizedSpeech
}
