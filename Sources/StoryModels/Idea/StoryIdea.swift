/// A story idea: what the video is about, for whom, and how likely it is to travel.
public struct StoryIdea: Codable, Hashable, Sendable, Identifiable {
    /// The schema version this document was written with; see ``StoryJSON/schemaVersion``.
    public var schemaVersion: Int
    /// A stable identifier, e.g. a UUID string.
    public var id: String
    /// The working title.
    public var title: String
    /// The story in one sentence.
    public var logline: String
    /// The tone, e.g. "eerie", "uplifting".
    public var tone: String
    /// The theme, e.g. "loss and renewal".
    public var theme: String
    /// Who tells the story, e.g. "first person, an old lighthouse keeper".
    public var narrator: String
    /// The intended audience, e.g. "teens who like mysteries".
    public var targetAudience: String
    /// The BCP-47 language of the narration, e.g. "en" or "pt-BR".
    public var language: String
    /// Scores of how well the idea may spread, per platform, region, age group and gender.
    public var viralPotential: ViralPotential
    /// Alternative titles, each scored 0–100.
    public var titleSuggestions: [ScoredSuggestion]
    /// Tags or hashtags (without `#`), each scored 0–100.
    public var tagSuggestions: [ScoredSuggestion]

    /// Creates an idea written with the current ``StoryJSON/schemaVersion``.
    public init(
        id: String,
        title: String,
        logline: String,
        tone: String,
        theme: String,
        narrator: String,
        targetAudience: String,
        language: String,
        viralPotential: ViralPotential = .init(),
        titleSuggestions: [ScoredSuggestion] = [],
        tagSuggestions: [ScoredSuggestion] = []
    ) {
        self.schemaVersion = StoryJSON.schemaVersion
        self.id = id
        self.title = title
        self.logline = logline
        self.tone = tone
        self.theme = theme
        self.narrator = narrator
        self.targetAudience = targetAudience
        self.language = language
        self.viralPotential = viralPotential
        self.titleSuggestions = titleSuggestions
        self.tagSuggestions = tagSuggestions
    }

    /// The suggested titles, best first (ties keep their order).
    public var rankedTitles: [ScoredSuggestion] { ScoredSuggestion.ranked(titleSuggestions) }

    /// The suggested tags, best first (ties keep their order).
    public var rankedTags: [ScoredSuggestion] { ScoredSuggestion.ranked(tagSuggestions) }
}
