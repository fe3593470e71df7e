import Foundation
import MediaIO
import StoryForgeCore
import Testing

@Suite("Subtitle formats")
struct SubtitleFormatTests {
    let cues = [
        SubtitleCue(start: 0, end: 1.5, text: "Hello, world!"),
        SubtitleCue(start: 1.5, end: 3.25, text: "Two lines\nwith <tags> & {braces} \\N and ünïcødé 字幕"),
        SubtitleCue(start: 3661.001, end: 3662, text: "An hour in"),
    ]

    @Test("SRT, WebVTT and ASS round-trip text and times")
    func roundTrips() throws {
        for (name, parsed) in [
            ("SRT", SRT.parse(SRT.format(cues))), ("WebVTT", WebVTT.parse(WebVTT.format(cues))),
            ("ASS", ASS.parse(ASS.format(cues))),
        ] {
            #expect(parsed.issues.isEmpty, "\(name): \(parsed.issues)")
            let tolerance = name == "ASS" ? 0.005 : 0.0005
            #expect(parsed.cues.map(\.text) == cues.map(\.text), "\(name)")
            for (a, b) in zip(parsed.cues, cues) {
                #expect(abs(a.start - b.start) <= tolerance && abs(a.end - b.end) <= tolerance, "\(name)")
            }
        }
    }

    @Test("BOM and CRLF are tolerated; indices may be missing")
    func tolerant() throws {
        let srt =
            "\u{FEFF}1\r\n00:00:01,000 --> 00:00:02,500\r\nHi\r\nthere\r\n\r\n00:00:03.000 --> 00:00:04.000\r\nNo index\r\n"
        let cues = try SRT.parse(srt).get()
        #expect(cues.count == 2)
        #expect(cues[0].text == "Hi\nthere" && cues[0].start == 1 && cues[0].end == 2.5)
        #expect(cues[1].text == "No index")
        let vtt =
            "\u{FEFF}WEBVTT\r\n\r\nNOTE a comment\r\n\r\nid-1\r\n01:02.000 --> 01:03.500 align:start\r\n<b>Bold</b> &amp; more\r\n"
        let parsed = try WebVTT.parse(vtt).get()
        #expect(parsed == [SubtitleCue(start: 62, end: 63.5, text: "Bold & more")])
    }

    @Test("malformed cues are reported with their line numbers, the good ones kept")
    func malformed() throws {
        let srt = """
            1
            00:00:01,000 --> 00:00:02,000
            Good

            2
            00:00:0x,000 --> 00:00:02,000
            Bad time

            3
            No timing line here

            4
            00:00:05,000 --> 00:00:04,000
            Backwards
            """
        let result = SRT.parse(srt)
        #expect(result.cues.map(\.text) == ["Good"])
        #expect(result.issues.map(\.line) == [6, 9, 13])
        let error2 = #expect(throws: SubtitleError.self) { try result.get() }
        #expect(error2?.code == .malformed)
        do {
            _ = try result.get()
        } catch let error as SubtitleError {
            #expect(error.line == 6)
        }
        #expect(WebVTT.parse("1\n00:00.000 --> 00:01.000\nx").issues.first?.line == 1)
        let ass = "[Events]\nFormat: Layer, Start, End, Style, Text\nDialogue: 0,0:00:01.00,0:00:0z.00,Default,Hi\n"
        #expect(ASS.parse(ass).issues.map(\.line) == [3])
    }

    @Test("ffmpeg reads the SRT, WebVTT and ASS we write and gets the same cues")
    func ffmpegReadsOurs() throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let plain = cues.map {
            SubtitleCue(start: $0.start, end: $0.end, text: $0.text.replacingOccurrences(of: "<tags> ", with: ""))
        }
        for (ext, text) in [("srt", SRT.format(plain)), ("vtt", WebVTT.format(plain)), ("ass", ASS.format(plain))] {
            let input = directory.appendingPathComponent("in.\(ext)")
            try text.write(to: input, atomically: true, encoding: .utf8)
            let output = directory.appendingPathComponent("out-\(ext).srt")
            try ffmpeg(["-i", input.path, output.path])
            let back = try SRT.parse(String(contentsOf: output, encoding: .utf8)).get()
            #expect(back.count == plain.count, "\(ext)")
            #expect(abs((back.first?.end ?? 0) - 1.5) < 0.011, "\(ext)")
            #expect(back.last?.text.contains("An hour in") == true, "\(ext)")  // ffmpeg adds <font> tags for ASS
        }
    }

    @Test("karaoke ASS: \\k tags add up to the cue, style is laid out for 1080×1920")
    func karaoke() throws {
        let words = [
            TimedWord("One", start: 0.2, end: 0.5), TimedWord("two", start: 0.6, end: 0.9),
            TimedWord("{three}", start: 1.3, end: 1.8),
        ]
        let cue = SubtitleCue(start: 0.2, end: 1.8, text: "One two {three}", words: words)
        let script = ASS.format([cue], karaoke: true)
        #expect(script.contains("PlayResX: 1080\nPlayResY: 1920"))
        #expect(script.contains("{\\k30}One {\\k40}two {\\k90}\\{three\\}"))
        let marginV = try #require(script.split(separator: "\n").first { $0.hasPrefix("Style:") })
        #expect(marginV.hasSuffix(",90,90,350,1"))
        #expect(try ASS.parse(script).get().first?.text == "One two {three}")
    }
}
