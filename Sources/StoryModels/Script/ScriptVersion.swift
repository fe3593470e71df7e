/// One version of a ``Script``: its text, where it came from and how long it takes to say.
public struct ScriptVersion: Codable, Hashable, Sendable {
    /// What produced a version.
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        /// Written by the model from the idea.
        case generated
        /// Rewritten for the ear: no abbreviations or markdown, numbers spelled out.
        case revisedForSpeech = "revised_for_speech"
        /// Improved after scoring.
        case enhanced
    }

    /// The version's number, 1 for the first; increasing along ``Script/versions``.
    public var number: Int
    /// What produced this version.
    public var kind: Kind
    /// The number of the version this one was derived from; `nil` for the generated one.
    public var source: Int?
    /// The narration text.
    public var text: String
    /// The number of words (for Chinese and Japanese, of characters); see ``SpeakingRate``.
    public var wordCount: Int
    /// The estimated spoken duration in seconds at the language's ``SpeakingRate``.
    public var estimatedDuration: Double
    /// The score given to this version, if it was scored.
    public var score: ScriptScore?

    /// Creates a version, counting its words and estimating its spoken duration for `language`.
    public init(number: Int, kind: Kind, source: Int?, text: String, language: String, score: ScriptScore? = nil) {
        self.number = number
        self.kind = kind
        self.source = source
        self.text = text
        self.wordCount = SpeakingRate.wordCount(of: text, language: language)
        self.estimatedDuration = SpeakingRate.estimatedDuration(of: text, language: language)
        self.score = score
    }
}
