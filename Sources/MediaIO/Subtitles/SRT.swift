import Foundation

/// SubRip (`.srt`) subtitles: parsing and writing.
///
/// ```swift
/// let cues = try SRT.parse(String(decoding: data, as: UTF8.self)).get()
/// let text = SRT.format(cues)
/// ```
public enum SRT {
    /// Parses SRT text, tolerating a BOM, CRLF line ends, missing or wrong indices and `.` as the
    /// millisecond separator. A cue with a bad timing line (hours over ``SubtitleCue/maximumHours``
    /// included) or an end before its start becomes an issue with its line number.
    public static func parse(_ text: String) -> SubtitleParseResult {
        let lines = SubtitleText.lines(text)
        var cues = [SubtitleCue]()
        var issues = [SubtitleIssue]()
        for (blockStart, block) in SubtitleText.blocks(lines) {
            var timingOffset = 0
            if block.count > 1, !block[0].contains("-->") { timingOffset = 1 }
            guard timingOffset < block.count, block[timingOffset].contains("-->") else {
                issues.append(.init(line: blockStart + 1, message: "a cue without a 'start --> end' timing line"))
                continue
            }
            let lineNumber = blockStart + timingOffset + 1
            guard let (start, end) = SubtitleText.timing(block[timingOffset]) else {
                issues.append(.init(line: lineNumber, message: Self.badTiming(block[timingOffset])))
                continue
            }
            guard end >= start else {
                issues.append(.init(line: lineNumber, message: "the cue ends before it starts"))
                continue
            }
            cues.append(.init(start: start, end: end, text: block[(timingOffset + 1)...].joined(separator: "\n")))
        }
        return SubtitleParseResult(cues: cues, issues: issues)
    }

    /// The issue for a timing line that does not parse (shared with ``WebVTT``).
    static func badTiming(_ line: String) -> String {
        "bad timing line \(SubtitleText.quoted(line)) (timecodes are [hh:]mm:ss,mmm from 00:00:00,000 to "
            + "99:59:59,999)"
    }

    /// Writes cues as SRT: numbered from 1, `hh:mm:ss,mmm`, CRLF-free UTF-8 text. Empty lines inside
    /// a cue would end it early, so they are dropped. Times are clamped to 0…``SubtitleCue/maximumTime``
    /// (NaN reads as 0), so any cue can be written.
    public static func format(_ cues: [SubtitleCue]) -> String {
        var out = ""
        for (number, cue) in cues.enumerated() {
            out += "\(number + 1)\n"
            out += "\(SubtitleText.timecode(cue.start, separator: ",")) --> "
            out += "\(SubtitleText.timecode(cue.end, separator: ","))\n"
            out += cue.lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }.joined(separator: "\n")
            out += "\n\n"
        }
        return out
    }
}
