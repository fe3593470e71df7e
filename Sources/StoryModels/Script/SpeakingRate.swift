/// Speaking rates by language, used to estimate how long a script takes to say.
///
/// | Language | Rate (per minute) |
/// |---|---|
/// | en, fr, it, pt | 150 words |
/// | es | 160 words |
/// | de, nl | 130 words |
/// | ru, pl | 120 words |
/// | zh | 240 characters |
/// | ja | 300 characters |
/// | anything else | 150 words (``defaultWordsPerMinute``) |
///
/// These are typical narration rates for calm storytelling, slower than conversation; languages
/// with longer words are read at fewer words per minute. Chinese and Japanese are written without
/// spaces, so their "words" are counted as non-space, non-punctuation characters.
public enum SpeakingRate {
    /// The rate for languages not in the table.
    public static let defaultWordsPerMinute = 150.0

    /// Rates by primary language subtag.
    public static let wordsPerMinuteByLanguage: [String: Double] = [
        "en": 150, "fr": 150, "it": 150, "pt": 150, "es": 160, "de": 130, "nl": 130, "ru": 120, "pl": 120,
        "zh": 240, "ja": 300,
    ]

    /// Languages whose text is counted by character.
    static let countedByCharacter: Set<String> = ["zh", "ja"]

    /// The primary subtag of a BCP-47 tag, lowercased: `pt-BR` → `pt`.
    static func primaryLanguage(_ language: String) -> String {
        String(language.lowercased().split(whereSeparator: { $0 == "-" || $0 == "_" }).first ?? "")
    }

    /// Whether `language` (a BCP-47 tag) is counted by character rather than by word (Chinese, Japanese).
    public static func countsCharacters(for language: String) -> Bool {
        countedByCharacter.contains(primaryLanguage(language))
    }

    /// The rate for `language` (a BCP-47 tag), or ``defaultWordsPerMinute``.
    public static func wordsPerMinute(for language: String) -> Double {
        wordsPerMinuteByLanguage[primaryLanguage(language)] ?? defaultWordsPerMinute
    }

    /// Words in `text`: whitespace-separated tokens with at least one letter or digit, or for
    /// Chinese and Japanese the letters and digits themselves.
    public static func wordCount(of text: String, language: String) -> Int {
        if countedByCharacter.contains(primaryLanguage(language)) {
            return text.filter { $0.isLetter || $0.isNumber }.count
        }
        return text.split(whereSeparator: \.isWhitespace).filter { $0.contains { $0.isLetter || $0.isNumber } }.count
    }

    /// Seconds needed to say `text` at the rate for `language`.
    public static func estimatedDuration(of text: String, language: String) -> Double {
        Double(wordCount(of: text, language: language)) * 60 / wordsPerMinute(for: language)
    }
}
