import Foundation
public import StoryForgeCore

/// Aligns a script's words to timed words from a transcriber or TTS engine, so subtitles show the
/// script as written (spelling, punctuation, casing) at the times it was spoken.
///
/// Both sides are normalised: markdown (`**bold**`, `# headings`, `[links](url)`, list bullets),
/// URLs and tokens with no letters or digits are dropped; case, punctuation and apostrophes are
/// ignored; numbers up to 999 999 are spelled out ("42" matches "forty-two" and "forty two").
/// Tokens are matched in order; on a mismatch the aligner looks ahead up to
/// ``Configuration/lookahead`` tokens on each side for the nearest resynchronisation. Script words
/// left unmatched get times interpolated between their matched neighbours, in proportion to length.
///
/// ```swift
/// let alignment = ScriptAligner().align(script: script, to: transcript)
/// guard alignment.accuracy > 0.8 else { ... }
/// let cues = SubtitleSegmenter().segment(alignment.words)
/// ```
public struct ScriptAligner: Sendable {
    /// Tuning for the matcher.
    public struct Configuration: Sendable, Hashable {
        /// How many tokens ahead, on each side, to search after a mismatch.
        public var lookahead: Int

        /// Creates a configuration.
        public init(lookahead: Int = 6) {
            self.lookahead = lookahead
        }
    }

    /// The tuning in use.
    public var configuration: Configuration

    /// Creates an aligner.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Aligns `script` to `timed`.
    public func align(script: String, to timed: [TimedWord]) -> ScriptAlignment {
        let display = Self.displayWords(script)
        var scriptTokens = [(token: String, word: Int)]()
        for (index, word) in display.enumerated() {
            for token in Self.normalize(word) { scriptTokens.append((token, index)) }
        }
        var timedTokens = [(token: String, word: Int)]()
        for (index, word) in timed.enumerated() {
            for token in Self.normalize(word.word) { timedTokens.append((token, index)) }
        }
        var starts = [Double?](repeating: nil, count: display.count)
        var ends = [Double?](repeating: nil, count: display.count)
        var i = 0
        var j = 0
        let lookahead = max(0, configuration.lookahead)
        while i < scriptTokens.count, j < timedTokens.count {
            if Self.similar(scriptTokens[i].token, timedTokens[j].token) {
                let word = scriptTokens[i].word
                let source = timed[timedTokens[j].word]
                starts[word] = min(starts[word] ?? source.start, source.start)
                ends[word] = max(ends[word] ?? source.end, source.end)
                i += 1
                j += 1
                continue
            }
            // Nearest resynchronisation: smallest total skip (di + dj).
            var best: (Int, Int)?
            search: for total in 1...(2 * lookahead) {
                for di in 0...min(total, lookahead) {
                    let dj = total - di
                    guard dj <= lookahead, i + di < scriptTokens.count, j + dj < timedTokens.count else { continue }
                    if Self.similar(scriptTokens[i + di].token, timedTokens[j + dj].token) {
                        best = (di, dj)
                        break search
                    }
                }
            }
            if let (di, dj) = best {
                i += di
                j += dj
            } else {
                i += 1
                j += 1
            }
        }
        // A word counts as matched when any of its tokens matched.
        let matched = starts.map { $0 != nil }
        var words = [TimedWord]()
        words.reserveCapacity(display.count)
        let totalEnd = timed.map(\.end).max() ?? 0
        var index = 0
        while index < display.count {
            if let start = starts[index], let end = ends[index] {
                words.append(TimedWord(display[index], start: start, end: end))
                index += 1
                continue
            }
            // A run of misses: spread it between the previous end and the next start.
            var runEnd = index
            while runEnd < display.count, starts[runEnd] == nil { runEnd += 1 }
            let from = words.last?.end ?? 0
            let to = runEnd < display.count ? starts[runEnd]! : max(totalEnd, from)
            let lengths = display[index..<runEnd].map { Double(max(1, $0.count)) }
            let total = lengths.reduce(0, +)
            var cursor = from
            for (offset, length) in lengths.enumerated() {
                let span = max(0, to - from) * length / total
                words.append(TimedWord(display[index + offset], start: cursor, end: cursor + span))
                cursor += span
            }
            index = runEnd
        }
        return ScriptAlignment(words: words, matched: matched)
    }

    /// The script's words as displayed: markdown, URLs and unspoken tokens removed.
    static func displayWords(_ script: String) -> [String] {
        var text = script
        // [label](url) → label
        text = text.replacingOccurrences(of: #"\[([^\]]*)\]\([^)]*\)"#, with: "$1", options: .regularExpression)
        text = text.replacingOccurrences(
            of: #"(?m)^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+"#, with: "", options: .regularExpression)
        text = text.replacingOccurrences(of: #"https?://\S+"#, with: "", options: .regularExpression)
        text = text.replacingOccurrences(of: #"[*_`~]+"#, with: "", options: .regularExpression)
        return text.split(whereSeparator: \.isWhitespace).map(String.init).filter {
            $0.contains { $0.isLetter || $0.isNumber }
        }
    }

    /// Lower-case tokens of a word: punctuation removed, hyphens split, numbers spelled out.
    static func normalize(_ word: String) -> [String] {
        let lowered = word.lowercased().replacingOccurrences(of: "’", with: "'")
        var tokens = [String]()
        for part in lowered.split(whereSeparator: { $0 == "-" || $0 == "–" || $0 == "—" || $0 == "/" }) {
            let cleaned = String(part.filter { $0.isLetter || $0.isNumber })
            guard !cleaned.isEmpty else { continue }
            if cleaned.allSatisfy(\.isASCII), cleaned.allSatisfy(\.isNumber), let number = Int(cleaned.prefix(7)),
                number < 1_000_000
            {
                tokens += spelled(number)
            } else if cleaned.allSatisfy({ $0.isASCII && $0.isNumber }) {
                tokens.append(cleaned)
            } else {
                tokens.append(cleaned)
            }
        }
        return tokens
    }

    static func similar(_ a: String, _ b: String) -> Bool {
        if a == b { return true }
        guard a.count >= 4, b.count >= 4, abs(a.count - b.count) <= 1 else { return false }
        return editDistanceAtMostOne(Array(a), Array(b))
    }

    private static func editDistanceAtMostOne(_ a: [Character], _ b: [Character]) -> Bool {
        var i = 0
        var j = 0
        var edits = 0
        while i < a.count, j < b.count {
            if a[i] == b[j] {
                i += 1
                j += 1
                continue
            }
            edits += 1
            if edits > 1 { return false }
            if a.count > b.count {
                i += 1
            } else if b.count > a.count {
                j += 1
            } else {
                i += 1
                j += 1
            }
        }
        return edits + (a.count - i) + (b.count - j) <= 1
    }

    private static let ones = [
        "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
        "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen",
    ]
    private static let tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]

    static func spelled(_ number: Int) -> [String] {
        if number < 20 { return [ones[number]] }
        if number < 100 { return [tens[number / 10]] + (number % 10 == 0 ? [] : [ones[number % 10]]) }
        if number < 1000 {
            return [ones[number / 100], "hundred"] + (number % 100 == 0 ? [] : spelled(number % 100))
        }
        return spelled(number / 1000) + ["thousand"] + (number % 1000 == 0 ? [] : spelled(number % 1000))
    }
}
