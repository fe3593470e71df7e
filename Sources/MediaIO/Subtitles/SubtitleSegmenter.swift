import Foundation
public import StoryForgeCore

/// Groups word timings into subtitle cues that read well.
///
/// A cue holds at most ``Configuration/maxLines`` lines of at most
/// ``Configuration/maxCharactersPerLine`` characters (42: the Netflix and BBC line limit), lasts
/// between ``Configuration/minDuration`` and ``Configuration/maxDuration``, and breaks after
/// sentence punctuation, at pauses, and (once a cue is past one line) after commas. Cues never
/// overlap: a cue stretched to its minimum duration stops where the next one starts, and, given the
/// voice's duration, no cue ends after the voice does. Lines are balanced. CJK text (Han, kana)
/// wraps between characters instead of at spaces.
///
/// ```swift
/// let cues = SubtitleSegmenter().segment(words, voiceDuration: voice.duration)
/// let srt = SRT.format(cues)
/// ```
public struct SubtitleSegmenter: Sendable {
    /// Limits for cues.
    public struct Configuration: Sendable, Hashable {
        /// Characters per line. 42: the Netflix/BBC limit for Latin scripts.
        public var maxCharactersPerLine: Int
        /// Lines per cue.
        public var maxLines: Int
        /// Shortest time a cue stays up, seconds (5/6 s: Netflix's minimum).
        public var minDuration: Double
        /// Longest time a cue stays up, seconds (7 s: Netflix's maximum).
        public var maxDuration: Double
        /// A silence at least this long between words ends a cue, seconds.
        public var pauseThreshold: Double

        /// Creates a configuration; the defaults follow common broadcast guidelines.
        public init(
            maxCharactersPerLine: Int = 42, maxLines: Int = 2, minDuration: Double = 5.0 / 6.0,
            maxDuration: Double = 7, pauseThreshold: Double = 0.6
        ) {
            self.maxCharactersPerLine = maxCharactersPerLine
            self.maxLines = maxLines
            self.minDuration = minDuration
            self.maxDuration = maxDuration
            self.pauseThreshold = pauseThreshold
        }
    }

    /// The limits in use.
    public var configuration: Configuration

    /// Creates a segmenter.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Splits words into cues. Words are taken in time order; empty words are skipped; a word longer
    /// than a line is split between characters.
    ///
    /// Word times come from transcribers and TTS engines, so they are not trusted: a word whose
    /// start or end is not finite is skipped, negative times read as 0, and with `voiceDuration`
    /// every time is clamped to the voice: words that start at or after its end are dropped (there
    /// is no time left to show them) and no cue ends after it, even one stretched to
    /// ``Configuration/minDuration``.
    ///
    /// - Parameters:
    ///   - words: the timed words, in any order.
    ///   - voiceDuration: the length of the audio the words are spoken in, in seconds, or `nil`
    ///     (or a NaN or infinite value) for no limit.
    public func segment(_ words: [TimedWord], voiceDuration: Double? = nil) -> [SubtitleCue] {
        let limit = max(1, configuration.maxCharactersPerLine)
        let maxLines = max(1, configuration.maxLines)
        let voiceEnd = voiceDuration.flatMap { $0.isFinite ? max($0, 0) : nil } ?? .infinity
        var pieces = [TimedWord]()
        let usable = words.compactMap { word -> TimedWord? in
            guard word.start.isFinite, word.end.isFinite else { return nil }
            let start = max(word.start, 0)
            guard start < voiceEnd else { return nil }
            return TimedWord(word.word, start: start, end: min(max(word.end, start), voiceEnd))
        }
        for word in usable.sorted(by: { $0.start < $1.start }) {
            let text = word.word.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !text.isEmpty else { continue }
            let end = word.end
            if text.count <= limit {
                pieces.append(TimedWord(text, start: word.start, end: end))
            } else {
                // Split an over-long word evenly in time.
                let characters = Array(text)
                let chunks = stride(from: 0, to: characters.count, by: limit).map {
                    String(characters[$0..<min($0 + limit, characters.count)])
                }
                let step = (end - word.start) / Double(chunks.count)
                for (index, chunk) in chunks.enumerated() {
                    let start = word.start + Double(index) * step
                    pieces.append(TimedWord(chunk, start: start, end: min(start + step, end)))
                }
            }
        }
        var groups = [[TimedWord]]()
        var current = [TimedWord]()
        for word in pieces {
            if let last = current.last {
                let candidate = current + [word]
                let duration = word.end - current[0].start
                let gap = word.start - last.end
                let elapsed = last.end - current[0].start
                let fits = Self.wrap(candidate.map(\.word), limit: limit).count <= maxLines
                let sentenceEnd = Self.endsSentence(last.word) && elapsed >= configuration.minDuration
                let clauseEnd =
                    Self.endsClause(last.word) && Self.width(current.map(\.word)) > limit / 2
                    && elapsed >= configuration.minDuration
                if !fits || duration > configuration.maxDuration || gap >= configuration.pauseThreshold
                    || sentenceEnd || clauseEnd
                {
                    groups.append(current)
                    current = []
                }
            }
            current.append(word)
        }
        if !current.isEmpty { groups.append(current) }

        var cues = [SubtitleCue]()
        for (index, group) in groups.enumerated() {
            let start = max(group[0].start, cues.last?.end ?? 0)
            var end = max(group.last!.end, start)
            end = max(end, start + configuration.minDuration)
            end = min(end, start + configuration.maxDuration)
            if index + 1 < groups.count { end = min(end, max(start, groups[index + 1][0].start)) }
            // The minimum duration must not carry the last cue past the voice (start < voiceEnd);
            // a negative maxDuration must not end a cue before it starts.
            end = max(min(end, voiceEnd), start)
            let lines = Self.wrap(group.map(\.word), limit: limit)
            cues.append(SubtitleCue(start: start, end: end, text: lines.joined(separator: "\n"), words: group))
        }
        return cues
    }

    /// Wraps words into the fewest lines of at most `limit` characters, balancing line lengths.
    static func wrap(_ words: [String], limit: Int) -> [String] {
        let units = words.flatMap { Self.units(of: $0) }
        guard !units.isEmpty else { return [] }
        // Greedy line count first, then balance by trying every split for two-line cues.
        var lines = [[String]]()
        var line = [String]()
        for unit in units {
            if !line.isEmpty, width(line + [unit]) > limit {
                lines.append(line)
                line = []
            }
            line.append(unit)
        }
        lines.append(line)
        if lines.count == 2 {
            var best = lines
            var bestWidth = max(width(lines[0]), width(lines[1]))
            for split in 1..<units.count {
                let first = Array(units[..<split])
                let second = Array(units[split...])
                let widest = max(width(first), width(second))
                // Prefer a break after punctuation when it costs at most a few characters of balance.
                let bonus = endsClause(first.last ?? "") ? 4 : 0
                if widest <= limit, widest - bonus < bestWidth {
                    best = [first, second]
                    bestWidth = widest - bonus
                }
            }
            lines = best
        }
        return lines.map(join)
    }

    /// The units a line may break between: words, or single characters of CJK text.
    static func units(of text: String) -> [String] {
        var units = [String]()
        for word in text.split(whereSeparator: { $0 == " " || $0 == "\n" }) {
            if word.contains(where: isCJK) {
                // Keep Latin runs inside CJK text together; break around every CJK character.
                var run = ""
                for character in word {
                    if isCJK(character) || isClosingPunctuation(character) {
                        if !run.isEmpty, !isClosingPunctuation(character) {
                            units.append(run)
                            run = ""
                        }
                        if isClosingPunctuation(character), !units.isEmpty, run.isEmpty {
                            units[units.count - 1].append(character)  // no line starts with 。or ，
                        } else if isClosingPunctuation(character) {
                            run.append(character)
                        } else {
                            units.append(String(character))
                        }
                    } else {
                        run.append(character)
                    }
                }
                if !run.isEmpty { units.append(run) }
            } else {
                units.append(String(word))
            }
        }
        return units
    }

    /// Whether two adjacent units are written without a space (either side is CJK).
    static func joinsWithoutSpace(_ left: String, _ right: String) -> Bool {
        (left.last.map(isCJK) ?? false) || (right.first.map(isCJK) ?? false)
            || (right.first.map(isClosingPunctuation) ?? false)
    }

    static func join(_ units: [String]) -> String {
        var out = ""
        for (index, unit) in units.enumerated() {
            if index > 0, !joinsWithoutSpace(units[index - 1], unit) { out += " " }
            out += unit
        }
        return out
    }

    static func width(_ units: [String]) -> Int { join(units.flatMap { Self.units(of: $0) }).count }

    static func isCJK(_ character: Character) -> Bool {
        guard let scalar = character.unicodeScalars.first?.value else { return false }
        return (0x3040...0x30FF).contains(scalar) || (0x3400...0x4DBF).contains(scalar)
            || (0x4E00...0x9FFF).contains(scalar) || (0xF900...0xFAFF).contains(scalar)
            || (0x20000...0x2FA1F).contains(scalar)
    }

    static func isClosingPunctuation(_ character: Character) -> Bool {
        "。、，．！？：；」』）】〉》…".contains(character)
    }

    static func endsSentence(_ word: String) -> Bool {
        guard let last = word.trimmingCharacters(in: CharacterSet(charactersIn: "\"')”’»」』")).last else {
            return false
        }
        return ".!?。！？…".contains(last)
    }

    static func endsClause(_ word: String) -> Bool {
        guard let last = word.last else { return false }
        return ",;:—–、，；：".contains(last) || endsSentence(word)
    }
}
