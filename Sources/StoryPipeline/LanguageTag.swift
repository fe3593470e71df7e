import Foundation

/// Checks and names BCP 47 language tags (RFC 5646) for the configuration's `story.language` and the prompts.
public enum LanguageTag {
    /// Whether `tag` is a well-formed BCP 47 tag in the shape stories use: a 2–3 letter language (`en`, `yue`),
    /// then optionally a 4-letter script (`Hant`), a region (`DE`, `419`) and variants (`1996`, `valencia`), separated
    /// by `-` (or `_`, which POSIX locales use). Private-use and extension subtags are not accepted.
    public static func isWellFormed(_ tag: String) -> Bool {
        let subtags = tag.split(omittingEmptySubsequences: false) { $0 == "-" || $0 == "_" }.map(String.init)
        guard let language = subtags.first, (2...3).contains(language.count), language.allSatisfy(isLetter) else {
            return false
        }
        var index = 1
        if index < subtags.count, subtags[index].count == 4, subtags[index].allSatisfy(isLetter) { index += 1 }
        if index < subtags.count {
            let region = subtags[index]
            if (region.count == 2 && region.allSatisfy(isLetter)) || (region.count == 3 && region.allSatisfy(isDigit)) {
                index += 1
            }
        }
        while index < subtags.count {
            let variant = subtags[index]
            let alphanumeric = variant.allSatisfy { isLetter($0) || isDigit($0) }
            let long = (5...8).contains(variant.count)
            let short = variant.count == 4 && variant.first.map(isDigit) == true
            guard alphanumeric, long || short else { return false }
            index += 1
        }
        return true
    }

    /// The message for a tag that is not well formed.
    static func expectation(_ tag: String) -> String {
        "must be a BCP 47 language tag such as en, de, es-419 or ja, got \"\(tag.prefix(40))\""
    }

    /// The primary language subtag, lowercased: `pt` for `pt-BR`.
    public static func primary(_ tag: String) -> String {
        String(tag.lowercased().split { $0 == "-" || $0 == "_" }.first ?? "")
    }

    /// The language's English name for a prompt (`German`), from Foundation's locale data; the tag itself when
    /// it has none.
    public static func englishName(_ tag: String) -> String {
        Locale(identifier: "en").localizedString(forLanguageCode: primary(tag)) ?? tag
    }

    /// How a prompt names the language: the tag for English (the prompts' wording since the first release), else
    /// the English name and the tag, `German (de)`, which models follow more reliably than a bare code.
    static func promptName(_ tag: String) -> String {
        primary(tag) == "en" ? tag : "\(englishName(tag)) (\(tag))"
    }

    /// `, its language (German)` for a revision prompt; empty for English, whose prompt has always left it implicit.
    static func keepLanguageClause(_ tag: String) -> String {
        primary(tag) == "en" ? "" : ", its language (\(promptName(tag)))"
    }

    private static func isLetter(_ character: Character) -> Bool { character.isASCII && character.isLetter }
    private static func isDigit(_ character: Character) -> Bool { character.isASCII && character.isNumber }
}
