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

    /// Parses `[hh:]mm:ss[.,]fff` (SRT, WebVTT) or `h:mm:ss.cc` (ASS) into seconds.
    static func seconds(_ text: String) -> Double? {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2 || parts.count == 3 else { return nil }
        let secondsPart = parts.last!.replacingOccurrences(of: ",", with: ".")
        let pieces = secondsPart.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count <= 2, let whole = Int(pieces[0]), pieces[0].count == 2, whole < 60 else { return nil }
        var fraction = 0.0
        if pieces.count == 2 {
            guard !pieces[1].isEmpty, pieces[1].allSatisfy(\.isASCII), let value = Int(pieces[1]) else { return nil }
            fraction = Double(value) / pow(10, Double(pieces[1].count))
        }
        guard let minutes = Int(parts[parts.count - 2]), minutes >= 0, minutes < 60 else { return nil }
        var hours = 0
        if parts.count == 3 {
            guard let value = Int(parts[0]), value >= 0 else { return nil }
            hours = value
        }
        return Double(hours * 3600 + minutes * 60 + whole) + fraction
    }

    /// `hh:mm:ss<separator>fff`, rounded to the millisecond.
    static func timecode(_ seconds: Double, separator: Character) -> String {
        let total = max(0, Int((seconds * 1000).rounded()))
        let (h, m, s, ms) = (total / 3_600_000, total / 60_000 % 60, total / 1000 % 60, total % 1000)
        return String(format: "%02d:%02d:%02d%@%03d", h, m, s, String(separator), ms)
    }

    /// `h:mm:ss.cc`, the ASS form, rounded to the centisecond.
    static func assTimecode(_ seconds: Double) -> String {
        let total = max(0, Int((seconds * 100).rounded()))
        return String(format: "%d:%02d:%02d.%02d", total / 360_000, total / 6000 % 60, total / 100 % 60, total % 100)
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
