import Foundation
import MediaIO
import Testing

@Suite("Composer mastering and timing", .serialized)
struct MasteringTests {
    @Test("a 4 s Ken Burns shot at 30 fps is exactly 120 frames; music alone is mastered by linear loudnorm")
    func fourSecondShotAndLinearLoudnorm() async throws {
        let fixtures = try ComposerFixtures()
        defer { fixtures.remove() }
        let ffmpeg = try await FFmpeg.locate()
        // A steady tone has a 3 dB crest factor, so one gain reaches −14 LUFS under −1 dBTP.
        let composition = VideoComposition(
            shots: [.init(image: fixtures.portrait, duration: 4, motion: .zoomIn)], music: fixtures.music)
        let output = fixtures.directory.appendingPathComponent("four.mp4")
        let report = try await VideoComposer(ffmpeg: ffmpeg).render(
            composition, settings: ComposerFixtures.settings, to: output)
        #expect(report.frameCount == 120)
        let frames = try runTool(
            "ffprobe",
            [
                "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames",
                "-of", "csv=p=0", output.path,
            ])
        #expect(frames.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "120")
        #expect(abs(report.loudness.integrated - -14) < 0.3, "\(report.loudness)")
        #expect(report.loudness.truePeak <= -1 + 0.05)
    }

    @Test("a crossfade blends the two shots at its midpoint, at the offset the frame count predicts")
    func crossfadeOffset() async throws {
        let directory = try makeTemporaryDirectory("xfade")
        defer { try? FileManager.default.removeItem(at: directory) }
        let white = directory.appendingPathComponent("white.png")
        let black = directory.appendingPathComponent("black.png")
        try MediaIOTests.ffmpeg(["-f", "lavfi", "-i", "color=white:size=64x64", "-frames:v", "1", white.path])
        try MediaIOTests.ffmpeg(["-f", "lavfi", "-i", "color=black:size=64x64", "-frames:v", "1", black.path])
        let composition = VideoComposition(
            shots: [.init(image: white, duration: 1), .init(image: black, duration: 1)],
            transitions: [.crossfade(0.4)])
        let output = directory.appendingPathComponent("fade.mp4")
        let ffmpeg = try await FFmpeg.locate()
        _ = try await VideoComposer(ffmpeg: ffmpeg).render(composition, settings: ComposerFixtures.settings, to: output)
        // Frames 0–17 white, 18–29 the fade (12 frames), 30–47 black: 48 frames in all.
        let stats = try runTool(
            "ffmpeg",
            [
                "-hide_banner", "-i", output.path, "-vf", "signalstats,metadata=print:key=lavfi.signalstats.YAVG",
                "-f", "null", "-",
            ])
        let luma = stats.stderr.components(separatedBy: "YAVG=").dropFirst().compactMap {
            Double($0.split(separator: "\n").first?.trimmingCharacters(in: .whitespaces) ?? "")
        }
        #expect(luma.count == 48)
        guard luma.count == 48 else { return }
        #expect(luma[10] > 230 && luma[17] > 225)
        #expect(luma[24] > 80 && luma[24] < 180, "midpoint \(luma[24])")
        #expect(luma[31] < 25 && luma[40] < 25)
    }
}
