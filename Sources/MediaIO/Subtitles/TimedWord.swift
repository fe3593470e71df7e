/// A word with the time it is spoken, from a transcriber, a TTS engine or ``ScriptAligner``.
public struct TimedWord: Sendable, Hashable, Codable {
    /// The word as displayed, punctuation included ("Hello,").
    public var text: String
    /// When the word starts, in seconds from the start of the audio.
    public var start: Double
    /// When the word ends, in seconds.
    public var end: Double

    /// Creates a timed word.
    public init(_ text: String, start: Double, end: Double) {
        self.text = text
        self.start = start
        self.end = end
    }
}
