import Foundation

/// The words a media search matches on: lower-case, stop words and short words dropped, plurals folded (`waves` →
/// `wave`, `cities` → `city`), so that a file named `ocean-waves.jpg` matches a shot about "a wave on the ocean".
public enum MediaKeywords {
    /// The distinct keywords of `text` in order of first appearance.
    public static func keywords(in text: String) -> [String] {
        var seen: Set<String> = []
        var result: [String] = []
        for word in words(in: text) where seen.insert(word).inserted {
            result.append(word)
        }
        return result
    }

    /// The keywords of several texts, the first text's first.
    public static func keywords(in texts: [String]) -> [String] {
        keywords(in: texts.joined(separator: " "))
    }

    /// Every keyword of `text` with repeats, in order.
    static func words(in text: String) -> [String] {
        text.lowercased().split { !($0.isLetter || $0.isNumber) }.compactMap { token -> String? in
            let word = String(token)
            guard word.count >= 3, !stopWords.contains(word), !word.allSatisfy(\.isNumber) else { return nil }
            return folded(word)
        }
    }

    /// A crude English plural fold: enough for tags and prompts, never a dictionary.
    static func folded(_ word: String) -> String {
        if word.count > 4, word.hasSuffix("ies") { return String(word.dropLast(3)) + "y" }
        if word.count > 4, word.hasSuffix("ches") || word.hasSuffix("shes") || word.hasSuffix("xes") {
            return String(word.dropLast(2))
        }
        if word.count > 3, word.hasSuffix("s"), !word.hasSuffix("ss"), !word.hasSuffix("us"), !word.hasSuffix("is") {
            return String(word.dropLast())
        }
        return word
    }

    /// Words that say nothing about a picture: articles, pronouns, common verbs, and the words every keyframe prompt
    /// shares (`cinematic`, `mood`, `still`, `shot`).
    static let stopWords: Set<String> = [
        "the", "and", "for", "with", "that", "this", "from", "into", "onto", "over", "under", "his", "her", "its",
        "their", "they", "them", "she", "him", "you", "your", "our", "are", "was", "were", "been", "being", "has",
        "have", "had", "not", "but", "all", "any", "one", "two", "who", "what", "when", "where", "which", "while",
        "then", "than", "there", "here", "out", "off", "about", "after", "before", "again", "very", "just", "only",
        "also", "each", "every", "some", "such", "more", "most", "other", "through", "between", "upon", "across",
        "does", "did", "will", "would", "could", "should", "can", "may", "might", "must", "shall", "said", "says",
        "mood", "shot", "scene", "cinematic", "still", "soft", "light", "rich", "colour", "color", "shallow", "depth",
        "field", "consistent", "character", "vertical", "horizontal", "square", "frame", "image", "picture", "photo",
        "close", "wide", "view", "camera", "jpg", "jpeg", "png", "mp4", "mov", "webm", "img", "dsc",
    ]
}
