import Foundation

/// The one sentence splitter of the script-side code: ``HeuristicScriptScorer`` splits Western text with it, the
/// pipeline's output caps and shot planner split Chinese and Japanese too.
package enum Sentences {
    /// The full-width sentence ends of Chinese and Japanese (`。`, `！`, `？`, `．`), which no space follows.
    package static let fullWidthEnds: Set<Character> = ["。", "！", "？", "．"]

    /// Whether `character` ends a sentence when followed by `next` (`nil`: the end of the text): `.`, `!` or `?`
    /// followed by white space or the end, and, when `fullWidth` is set, any of ``fullWidthEnds``.
    package static func ends(_ character: Character, next: Character?, fullWidth: Bool) -> Bool {
        if fullWidth, fullWidthEnds.contains(character) { return true }
        return ".!?".contains(character) && (next?.isWhitespace ?? true)
    }

    /// The sentences of `text`, trimmed, empty ones dropped; the text after the last sentence end is the last one.
    package static func split(_ text: String, fullWidth: Bool) -> [String] {
        var result: [String] = []
        var current = ""
        let characters = Array(text)
        for (index, character) in characters.enumerated() {
            current.append(character)
            if ends(character, next: index + 1 < characters.count ? characters[index + 1] : nil, fullWidth: fullWidth) {
                let trimmed = current.trimmingCharacters(in: .whitespacesAndNewlines)
                if !trimmed.isEmpty { result.append(trimmed) }
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { result.append(rest) }
        return result
    }
}
