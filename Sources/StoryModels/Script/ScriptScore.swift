/// A critic's 0–100 scores for a script version, with written feedback.
public struct ScriptScore: Codable, Hashable, Sendable {
    /// How strongly the first seconds hold a viewer.
    public var hook: Double
    /// Whether the story has a clear beginning, turn and end.
    public var structure: Double
    /// How easy it is to follow when heard once.
    public var clarity: Double
    /// How much it moves the listener.
    public var emotionalImpact: Double
    /// How well it suits being read aloud by a synthetic voice.
    public var voiceSuitability: Double
    /// The critic's overall score.
    public var overall: Double
    /// What to improve, in the critic's words.
    public var feedback: String

    /// Creates a score.
    public init(
        hook: Double,
        structure: Double,
        clarity: Double,
        emotionalImpact: Double,
        voiceSuitability: Double,
        overall: Double,
        feedback: String
    ) {
        self.hook = hook
        self.structure = structure
        self.clarity = clarity
        self.emotionalImpact = emotionalImpact
        self.voiceSuitability = voiceSuitability
        self.overall = overall
        self.feedback = feedback
    }
}
