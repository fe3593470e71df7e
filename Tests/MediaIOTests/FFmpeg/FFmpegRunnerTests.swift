import Foundation
import MediaIO
import Testing

@Suite("FFmpeg runner")
struct FFmpegRunnerTests {
    @Test("finds ffmpeg and ffprobe on PATH and reads a version of at least 5.1")
    func locate() async throws {
        let ffmpeg = try await FFmpeg.locate()
        let version = try #require(ffmpeg.version)
        #expect(version >= FFmpegVersion(major: 5, minor: 1))
        #expect(ffmpeg.ffprobeURL.lastPathComponent == "ffprobe")
        #expect(FFmpegVersion(versionOutput: "ffmpeg version n6.1.1 Copyright") == .init(major: 6, minor: 1))
        #expect(FFmpegVersion(versionOutput: "ffmpeg version N-112233-gabc Copyright") == nil)
    }

    @Test("a missing executable and a too-old minimum are errors that name the fix")
    func notFoundAndVersion() async throws {
        let error2 = await #expect(throws: FFmpegError.self) {
            try await FFmpeg.locate(configuration: .init(ffmpegPath: "/nonexistent/ffmpeg"))
        }
        #expect(error2?.code == .notFound)
        do {
            _ = try await FFmpeg.locate(configuration: .init(minimumVersion: .init(major: 99, minor: 0)))
            Issue.record("a minimum of 99.0 must fail")
        } catch let error as FFmpegError {
            #expect(error.code == .unsupportedVersion)
            #expect(error.message.contains("ffmpegPath"))
        }
    }

    @Test("failures carry the command line with secrets redacted and the stderr tail")
    func failure() async throws {
        let ffmpeg = try await FFmpeg.locate(configuration: .init(secrets: ["sk-SECRET123"]))
        do {
            try await ffmpeg.run([
                "-i", "https://user:pw@example.invalid/a.mp4?api_key=sk-SECRET123", "-f", "null", "-",
            ])
            Issue.record("reading from an invalid host must fail")
        } catch let error as FFmpegError {
            #expect(error.code == .failed)
            #expect(error.exitStatus != 0)
            #expect(error.commandLine.contains("ffmpeg"))
            #expect(error.commandLine.contains("-f null -"))
            #expect(!error.description.contains("sk-SECRET123"))
            #expect(!error.description.contains("user:pw"))
            #expect(!error.stderrTail.isEmpty)
        }
        do {
            try await ffmpeg.run(["-f", "lavfi", "-i", "nosuchfilter=1", "-f", "null", "-"])
            Issue.record("an unknown filter must fail")
        } catch let error as FFmpegError {
            #expect(error.stderrTail.contains("nosuchfilter"), "\(error)")
        }
    }

    @Test("progress arrives as an async stream with fractions that grow to 1")
    func progress() async throws {
        let ffmpeg = try await FFmpeg.locate()
        let job = ffmpeg.job(
            [
                "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=30:duration=4", "-c:v", "libx264", "-preset",
                "ultrafast", "-f", "null", "-",
            ],
            expectedDuration: 4)
        async let finished = job.run()
        var reports = [FFmpegProgress]()
        for await report in job.progress { reports.append(report) }
        _ = try await finished
        let last = try #require(reports.last)
        #expect(last.isFinished)
        #expect(last.fraction == 1)
        #expect(last.frame == 120)
        let fractions = reports.compactMap(\.fraction)
        #expect(fractions == fractions.sorted())
    }

    @Test("cancelling the task terminates ffmpeg promptly")
    func cancellation() async throws {
        let ffmpeg = try await FFmpeg.locate()
        let clock = ContinuousClock()
        let start = clock.now
        let task = Task {
            try await ffmpeg.run(["-re", "-f", "lavfi", "-i", "sine=duration=60", "-f", "null", "-"])
        }
        try await Task.sleep(for: .milliseconds(500))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(clock.now - start < .seconds(10))
    }

    @Test("ffprobe reports streams, codecs, duration, resolution, frame rate and sample rate")
    func probe() async throws {
        let directory = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("probe me, [1]: it's 100%.mp4")
        let ffmpeg = try await FFmpeg.locate()
        try await ffmpeg.run([
            "-f", "lavfi", "-i", "testsrc2=size=180x320:rate=25:duration=2", "-f", "lavfi", "-i",
            "sine=sample_rate=44100:duration=2", "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p",
            "-c:a", "aac", "-shortest", "file:" + url.path,
        ])
        let probe = try await ffmpeg.probe(url)
        let video = try #require(probe.video)
        let audio = try #require(probe.audio)
        #expect(video.codecName == "h264" && video.width == 180 && video.height == 320)
        #expect(video.frameRate == 25)
        #expect(video.pixelFormat == "yuv420p")
        #expect(audio.codecName == "aac" && audio.sampleRate == 44_100 && audio.channels == 1)
        #expect(abs((probe.duration ?? 0) - 2) < 0.1)
        #expect(probe.formatName.contains("mp4"))
        #expect((probe.size ?? 0) > 0 && (probe.bitRate ?? 0) > 0)
        let error = await #expect(throws: FFmpegError.self) {
            try await ffmpeg.probe(directory.appendingPathComponent("none.mp4"))
        }
        #expect(error?.code == .failed)
    }
}
