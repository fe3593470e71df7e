/// A suggested title or tag with a 0–100 score.
public struct ScoredSuggestion: Codable, Hashable, Sendable {
    /// The suggested text.
    public var text: String
    /// How good the suggestion is, 0–100 (higher is better).
    public var score: Double

    /// Creates a suggestion.
    public init(text: String, score: Double) {
        self.text = text
        self.score = score
    }

    /// The suggestions sorted by descending score; equal scores keep their original order.
    public static func ranked(_ suggestions: [Self]) -> [Self] {
        suggestions.enumerated()
            .sorted { lhs, rhs in
                lhs.element.score != rhs.element.score ? lhs.element.score > rhs.element.score : lhs.offset < rhs.offset
            }
            .map(\.element)
    }
}
