/// What a subtitle parser found: the well-formed cues and an issue for every malformed one.
public struct SubtitleParseResult: Sendable, Hashable {
    /// The cues that parsed, in file order.
    public var cues: [SubtitleCue]
    /// The malformed cues, with line numbers; empty for a clean file.
    public var issues: [SubtitleIssue]

    /// Creates a result.
    public init(cues: [SubtitleCue], issues: [SubtitleIssue]) {
        self.cues = cues
        self.issues = issues
    }

    /// The cues, or an error naming the first malformed line.
    /// - Throws: ``SubtitleError/malformed`` when there is any issue.
    public func get() throws -> [SubtitleCue] {
        if let first = issues.first {
            throw SubtitleError.malformed(
                "\(first) (\(issues.count) malformed cue(s) in all; fix the file or use `cues` to keep the good ones)",
                line: first.line)
        }
        return cues
    }
}
