public import StoryForgeCore

/// One subtitle: text shown from ``start`` to ``end``.
public struct SubtitleCue: Sendable, Hashable, Codable {
    /// When the cue appears, in seconds.
    public var start: Double
    /// When the cue disappears, in seconds.
    public var end: Double
    /// The text, lines separated by `\n`.
    public var text: String
    /// The words with their timings, when known (``SubtitleSegmenter`` fills them; karaoke ASS uses them).
    public var words: [TimedWord]

    /// Creates a cue.
    public init(start: Double, end: Double, text: String, words: [TimedWord] = []) {
        self.start = start
        self.end = end
        self.text = text
        self.words = words
    }

    /// The lines of the text.
    public var lines: [String] { text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    /// How long the cue is shown, in seconds.
    public var duration: Double { end - start }

    /// The most hours a timecode may have when parsed: 99, the two digits SRT and WebVTT write
    /// (4 days and a bit; longer than any video subtitles are made for).
    public static let maximumHours = 99

    /// The latest time subtitle files are read and written with: 99:59:59.999 in seconds. A later
    /// timecode is an issue when parsing; a later (or NaN or negative) time is clamped when writing.
    public static let maximumTime: Double = 359_999.999
}
