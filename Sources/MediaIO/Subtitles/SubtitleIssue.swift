/// A malformed cue found while parsing subtitles: where it is and what is wrong.
public struct SubtitleIssue: Sendable, Hashable, CustomStringConvertible {
    /// The 1-based line number in the source text.
    public var line: Int
    /// What is wrong, e.g. "bad timecode '00:00:01.5x'".
    public var message: String

    /// Creates an issue.
    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    /// `line N: message`.
    public var description: String { "line \(line): \(message)" }
}
