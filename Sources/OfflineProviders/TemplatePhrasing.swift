import Foundation

/// The bits of English grammar the template writer's sentences need: articles, capitals, title case, ordinals.
enum TemplatePhrasing {
    /// `phrase` with "a" or "an" in front, chosen by its first sound as far as spelling tells it ("an old baker", "a
    /// unicorn", "an hour").
    static func indefinite(_ phrase: String) -> String {
        article(for: phrase) + " " + phrase
    }

    /// "a" or "an" for `phrase`.
    static func article(for phrase: String) -> String {
        let word = phrase.lowercased().prefix { $0.isLetter || $0.isNumber }
        guard let first = word.first else { return "a" }
        // Vowel letters that sound like a consonant ("a unicorn", "a one-way ticket", "a euro"), and a silent h.
        for prefix in ["uni", "use", "usu", "uti", "eu", "one", "once", "ur"] where word.hasPrefix(prefix) {
            return "a"
        }
        for prefix in ["hour", "honest", "honour", "honor", "heir"] where word.hasPrefix(prefix) { return "an" }
        if first.isNumber { return ["8", "11", "18"].contains { word.hasPrefix($0) } ? "an" : "a" }
        return "aeiou".contains(first) ? "an" : "a"
    }

    /// Whether a noun reads without an article ("serendipity", "courage", "swimming"): abstract endings.
    static func readsBare(_ word: String) -> Bool {
        ["ness", "ity", "ism", "tion", "sion", "ing", "ment", "dom", "hood", "ship", "ence", "ance", "ics", "ure"]
            .contains { word.hasSuffix($0) }
    }

    /// `text` with its first letter in upper case.
    static func capitalised(_ text: String) -> String {
        guard let first = text.first else { return text }
        return first.uppercased() + text.dropFirst()
    }

    /// Words a title keeps in lower case unless they open it.
    static let smallWords: Set<String> = [
        "a", "an", "the", "of", "in", "on", "at", "to", "and", "or", "for", "by", "with", "from", "as", "but",
    ]

    /// `text` in title case: each word capitalised but the small words, and words already holding a capital kept as
    /// written ("iPhone", "NASA").
    static func titleCased(_ text: String) -> String {
        text.split(separator: " ").enumerated().map { index, word in
            let lower = word.lowercased()
            if index > 0, smallWords.contains(lower) { return lower }
            if word.contains(where: \.isUppercase) { return String(word) }
            return capitalised(String(word))
        }
        .joined(separator: " ")
    }

    /// `text` cut to at most `limit` characters at a word boundary (whole characters, so no script is garbled).
    static func clipped(_ text: String, to limit: Int) -> String {
        guard text.count > limit else { return text }
        let cut = text.prefix(limit)
        if let space = cut.lastIndex(of: " "), cut.distance(from: cut.startIndex, to: space) >= limit / 2 {
            return String(cut[..<space]).trimmingCharacters(in: .punctuationCharacters)
        }
        return String(cut)
    }

    /// "first" ... "ninety-ninth"; a number from 100 as digits with its suffix ("100th").
    static func ordinal(_ number: Int) -> String {
        let units = [
            "", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
            "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth", "eighteenth",
            "nineteenth",
        ]
        let tensOrdinal = [
            "", "", "twentieth", "thirtieth", "fortieth", "fiftieth", "sixtieth", "seventieth",
            "eightieth", "ninetieth",
        ]
        let tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
        guard number > 0, number < 100 else { return "\(number)th" }
        if number < 20 { return units[number] }
        let ten = number / 10
        let unit = number % 10
        return unit == 0 ? tensOrdinal[ten] : tens[ten] + "-" + units[unit]
    }
}

extension TemplatePhrasing {
    /// The sentences of `text`: cut after `.`, `!` or `?` followed by white space or the end.
    static func sentences(_ text: String) -> [String] {
        var result: [String] = []
        var current = ""
        let characters = Array(text)
        for (index, character) in characters.enumerated() {
            current.append(character)
            let next = index + 1 < characters.count ? characters[index + 1] : " "
            if ".!?".contains(character), next.isWhitespace {
                let sentence = current.trimmingCharacters(in: .whitespaces)
                if !sentence.isEmpty { result.append(sentence) }
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespaces)
        if !rest.isEmpty { result.append(rest) }
        return result
    }
}
