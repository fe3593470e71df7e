import Foundation
import StoryForgeCore

/// Advanced SubStation Alpha (`.ass`) subtitles: writing (plain or word-level karaoke) and parsing.
///
/// ```swift
/// let cues = SubtitleSegmenter().segment(words)
/// try ASS.format(cues, style: .vertical1080x1920, karaoke: true).write(to: url, atomically: true, encoding: .utf8)
/// ```
public enum ASS {
    /// Writes cues as an ASS script with one style. Times are clamped to 0…``SubtitleCue/maximumTime``
    /// (NaN reads as 0), so any cue can be written.
    ///
    /// With `karaoke`, every cue that has ``SubtitleCue/words`` gets `\k` tags (centiseconds) so
    /// libass colours each word from ``ASSStyle/secondaryColour`` to ``ASSStyle/primaryColour`` as it
    /// is spoken; pauses between words are carried by the tag of the word after them. Braces and
    /// backslashes in the text are escaped so they show as typed.
    public static func format(_ cues: [SubtitleCue], style: ASSStyle = .vertical1080x1920, karaoke: Bool = false)
        -> String
    {
        var out = """
            [Script Info]
            ScriptType: v4.00+
            PlayResX: \(style.playResX)
            PlayResY: \(style.playResY)
            WrapStyle: 2
            ScaledBorderAndShadow: yes
            YCbCr Matrix: TV.709

            [V4+ Styles]
            Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, \
            Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, \
            Alignment, MarginL, MarginR, MarginV, Encoding
            \(styleLine("Default", style))

            [Events]
            Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text

            """
        for cue in cues {
            let text = karaoke && !cue.words.isEmpty ? karaokeText(cue) : escape(cue.text)
            out += "Dialogue: 0,\(SubtitleText.assTimecode(cue.start)),\(SubtitleText.assTimecode(cue.end)),"
            out += "Default,,0,0,0,,\(text)\n"
        }
        return out
    }

    /// One `Style:` line in the `[V4+ Styles]` format `format` writes.
    static func styleLine(_ name: String, _ style: ASSStyle) -> String {
        "Style: \(name),\(style.fontName.replacingOccurrences(of: ",", with: " ")),\(style.fontSize),"
            + "\(style.primaryColour),\(style.secondaryColour),\(style.outlineColour),\(style.backColour),"
            + "\(style.bold ? -1 : 0),0,0,0,100,100,0,0,1,\(style.outline),\(style.shadow),\(style.alignment),"
            + "\(style.marginL),\(style.marginR),\(style.marginV),1"
    }

    /// Parses the `[Events]` of an ASS or SSA script into cues; override tags are removed, `\N` and
    /// `\n` become line breaks and `\h` a no-break space. Malformed `Dialogue` lines become issues.
    public static func parse(_ text: String) -> SubtitleParseResult {
        let lines = SubtitleText.lines(text)
        var cues = [SubtitleCue]()
        var issues = [SubtitleIssue]()
        var inEvents = false
        var fields = ["Layer", "Start", "End", "Style", "Name", "MarginL", "MarginR", "MarginV", "Effect", "Text"]
        for (offset, line) in lines.enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("[") {
                inEvents = trimmed.lowercased() == "[events]"
                continue
            }
            guard inEvents else { continue }
            if trimmed.hasPrefix("Format:") {
                fields = trimmed.dropFirst(7).split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                continue
            }
            guard trimmed.hasPrefix("Dialogue:") else { continue }
            let values = trimmed.dropFirst(9).split(
                separator: ",", maxSplits: fields.count - 1, omittingEmptySubsequences: false)
            guard values.count == fields.count, let startIndex = fields.firstIndex(of: "Start"),
                let endIndex = fields.firstIndex(of: "End"), let textIndex = fields.firstIndex(of: "Text")
            else {
                issues.append(.init(line: offset + 1, message: "a Dialogue line with fewer fields than its Format"))
                continue
            }
            guard let start = SubtitleText.seconds(String(values[startIndex])),
                let end = SubtitleText.seconds(String(values[endIndex])), end >= start
            else {
                issues.append(
                    .init(
                        line: offset + 1,
                        message: "bad Start or End time (timecodes are h:mm:ss.cc from 0:00:00.00 to 99:59:59.99)"))
                continue
            }
            cues.append(.init(start: start, end: end, text: plainText(String(values[textIndex]))))
        }
        return SubtitleParseResult(cues: cues, issues: issues)
    }

    /// Escapes text for an ASS Dialogue line: braces would open override blocks and a backslash
    /// followed by N, n or h would become a break; a word joiner after each backslash defuses it.
    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\u{2060}").replacingOccurrences(of: "{", with: "\\{")
            .replacingOccurrences(of: "}", with: "\\}").replacingOccurrences(of: "\n", with: "\\N")
    }

    private static func karaokeText(_ cue: SubtitleCue) -> String {
        // Line breaks fall where the cue's text has them: count words per line.
        let wordsPerLine = cue.lines.map { SubtitleSegmenter.units(of: $0).count }
        var out = ""
        var cursor = cue.start
        var line = 0
        var wordInLine = 0
        for (index, word) in cue.words.enumerated() {
            let centiseconds = Int((SubtitleText.clamped(word.end - cursor) * 100).rounded())
            cursor = max(cursor, word.end)
            if index > 0 {
                if line < wordsPerLine.count, wordInLine >= wordsPerLine[line], line + 1 < wordsPerLine.count {
                    out += "\\N"
                    line += 1
                    wordInLine = 0
                } else if !SubtitleSegmenter.joinsWithoutSpace(cue.words[index - 1].word, word.word) {
                    out += " "
                }
            }
            out += "{\\k\(centiseconds)}" + escape(word.word)
            wordInLine += SubtitleSegmenter.units(of: word.word).count
        }
        return out
    }

    private static func plainText(_ text: String) -> String {
        var out = ""
        var depth = 0
        var previousBackslash = false
        for character in text {
            if depth > 0 {
                if character == "{" { depth += 1 }
                if character == "}" { depth -= 1 }
                continue
            }
            if previousBackslash {
                previousBackslash = false
                switch character {
                case "N", "n": out.append("\n")
                case "h": out.append("\u{00A0}")
                case "{", "}": out.append(character)
                case "\u{2060}": out.append("\\")
                default: out += "\\" + String(character)
                }
                continue
            }
            if character == "\\" {
                previousBackslash = true
            } else if character == "{" {
                depth += 1
            } else {
                out.append(character)
            }
        }
        if previousBackslash { out.append("\\") }
        return out
    }
}
