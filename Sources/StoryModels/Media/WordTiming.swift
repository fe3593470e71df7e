/// When one word of the narration is spoken.
public struct WordTiming: Codable, Hashable, Sendable {
    /// The word as written in the script.
    public var word: String
    /// When the word starts, in seconds from the start of the voice.
    public var start: Double
    /// When the word ends, in seconds.
    public var end: Double
    /// The recogniser's or aligner's confidence, 0–1, when it gives one.
    public var confidence: Double?

    /// Creates a word timing.
    public init(word: String, start: Double, end: Double, confidence: Double? = nil) {
        self.word = word
        self.start = start
        self.end = end
        self.confidence = confidence
    }

    /// `end − start`, in seconds.
    public var duration: Double { end - start }
}
