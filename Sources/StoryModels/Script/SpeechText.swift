import Foundation

/// Rewrites text for the ear: what a narrator reads aloud, nothing a voice would stumble on.
///
/// - Markdown (headings, emphasis, code marks, links, list bullets) is removed, keeping the words.
/// - Stage directions in `[brackets]` or `(parentheses)`, `*sighs*`-style actions and `NARRATOR:` labels are removed.
/// - For English: numbers are spelled out (`42` → "forty-two", `3.5` → "three point five", `1999` → "nineteen
///   ninety-nine", `25%` → "twenty-five percent"), and common abbreviations expanded (`Dr.` → "Doctor", `e.g.` →
///   "for example"). Other languages keep their digits, which their voices read natively.
public enum SpeechText {
    /// Returns `text` rewritten for speech in `language`.
    public static func normalize(_ text: String, language: String = "en") -> String {
        var lines: [String] = []
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            var line = rawLine.trimmingCharacters(in: .whitespaces)
            line = line.replacingOccurrences(of: #"^#{1,6}\s*"#, with: "", options: .regularExpression)
            line = line.replacingOccurrences(of: #"^([-*+•]|\d+[.)])\s+"#, with: "", options: .regularExpression)
            line = line.replacingOccurrences(of: #"^>\s*"#, with: "", options: .regularExpression)
            line = line.replacingOccurrences(
                of: #"^[A-Z][A-Z .'-]{1,30}(\([^)]*\))?:\s*"#, with: "", options: .regularExpression)
            lines.append(line)
        }
        var body = lines.joined(separator: "\n")
        body = body.replacingOccurrences(of: #"!?\[([^\]]*)\]\([^)]*\)"#, with: "$1", options: .regularExpression)
        body = body.replacingOccurrences(of: #"\[[^\]]*\]"#, with: " ", options: .regularExpression)
        body = body.replacingOccurrences(of: #"\([^)]*\)"#, with: " ", options: .regularExpression)
        // `*sighs*` at the start of a sentence is an action; `*ran*` inside one is emphasis.
        body = body.replacingOccurrences(
            of: #"(^|[.!?]\s+|\n)\*[^*\n]{1,40}\*\s*"#, with: "$1", options: .regularExpression)
        body = body.replacingOccurrences(of: #"[*_`~]+"#, with: "", options: .regularExpression)
        body = body.replacingOccurrences(of: #"https?://\S+"#, with: " ", options: .regularExpression)
        if language.lowercased().hasPrefix("en") {
            body = expandAbbreviations(body)
            body = spellNumbers(body)
        }
        body = body.replacingOccurrences(of: "&", with: " and ")
        body = body.replacingOccurrences(of: #"[ \t]+"#, with: " ", options: .regularExpression)
        body = body.replacingOccurrences(of: #" +([,.;:!?])"#, with: "$1", options: .regularExpression)
        body = body.replacingOccurrences(of: #"\n{3,}"#, with: "\n\n", options: .regularExpression)
        return body.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .joined(separator: "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static let abbreviations: [(String, String)] = [
        (#"\bDr\."#, "Doctor"), (#"\bMr\."#, "Mister"), (#"\bMrs\."#, "Missus"), (#"\bMs\."#, "Miz"),
        (#"\bProf\."#, "Professor"), (#"\bSt\.(?= [A-Z])"#, "Saint"), (#"\bMt\."#, "Mount"),
        (#"\be\.g\.,?"#, "for example"), (#"\bi\.e\.,?"#, "that is"), (#"\betc\."#, "and so on"),
        (#"\bvs\.?(?= )"#, "versus"), (#"\bapprox\."#, "approximately"), (#"\bNo\.(?= ?\d)"#, "number"),
        (#"\bkm\b"#, "kilometres"), (#"\bkg\b"#, "kilograms"), (#"\bmph\b"#, "miles per hour"),
    ]

    static func expandAbbreviations(_ text: String) -> String {
        var result = text
        for (pattern, replacement) in abbreviations {
            result = result.replacingOccurrences(of: pattern, with: replacement, options: .regularExpression)
        }
        return result
    }

    static func spellNumbers(_ text: String) -> String {
        guard
            let expression = try? NSRegularExpression(pattern: #"(\$)?(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(%| ?percent)?"#)
        else {
            return text
        }
        let source = text as NSString
        var result = ""
        var cursor = 0
        for match in expression.matches(in: text, range: NSRange(location: 0, length: source.length)) {
            result += source.substring(with: NSRange(location: cursor, length: match.range.location - cursor))
            cursor = match.range.location + match.range.length
            let dollar = match.range(at: 1).location != NSNotFound
            let integerText = source.substring(with: match.range(at: 2)).replacingOccurrences(of: ",", with: "")
            let fraction = match.range(at: 3).location != NSNotFound ? source.substring(with: match.range(at: 3)) : nil
            let percent = match.range(at: 4).location != NSNotFound
            guard let value = Int(integerText.prefix(15)) else {
                result += source.substring(with: match.range)
                continue
            }
            var spoken: String
            let grouped = source.substring(with: match.range(at: 2)).contains(",")
            if fraction == nil, !dollar, !percent, !grouped, integerText.count == 4, (1100...2099).contains(value),
                value % 100 != 0 || value < 2000
            {
                spoken = year(value)
            } else {
                spoken = words(value)
            }
            if let fraction {
                spoken += " point " + fraction.dropFirst().map { words(Int(String($0)) ?? 0) }.joined(separator: " ")
            }
            if percent { spoken += " percent" }
            if dollar { spoken += value == 1 && fraction == nil ? " dollar" : " dollars" }
            result += spoken
        }
        result += source.substring(from: cursor)
        return result
    }

    private static let ones = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    ]
    private static let tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

    /// English words for a non-negative integer (`1234` → "one thousand two hundred thirty-four").
    static func words(_ value: Int) -> String {
        if value < 20 { return ones[value] }
        if value < 100 { return tens[value / 10] + (value % 10 == 0 ? "" : "-" + ones[value % 10]) }
        if value < 1000 {
            return ones[value / 100] + " hundred" + (value % 100 == 0 ? "" : " " + words(value % 100))
        }
        for (scale, name) in [
            (1_000_000_000_000, "trillion"), (1_000_000_000, "billion"), (1_000_000, "million"), (1000, "thousand"),
        ]
        where value >= scale {
            return words(value / scale) + " " + name + (value % scale == 0 ? "" : " " + words(value % scale))
        }
        return String(value)
    }

    /// A year as people say it (`1999` → "nineteen ninety-nine", `2007` → "two thousand seven").
    static func year(_ value: Int) -> String {
        if (2000...2009).contains(value) { return words(value) }
        let century = value / 100
        let rest = value % 100
        if rest == 0 { return words(century) + " hundred" }
        return words(century) + " " + (rest < 10 ? "oh " + words(rest) : words(rest))
    }
}
