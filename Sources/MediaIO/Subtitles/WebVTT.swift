import Foundation

/// WebVTT (`.vtt`) subtitles: parsing and writing.
public enum WebVTT {
    /// Parses WebVTT text: BOM- and CRLF-tolerant; `NOTE`, `STYLE` and `REGION` blocks skipped; cue
    /// settings ignored; tags such as `<b>` removed and `&amp;`, `&lt;`, `&gt;` decoded. A bad
    /// timing line (hours over ``SubtitleCue/maximumHours`` included) becomes an issue.
    public static func parse(_ text: String) -> SubtitleParseResult {
        let lines = SubtitleText.lines(text)
        var cues = [SubtitleCue]()
        var issues = [SubtitleIssue]()
        guard let first = lines.first, first.hasPrefix("WEBVTT") else {
            return .init(cues: [], issues: [.init(line: 1, message: "the file must start with 'WEBVTT'")])
        }
        for (blockStart, block) in SubtitleText.blocks(lines, from: 1) {
            if let head = block.first, head.hasPrefix("NOTE") || head == "STYLE" || head == "REGION" { continue }
            let timingOffset = block[0].contains("-->") ? 0 : 1
            guard timingOffset < block.count, block[timingOffset].contains("-->") else {
                issues.append(.init(line: blockStart + 1, message: "a cue without a 'start --> end' timing line"))
                continue
            }
            let lineNumber = blockStart + timingOffset + 1
            guard let (start, end) = SubtitleText.timing(block[timingOffset]), end >= start else {
                issues.append(.init(line: lineNumber, message: SRT.badTiming(block[timingOffset])))
                continue
            }
            let body = block[(timingOffset + 1)...].map(unescape).joined(separator: "\n")
            cues.append(.init(start: start, end: end, text: body))
        }
        return SubtitleParseResult(cues: cues, issues: issues)
    }

    /// Writes cues as WebVTT, escaping `&`, `<` and `>`; times are clamped as ``SRT/format(_:)`` does.
    public static func format(_ cues: [SubtitleCue]) -> String {
        var out = "WEBVTT\n\n"
        for cue in cues {
            out += "\(SubtitleText.timecode(cue.start, separator: ".")) --> "
            out += "\(SubtitleText.timecode(cue.end, separator: "."))\n"
            let lines = cue.lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
            out += lines.map(escape).joined(separator: "\n")
            out += "\n\n"
        }
        return out
    }

    private static func escape(_ line: String) -> String {
        line.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "-->", with: "--&gt;")
    }

    private static func unescape(_ line: String) -> String {
        var out = ""
        var inTag = false
        for character in line {
            if character == "<" {
                inTag = true
            } else if character == ">" && inTag {
                inTag = false
            } else if !inTag {
                out.append(character)
            }
        }
        return out.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&nbsp;", with: "\u{00A0}").replacingOccurrences(of: "&amp;", with: "&")
    }
}
