public import Foundation
public import StoryForgeCore

/// Audio to transcribe.
public struct TranscriptionRequest: Sendable, Hashable {
    /// The encoded audio.
    public var audio: Data
    /// Its format (sent as the upload's file name extension).
    public var format: AudioFormat
    /// The model; `nil` for the provider's default.
    public var model: String?
    /// The spoken language (ISO 639-1), if known.
    public var language: String?
    /// Text that helps the model (names, spelling).
    public var prompt: String?
    /// Whether word timings are wanted.
    public var wantsWordTimings: Bool

    /// Creates a transcription request.
    public init(
        audio: Data,
        format: AudioFormat = .wav,
        model: String? = nil,
        language: String? = nil,
        prompt: String? = nil,
        wantsWordTimings: Bool = true
    ) {
        self.audio = audio
        self.format = format
        self.model = model
        self.language = language
        self.prompt = prompt
        self.wantsWordTimings = wantsWordTimings
    }
}

/// A stretch of transcribed speech.
public struct TranscriptSegment: Sendable, Hashable, Codable {
    /// The text.
    public var text: String
    /// Start in seconds.
    public var start: Double
    /// End in seconds.
    public var end: Double

    /// Creates a segment.
    public init(text: String, start: Double, end: Double) {
        self.text = text
        self.start = start
        self.end = end
    }
}

/// A transcript.
public struct Transcription: Sendable, Hashable {
    /// The whole text.
    public var text: String
    /// The detected or given language, when reported.
    public var language: String?
    /// The audio's duration in seconds, when reported.
    public var duration: Double?
    /// Segments with times.
    public var segments: [TranscriptSegment]
    /// Words with times, when asked for and available.
    public var words: [TimedWord]
    /// Which provider served it and how, when it came through a decorator or a router.
    public var origin: ResponseOrigin?

    /// Creates a transcript.
    public init(
        text: String,
        language: String? = nil,
        duration: Double? = nil,
        segments: [TranscriptSegment] = [],
        words: [TimedWord] = [],
        origin: ResponseOrigin? = nil
    ) {
        self.origin = origin
        self.text = text
        self.language = language
        self.duration = duration
        self.segments = segments
        self.words = words
    }
}

/// Turns speech into text.
public protocol Transcriber: Provider {
    /// Transcribes `request.audio`.
    func transcribe(_ request: TranscriptionRequest) async throws -> Transcription
}
