public import StoryForgeCore

/// The subtitles of a video: cues with their words' timings.
public struct SubtitleTrack: Codable, Hashable, Sendable {
    /// One subtitle on screen.
    public struct Cue: Codable, Hashable, Sendable {
        /// When the cue appears, in seconds.
        public var start: Double
        /// When the cue disappears, in seconds.
        public var end: Double
        /// The text shown, with line breaks as `\n`.
        public var text: String
        /// The timings of the words in the cue, for karaoke highlighting; may be empty.
        public var words: [TimedWord]

        /// Creates a cue.
        public init(start: Double, end: Double, text: String, words: [TimedWord] = []) {
            self.start = start
            self.end = end
            self.text = text
            self.words = words
        }
    }

    /// The schema version this document was written with; see ``StoryJSON/schemaVersion``.
    public var schemaVersion: Int
    /// The BCP-47 language of the text.
    public var language: String
    /// The cues in order of appearance.
    public var cues: [Cue]

    /// Creates a track written with the current ``StoryJSON/schemaVersion``.
    public init(language: String, cues: [Cue]) {
        self.schemaVersion = StoryJSON.schemaVersion
        self.language = language
        self.cues = cues
    }

    /// Every word timing of every cue, in order.
    public var words: [TimedWord] { cues.flatMap(\.words) }
}
