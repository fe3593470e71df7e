import Foundation
import MediaIO
import Testing

@Suite("Quality gate", .serialized)
struct QualityGateTests {
    static let thresholds = QualityGate.Thresholds(width: 180, height: 320, bitRate: 10_000...30_000_000)

    @Test("a composer render with subtitles covering the voice passes every check")
    func goodVideoPasses() async throws {
        let fixtures = try ComposerFixtures()
        defer { fixtures.remove() }
        let ffmpeg = try await FFmpeg.locate()
        let voiceEnd = try await ffmpeg.probe(fixtures.voice).duration ?? 0
        let composition = VideoComposition(
            shots: [
                .init(image: fixtures.landscape, duration: 1.2, motion: .zoomIn),
                .init(image: fixtures.portrait, duration: 1.2, motion: .pan(.left)),
            ], transitions: [.crossfade(0.4)], voice: fixtures.voice, music: fixtures.music)
        let output = fixtures.directory.appendingPathComponent("good.mp4")
        _ = try await VideoComposer(ffmpeg: ffmpeg).render(composition, settings: ComposerFixtures.settings, to: output)
        let cues = [SubtitleCue(start: 0, end: voiceEnd - 0.1, text: "The quick brown fox")]
        let report = try await QualityGate(ffmpeg: ffmpeg, thresholds: Self.thresholds).check(
            output, subtitles: cues, speechEnd: voiceEnd)
        #expect(report.passed, "\(report)")
        #expect(report.checks.count == QCCheck.Kind.allCases.count)
        // Subtitles that run past the video, or stop long before the speech, fail.
        let late = try await QualityGate(ffmpeg: ffmpeg, thresholds: Self.thresholds).check(
            output, subtitles: [SubtitleCue(start: 0, end: voiceEnd + 3, text: "x")], speechEnd: voiceEnd)
        #expect(late[.subtitles]?.passed == false)
        let early = try await QualityGate(ffmpeg: ffmpeg, thresholds: Self.thresholds).check(
            output, subtitles: [SubtitleCue(start: 0, end: 0.5, text: "x")], speechEnd: voiceEnd)
        #expect(early[.subtitles]?.passed == false)
    }

    /// Broken videos made directly by ffmpeg, each with one defect, and the check that must catch it.
    static let broken: [(name: String, video: String, audio: String, failing: QCCheck.Kind)] = [
        (
            "black", "testsrc2=size=180x320:rate=30:duration=3,drawbox=enable='between(t,1,2.5)':color=black:t=fill",
            "sine=frequency=440:sample_rate=48000:duration=3", .blackFrames
        ),
        (
            "frozen", "testsrc2=size=180x320:rate=30:duration=1,tpad=stop_mode=clone:stop_duration=3.5",
            "sine=frequency=440:sample_rate=48000:duration=4.5", .frozenFrames
        ),
        (
            "short-audio", "testsrc2=size=180x320:rate=30:duration=3",
            "sine=frequency=440:sample_rate=48000:duration=2", .avSync
        ),
        (
            "quiet", "testsrc2=size=180x320:rate=30:duration=3",
            "sine=frequency=440:sample_rate=48000:duration=3,volume=-30dB",
            .loudness
        ),
        (
            "wrong-size", "testsrc2=size=320x180:rate=30:duration=2", "sine=frequency=440:sample_rate=48000:duration=2",
            .resolution
        ),
        (
            "wrong-rate", "testsrc2=size=180x320:rate=25:duration=2", "sine=frequency=440:sample_rate=48000:duration=2",
            .frameRate
        ),
    ]

    @Test("deliberately broken videos fail the matching check", arguments: broken.indices)
    func brokenVideoFails(index: Int) async throws {
        let defect = Self.broken[index]
        let directory = try makeTemporaryDirectory("qc")
        defer { try? FileManager.default.removeItem(at: directory) }
        let output = directory.appendingPathComponent("\(defect.name).mp4")
        try MediaIOTests.ffmpeg([
            "-f", "lavfi", "-i", defect.video, "-f", "lavfi", "-i", defect.audio, "-c:v", "libx264", "-preset",
            "superfast", "-profile:v", "high", "-pix_fmt", "yuv420p", "-c:a", "aac", "-ar", "48000", output.path,
        ])
        let report = try await QualityGate(ffmpeg: FFmpeg.locate(), thresholds: Self.thresholds).check(output)
        #expect(!report.passed)
        #expect(report[defect.failing]?.passed == false, "\(defect.name): \(report)")
        #expect(report[.videoFormat]?.passed == true, "\(report)")
    }
}
