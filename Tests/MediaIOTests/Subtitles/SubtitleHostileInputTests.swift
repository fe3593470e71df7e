import Foundation
import MediaIO
import PropertyBased
import StoryForgeCore
import Testing

/// Subtitle files and word timings as a hostile transcriber or file would give them: huge, NaN,
/// negative and malformed numbers end in an issue or a clamp, never a trap.
@Suite("Subtitles with hostile numbers")
struct SubtitleHostileInputTests {
    static let hugeHours = [
        "99999999999999999999", "9223372036854775807", "9223372036854775808", "2562047788015216", "100",
        "-1", "+1", "１２", "0x10", "1e9", "",
    ]

    @Test("huge, signed or non-ASCII hours are issues in SRT, WebVTT and ASS")
    func hugeHours() {
        for hours in Self.hugeHours {
            let srt = SRT.parse("1\n\(hours):00:00,000 --> \(hours):00:01,000\nHi\n")
            #expect(srt.cues.isEmpty && srt.issues.count == 1, "SRT \(hours): \(srt)")
            let vtt = WebVTT.parse("WEBVTT\n\n\(hours):00:00.000 --> \(hours):00:01.000\nHi\n")
            #expect(vtt.cues.isEmpty && vtt.issues.count == 1, "WebVTT \(hours): \(vtt)")
            let ass = ASS.parse("[Events]\nDialogue: 0,\(hours):00:00.00,\(hours):00:01.00,Default,,0,0,0,,Hi\n")
            #expect(ass.cues.isEmpty && ass.issues.count == 1, "ASS \(hours): \(ass)")
        }
        let srt = SRT.parse("1\n99999999999999999999:00:00,000 --> 99999999999999999999:00:01,000\nHi\n")
        #expect(srt.issues.first?.message.contains("99:59:59,999") == true, "\(srt.issues)")
        let error = #expect(throws: SubtitleError.self) { _ = try srt.get() }
        #expect(error?.code == .malformed)
    }

    @Test("the maximum time parses; minutes, seconds and fractions are bounded too")
    func bounds() throws {
        let edge = try SRT.parse("1\n99:59:59,999 --> 99:59:59,999\nLast\n").get()
        #expect(abs((edge.first?.start ?? 0) - SubtitleCue.maximumTime) < 1e-6)
        // Sub-millisecond digits past the maximum are clamped to it.
        let past = try SRT.parse("1\n99:59:59,9999 --> 99:59:59,999999999\nLast\n").get()
        #expect(past.first?.end == SubtitleCue.maximumTime)
        let leadingZeros = try SRT.parse("1\n0000000000000000000001:00:00,000 --> 01:00:01,000\nHi\n").get()
        #expect(leadingZeros.first?.start == 3600)
        for timing in [
            "00:60:00,000 --> 00:61:00,000", "00:00:60,000 --> 00:00:61,000", "00:00:-1,000 --> 00:00:01,000",
            "00:00:01,99999999999999999999 --> 00:00:02,000", "00:00:01,0000000001 --> 00:00:02,000",
            "00:00:01, --> 00:00:02,000", "00:99999999999999999999:01,000 --> 00:00:02,000",
        ] {
            let parsed = SRT.parse("1\n\(timing)\nHi\n")
            #expect(parsed.cues.isEmpty && parsed.issues.count == 1, "\(timing): \(parsed)")
        }
        let long = String(repeating: "9", count: 100_000)
        let parsed = SRT.parse("1\n\(long):00:00,000 --> 00:00:01,000\nHi\n")
        #expect(parsed.issues.count == 1)
        #expect((parsed.issues.first?.message.count ?? .max) < 200, "the message quotes a 100 KB line whole")
    }

    @Test("formatting clamps NaN, infinite, negative and huge times instead of trapping")
    func formattingClamps() throws {
        let values: [Double] = [
            .nan, -.nan, .infinity, -.infinity, 1e300, -1e300, .greatestFiniteMagnitude, 9.3e15, 9.3e18, -0.0,
            -1, 359_999.9995, SubtitleCue.maximumTime, 1e-300,
        ]
        for value in values {
            let cue = SubtitleCue(
                start: value, end: value, text: "x", words: [TimedWord("x", start: value, end: value)])
            let srt = SRT.format([cue])
            let vtt = WebVTT.format([cue])
            let ass = ASS.format([cue], karaoke: true)
            for (name, parsed) in [("SRT", SRT.parse(srt)), ("WebVTT", WebVTT.parse(vtt)), ("ASS", ASS.parse(ass))] {
                #expect(parsed.issues.isEmpty, "\(name) \(value): \(parsed.issues)")
                let time = try #require(parsed.cues.first?.start, "\(name) \(value)")
                #expect((0...SubtitleCue.maximumTime).contains(time), "\(name) \(value) → \(time)")
                if value.isNaN || value <= 0 { #expect(time == 0, "\(name) \(value)") }
                if value > SubtitleCue.maximumTime { #expect(time >= SubtitleCue.maximumTime - 0.01, "\(name)") }
            }
        }
        // A karaoke word lasting 1e300 seconds, or NaN, still gives a tag.
        let cue = SubtitleCue(
            start: 0, end: 5, text: "a b",
            words: [TimedWord("a", start: 0, end: 1e300), TimedWord("b", start: .nan, end: .nan)])
        #expect(ASS.format([cue], karaoke: true).contains("{\\k"))
        let style = ASSStyle.vertical1080x1920.scaled(toWidth: 0, height: 0)
        #expect(style.fontSize >= 1)
        _ = ASSStyle.vertical1080x1920.scaled(toWidth: .max, height: .max)
    }

    /// Text that looks like subtitles, with numbers of every size where numbers go.
    static func hostileText(seed: UInt64, format: Int) -> String {
        var random = SplitMix(seed: seed)
        func pick<T>(_ items: [T]) -> T { items[Int(random.next() % UInt64(items.count))] }
        func number() -> String {
            switch random.next() % 6 {
            case 0: String(random.next())
            case 1: String(Int64(bitPattern: random.next()))
            case 2: String(repeating: "9", count: Int(random.next() % 40) + 1)
            case 3: String(format: "%02d", Int(random.next() % 100))
            case 4: pick(["", "-", "+", "NaN", "inf", "1e400", "0x1F", "٣", " ", ",", ".", ":"])
            default: String(Double(bitPattern: random.next()))
            }
        }
        func timecode() -> String {
            let separator = pick([",", ".", ":", ";", ""])
            return "\(number()):\(number()):\(number())\(separator)\(number())"
        }
        var lines: [String] = format == 1 ? ["WEBVTT", ""] : format == 2 ? ["[Events]"] : []
        for index in 0..<Int(random.next() % 12) {
            switch format {
            case 2:
                lines.append("Dialogue: \(number()),\(timecode()),\(timecode()),Default,,0,0,0,,{\\k\(number())}text")
            default:
                if random.next() % 2 == 0 { lines.append(String(index + 1)) }
                lines.append("\(timecode()) --> \(timecode())\(pick(["", " align:start", " -->", "\u{0}"]))")
                lines.append(pick(["Hi", "<b>x</b>", "", "-->", "\u{FEFF}"]))
                lines.append("")
            }
        }
        return lines.joined(separator: pick(["\n", "\r\n", "\r"]))
    }

    @Test("random subtitle-like text with huge numbers never traps (3 formats × 1,000 inputs)")
    func fuzzParsers() async {
        await propertyCheck(count: 1000, input: Gen.uint64()) { seed in
            for format in 0..<3 {
                let text = Self.hostileText(seed: seed, format: format)
                let result =
                    switch format {
                    case 0: SRT.parse(text)
                    case 1: WebVTT.parse(text)
                    default: ASS.parse(text)
                    }
                for cue in result.cues {
                    #expect(cue.start.isFinite && cue.end.isFinite && cue.start >= 0 && cue.end >= cue.start)
                    #expect(cue.end <= SubtitleCue.maximumTime)
                }
                // What parses also writes and parses again.
                #expect(SRT.parse(SRT.format(result.cues)).issues.isEmpty)
            }
        }
    }

    @Test("random strings never trap a parser (3 formats × 1,000 inputs)")
    func fuzzRandomStrings() async {
        let alphabet = Array("0123456789:,.-> \n\r\tWEBVTTDialogue[Events]9999999999-+eE{}\\N字")
        await propertyCheck(count: 1000, input: Gen.uint64(), Gen.int(in: 0...400)) { seed, length in
            var random = SplitMix(seed: seed)
            let text = String((0..<length).map { _ in alphabet[Int(random.next() % UInt64(alphabet.count))] })
            for result in [SRT.parse(text), WebVTT.parse("WEBVTT\n\n" + text), ASS.parse("[Events]\n" + text)] {
                for cue in result.cues { #expect(cue.start >= 0 && cue.end >= cue.start) }
            }
        }
    }

    /// Word timings as a transcriber might report them: random counts, lengths and gaps, some
    /// overlapping, the last ones ending near, at or past the voice's end.
    static func words(seed: UInt64, count: Int, voiceEnd: Double) -> [TimedWord] {
        var random = SplitMix(seed: seed)
        func fraction() -> Double { Double(random.next() % 10_000) / 10_000 }
        let vocabulary = ["the", "night", "train.", "ran,", "far", "away!", "extraordinarily", "字幕です。", "I"]
        // Spread the words over the voice, the last one close to its end.
        let span = max(voiceEnd - fraction() * 0.5, 0.01)
        var time = fraction() * 0.3
        let step = span / Double(max(count, 1))
        return (0..<count).map { index in
            let text = vocabulary[Int(random.next() % UInt64(vocabulary.count))]
            let length = step * (0.2 + 2 * fraction())  // may overlap the next word
            defer { time += step * (0.5 + fraction()) }
            var word = TimedWord(text, start: time, end: time + length)
            if index == count - 1 { word.end = voiceEnd + (fraction() - 0.7) * 0.4 }  // ends near the voice end
            if random.next() % 50 == 0 { word.start -= 0.5 }  // a little out of order
            return word
        }
    }

    @Test("no cue ends after the voice; cues stay ordered and do not overlap (1,000 inputs)")
    func cuesStayWithinTheVoice() async {
        await propertyCheck(
            count: 1000, input: Gen.uint64(), Gen.int(in: 0...60), Gen.int(in: 1...900), Gen.int(in: 8...42)
        ) { seed, count, tenths, lineLimit in
            let voiceEnd = Double(tenths) / 10
            let words = Self.words(seed: seed, count: count, voiceEnd: voiceEnd)
            let segmenter = SubtitleSegmenter(configuration: .init(maxCharactersPerLine: lineLimit))
            let cues = segmenter.segment(words, voiceDuration: voiceEnd)
            for (index, cue) in cues.enumerated() {
                #expect(cue.end <= voiceEnd, "cue \(index) ends at \(cue.end), the voice at \(voiceEnd)")
                #expect(cue.start >= 0 && cue.start <= cue.end, "cue \(index): \(cue.start)…\(cue.end)")
                if index + 1 < cues.count { #expect(cue.end <= cues[index + 1].start, "cue \(index) overlaps") }
                #expect(!cue.words.isEmpty)
            }
            // Every word that starts within the voice is shown (over-long ones in pieces).
            let shown = words.filter { $0.start < voiceEnd }.map(\.word.count).reduce(0, +)
            #expect(cues.flatMap(\.words).map(\.word.count).reduce(0, +) == shown)
        }
    }

    @Test("the last cue, stretched to its minimum duration, stops at the voice's end")
    func lastCueIsClamped() {
        // As in `story-demo --topic "random kill" --seed 31`: the last word ends 0.1 s before the
        // voice, and the cue stretched to 5/6 s would end after it.
        let words = [TimedWord("Then", start: 44.6, end: 44.9), TimedWord("silence.", start: 44.95, end: 45.27)]
        let unclamped = SubtitleSegmenter().segment(words)
        #expect(unclamped.last.map { $0.end > 45.37 } == true, "the old behaviour this guards against")
        let cues = SubtitleSegmenter().segment(words, voiceDuration: 45.37)
        #expect(cues.last?.end == 45.37)
        #expect(cues.last?.start == 44.6)
    }

    @Test("non-finite, negative and past-the-end word times are dropped or clamped")
    func hostileWordTimes() {
        let words = [
            TimedWord("nan", start: .nan, end: 1), TimedWord("inf", start: 0, end: .infinity),
            TimedWord("early", start: -5, end: 0.4), TimedWord("fine", start: 0.5, end: 0.9),
            TimedWord("late", start: 9.5, end: 12), TimedWord("gone", start: 11, end: 13),
            TimedWord("huge", start: 1e300, end: .greatestFiniteMagnitude),
        ]
        let cues = SubtitleSegmenter().segment(words, voiceDuration: 10)
        let shown = cues.flatMap(\.words).map(\.word)
        #expect(shown == ["early", "fine", "late"])
        #expect(cues.allSatisfy { $0.start >= 0 && $0.end <= 10 })
        for duration in [Double.nan, .infinity, -.infinity, -1, 0] {
            let cues = SubtitleSegmenter().segment(words, voiceDuration: duration)
            #expect(cues.allSatisfy { $0.start >= 0 && $0.end >= $0.start && $0.end.isFinite }, "\(duration)")
        }
        #expect(SubtitleSegmenter().segment(words, voiceDuration: 0).isEmpty)
    }
}
