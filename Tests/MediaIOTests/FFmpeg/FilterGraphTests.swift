import Foundation
import MediaIO
import Testing

@Suite("Filter graph escaping")
struct FilterGraphTests {
    @Test("the ffmpeg documentation's example escapes the same way")
    func documentedExample() {
        // From ffmpeg-filters "Notes on filtergraph escaping".
        let text = "this is a 'string': may contain one, or more, special characters"
        #expect(
            Filter("drawtext", ["text": text]).description
                == #"drawtext=text=this is a \\\'string\\\'\\: may contain one\, or more\, special characters"#)
        var graph = FilterGraph()
        graph.chain(["0:v"], [Filter("scale", ["w": "2", "h": "2"]), Filter("setsar", positional: ["1"])], ["v"])
        graph.chain(["v"], [Filter("null")], ["out"])
        #expect(graph.description == "[0:v]scale=w=2:h=2,setsar=1[v];[v]null[out]")
    }

    static let hostileNames = [
        "it's a: [test], 100% \\ done;.ass", "字幕 ünïcødé, 'quoted'.ass", "back\\slash[1]%d:x.ass",
    ]

    @Test("burning subtitles from files with hostile names works", arguments: hostileNames)
    func hostileSubtitleNames(name: String) async throws {
        let directory = try makeTemporaryDirectory("mediaio 'dir', [x]")
        defer { try? FileManager.default.removeItem(at: directory) }
        let subtitles = directory.appendingPathComponent(name)
        let cue = SubtitleCue(start: 0, end: 1, text: "Hostile {name} \\N 'ok'")
        try ASS.format([cue], style: ASSStyle().scaled(toWidth: 180, height: 320)).write(
            to: subtitles, atomically: true, encoding: .utf8)
        let output = directory.appendingPathComponent("out, [1]: 'x' %d.mp4")
        var graph = FilterGraph()
        graph.chain(["0:v"], [Filter("subtitles", ["filename": subtitles.path])], ["v"])
        let ffmpeg = try await FFmpeg.locate()
        let log = try await ffmpeg.run([
            "-f", "lavfi", "-i", "color=c=black:size=180x320:rate=10:duration=1", "-filter_complex", graph.description,
            "-map", "[v]", "-c:v", "libx264", "-preset", "ultrafast", "-y", "file:" + output.path,
        ])
        #expect(FileManager.default.fileExists(atPath: output.path))
        // libass reports the events it loaded; a mis-escaped name fails to open before that.
        #expect(!log.contains("Unable to open"))
        let probe = try await ffmpeg.probe(output)
        #expect(probe.video?.frameCount == 10)
        // The burned text makes the black frame non-black somewhere.
        let stats = try runTool(
            "ffmpeg",
            [
                "-hide_banner", "-i", output.path, "-vf", "signalstats,metadata=print:key=lavfi.signalstats.YMAX", "-f",
                "null", "-",
            ])
        let ymax = stats.stderr.components(separatedBy: "YMAX=").dropFirst().compactMap {
            Double($0.prefix(3).trimmingCharacters(in: .whitespacesAndNewlines))
        }
        #expect((ymax.max() ?? 0) > 100, "subtitles were not drawn")
    }
}
