import Foundation
import MediaIO
import Testing

@Suite("Video composer", .serialized)
struct VideoComposerTests {
    @Test("shots are frame-exact and crossfade offsets add up: 1 s + 1.5 s + 1 s, two 0.5 s fades = 75 frames")
    func frameExact() async throws {
        let fixtures = try ComposerFixtures()
        defer { fixtures.remove() }
        let ffmpeg = try await FFmpeg.locate()
        let composition = VideoComposition(
            shots: [
                .init(image: fixtures.landscape, duration: 1, motion: .zoomIn),
                .init(image: fixtures.portrait, duration: 1.5, motion: .pan(.right)),
                .init(image: fixtures.square, duration: 1, motion: .zoomOut),
            ], transitions: [.crossfade(0.5), .crossfade(0.5)])
        let output = fixtures.directory.appendingPathComponent("out.mp4")
        let report = try await VideoComposer(ffmpeg: ffmpeg).render(
            composition, settings: ComposerFixtures.settings, to: output)
        #expect(report.frameCount == 75)
        let frames = try runTool(
            "ffprobe",
            [
                "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames",
                "-of", "csv=p=0", output.path,
            ])
        #expect(frames.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "75")
        let probe = try await ffmpeg.probe(output)
        let video = try #require(probe.video)
        #expect(video.codecName == "h264" && video.profile == "High" && video.pixelFormat == "yuv420p")
        #expect(video.width == 180 && video.height == 320 && video.frameRate == 30)
        #expect(video.colorSpace == "bt709" && video.colorPrimaries == "bt709" && video.colorTransfer == "bt709")
        let audio = try #require(probe.audio)
        #expect(audio.codecName == "aac" && audio.sampleRate == 48_000 && audio.channels == 2)
        #expect(abs((audio.duration ?? 0) - 2.5) <= 1.0 / 30 + 0.025)  // AAC frames are 21.3 ms
    }

    @Test("the picture is held to the voice's length, music is ducked and the mix mastered to −14 LUFS")
    func voiceMusicLoudness() async throws {
        let fixtures = try ComposerFixtures()
        defer { fixtures.remove() }
        let ffmpeg = try await FFmpeg.locate()
        let voiceDuration = try await ffmpeg.probe(fixtures.voice).duration ?? 0
        let composition = VideoComposition(
            shots: [
                .init(image: fixtures.landscape, duration: 1, motion: .still),
                .init(image: fixtures.portrait, duration: 1, motion: .pan(.up)),
            ], transitions: [.crossfade(0.3)], voice: fixtures.voice, music: fixtures.music)
        let output = fixtures.directory.appendingPathComponent("voiced.mp4")
        let report = try await VideoComposer(ffmpeg: ffmpeg).render(
            composition, settings: ComposerFixtures.settings, to: output)
        #expect(report.frameCount == Int((voiceDuration * 30).rounded()))
        #expect(abs(report.loudness.integrated - -14) < 0.5, "\(report.loudness)")
        #expect(report.loudness.truePeak <= -0.9)
        let probe = try await ffmpeg.probe(output)
        let videoDuration = try #require(probe.video?.duration)
        let audioDuration = try #require(probe.audio?.duration)
        #expect(abs(videoDuration - audioDuration) <= 1.0 / 30 + 0.025)
        // The encoded file, decoded and measured in Swift, is still on target.
        let decoded = fixtures.directory.appendingPathComponent("decoded.wav")
        try MediaIOTests.ffmpeg(["-i", output.path, "-c:a", "pcm_f32le", decoded.path])
        let measured = try LoudnessMeter().measure(WAV.read(from: decoded))
        #expect(abs(measured.integrated - -14) < 1)
    }

    @Test("soft subtitles become a mov_text track")
    func softSubtitles() async throws {
        let fixtures = try ComposerFixtures()
        defer { fixtures.remove() }
        let subtitles = fixtures.directory.appendingPathComponent("subs.ass")
        try ASS.format([SubtitleCue(start: 0, end: 0.9, text: "Hello")]).write(
            to: subtitles, atomically: true, encoding: .utf8)
        let ffmpeg = try await FFmpeg.locate()
        let composition = VideoComposition(
            shots: [.init(image: fixtures.square, duration: 1)], subtitles: subtitles, subtitleMode: .soft)
        let output = fixtures.directory.appendingPathComponent("soft.mp4")
        _ = try await VideoComposer(ffmpeg: ffmpeg).render(composition, settings: ComposerFixtures.settings, to: output)
        #expect(try await ffmpeg.probe(output).subtitle?.codecName == "mov_text")
    }

    @Test("cancelling mid-render stops ffmpeg and leaves no file under the final name, nor temporary files")
    func cancellation() async throws {
        let fixtures = try ComposerFixtures()
        defer { fixtures.remove() }
        let ffmpeg = try await FFmpeg.locate()
        let composition = VideoComposition(
            shots: (0..<6).map {
                .init(image: fixtures.landscape, duration: 20, motion: $0 % 2 == 0 ? .zoomIn : .zoomOut)
            },
            transitions: Array(repeating: .crossfade(1), count: 5))
        var settings = ComposerFixtures.settings
        settings.preset = "veryslow"
        let output = fixtures.directory.appendingPathComponent("cancelled.mp4")
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: fixtures.directory.path))
        let started = AsyncStream<Void>.makeStream()
        let task = Task {
            try await VideoComposer(ffmpeg: ffmpeg).render(composition, settings: settings, to: output) { fraction in
                if fraction > 0 { started.continuation.yield() }
            }
        }
        for await _ in started.stream { break }
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        #expect(!FileManager.default.fileExists(atPath: output.path))
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: fixtures.directory.path))
        #expect(after == before, "left behind: \(after.subtracting(before))")
        // No ffmpeg is still writing the partial file.
        let running = try runTool("pgrep", ["-f", "cancelled.mp4.partial"])
        #expect(running.stdout.isEmpty)
    }
}
