/// A word and when it is spoken: from a transcriber, a TTS engine or MediaIO's `ScriptAligner`, and stored in a
/// story's subtitle track.
///
/// Its JSON form is `{"word": …, "start": …, "end": …, "confidence": …}` (`confidence` only when known).
public struct TimedWord: Sendable, Hashable, Codable {
    /// The word as written or displayed, punctuation included ("Hello,").
    public var word: String
    /// When the word starts, in seconds from the start of the audio.
    public var start: Double
    /// When the word ends, in seconds.
    public var end: Double
    /// How sure the recogniser or aligner is (0...1), when it says.
    public var confidence: Double?

    /// Creates a timed word.
    public init(word: String, start: Double, end: Double, confidence: Double? = nil) {
        self.word = word
        self.start = start
        self.end = end
        self.confidence = confidence
    }

    /// Creates a timed word with no confidence.
    public init(_ word: String, start: Double, end: Double) {
        self.init(word: word, start: start, end: end)
    }

    /// `end − start`, in seconds.
    public var duration: Double { end - start }
}
