import Foundation

/// Helpers shared by the subtitle formats: line normalisation and timecodes.
enum SubtitleText {
    /// Lines of a text with a BOM removed and CRLF or CR line ends turned into LF.
    static func lines(_ text: String) -> [String] {
        var text = text
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        text = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
        return text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// The blank-line-separated blocks of `lines` from index `start` on, each with the index of
    /// its first line (for issue line numbers). Lines of only spaces count as blank.
    static func blocks(_ lines: [String], from start: Int = 0) -> [(firstLine: Int, lines: [String])] {
        var blocks = [(firstLine: Int, lines: [String])]()
        var index = start
        while index < lines.count {
            if lines[index].trimmingCharacters(in: .whitespaces).isEmpty {
                index += 1
                continue
            }
            let first = index
            var block = [String]()
            while index < lines.count, !lines[index].trimmingCharacters(in: .whitespaces).isEmpty {
                block.append(lines[index])
                index += 1
            }
            blocks.append((first, block))
        }
        return blocks
    }

    /// Parses `[hh:]mm:ss[.,]fff` (SRT, WebVTT) or `h:mm:ss.cc` (ASS) into seconds; `nil` for
    /// anything else, including hours over ``SubtitleCue/maximumHours`` (every field is ASCII digits,
    /// read with a bound, so no number in the file can overflow).
    static func seconds(_ text: String) -> Double? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        let secondsPart = parts.last!.replacingOccurrences(of: ",", with: ".")
        let pieces = secondsPart.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count <= 2, pieces[0].count == 2, let whole = digits(pieces[0], max: 59) else { return nil }
        var fraction = 0.0
        if pieces.count == 2 {
            // Up to 9 digits (nanoseconds), far finer than any subtitle needs.
            guard (1...9).contains(pieces[1].count), let value = digits(pieces[1], max: 999_999_999) else { return nil }
            fraction = Double(value) / pow(10, Double(pieces[1].count))
        }
        guard let minutes = digits(parts[parts.count - 2], max: 59) else { return nil }
        var hours = 0
        if parts.count == 3 {
            guard let value = digits(parts[0], max: SubtitleCue.maximumHours) else { return nil }
            hours = value
        }
        // 99:59:59.9999… is past the maximum by less than a millisecond: clamped to it.
        return min(Double(hours * 3600 + minutes * 60 + whole) + fraction, SubtitleCue.maximumTime)
    }

    /// The value of a field of ASCII digits (leading zeros allowed), or `nil` when it is empty, has
    /// anything else (a sign, a space) or is over `max`; stops reading as soon as it is over.
    static func digits(_ field: some StringProtocol, max: Int) -> Int? {
        guard !field.isEmpty else { return nil }
        var value = 0
        for byte in field.utf8 {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
            guard value <= max else { return nil }
        }
        return value
    }

    /// `seconds` as a time a file can hold: NaN and negative times read as 0, times past
    /// ``SubtitleCue/maximumTime`` as that time.
    static func clamped(_ seconds: Double) -> Double {
        seconds.isNaN ? 0 : min(max(seconds, 0), SubtitleCue.maximumTime)
    }

    /// `hh:mm:ss<separator>fff`, rounded to the millisecond; clamped like ``clamped(_:)``.
    static func timecode(_ seconds: Double, separator: Character) -> String {
        let total = Int((clamped(seconds) * 1000).rounded())
        let (h, m, s, ms) = (total / 3_600_000, total / 60_000 % 60, total / 1000 % 60, total % 1000)
        return String(format: "%02d:%02d:%02d%@%03d", h, m, s, String(separator), ms)
    }

    /// `h:mm:ss.cc`, the ASS form, rounded to the centisecond; clamped like ``clamped(_:)``.
    static func assTimecode(_ seconds: Double) -> String {
        // 35,999,999 cs is 99:59:59.99: the maximum time would round up to an hour 100.
        let total = min(Int((clamped(seconds) * 100).rounded()), 35_999_999)
        return String(format: "%d:%02d:%02d.%02d", total / 360_000, total / 6000 % 60, total / 100 % 60, total % 100)
    }

    /// A line for an issue message: quoted, and cut to 60 characters so a huge line stays readable.
    static func quoted(_ line: String) -> String {
        line.count <= 60 ? "'\(line)'" : "'\(line.prefix(60))…'"
    }

    /// Parses `start --> end [settings]`.
    static func timing(_ line: String) -> (Double, Double)? {
        let halves = line.components(separatedBy: "-->")
        guard halves.count == 2 else { return nil }
        let endField = halves[1].trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
        guard let start = seconds(halves[0]), let end = seconds(endField) else { return nil }
        return (start, end)
    }
}
