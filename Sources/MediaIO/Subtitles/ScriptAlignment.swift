public import StoryForgeCore

/// The script's words with times, and how many of them were heard.
public struct ScriptAlignment: Sendable, Hashable {
    /// Every spoken word of the script, as written (punctuation kept, markdown removed), with a time:
    /// matched words take the transcriber's times, missed ones are interpolated between neighbours.
    public var words: [TimedWord]
    /// For each entry of ``words``, whether it was matched (true) or interpolated (false).
    public var matched: [Bool]

    /// Creates an alignment.
    public init(words: [TimedWord], matched: [Bool]) {
        self.words = words
        self.matched = matched
    }

    /// The share of script words matched to a timed word, 0...1 (1 for an empty script).
    public var accuracy: Double {
        matched.isEmpty ? 1 : Double(matched.filter { $0 }.count) / Double(matched.count)
    }
}
