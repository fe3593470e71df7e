import Foundation
import MediaIO
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The composer with a frame renderer: frames drawn in Swift and streamed into ffmpeg's stdin as raw yuv420p.
@Suite("Video composer with a frame renderer", .serialized)
struct FrameStreamingTests {
    static func frameCount(_ url: URL) throws -> Int? {
        let frames = try runTool(
            "ffprobe",
            [
                "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames",
                "-of", "csv=p=0", url.path,
            ])
        return Int(frames.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// The decoded luma planes of a video, frame by frame.
    static func lumaPlanes(_ url: URL, width: Int, height: Int, in directory: URL) throws -> [[UInt8]] {
        let raw = directory.appendingPathComponent("decoded-\(UUID().uuidString).gray")
        try ffmpeg(["-i", url.path, "-f", "rawvideo", "-pix_fmt", "gray", raw.path])
        let data = [UInt8](try Data(contentsOf: raw))
        try FileManager.default.removeItem(at: raw)
        let size = width * height
        return stride(from: 0, to: data.count - size + 1, by: size).map { Array(data[$0..<($0 + size)]) }
    }

    @Test(
        "a renderer-driven render is a valid MP4: every timeline frame in order, audio as long as video, High yuv420p BT.709, frames in flight bounded"
    )
    func validVideo() async throws {
        let fixtures = try ComposerFixtures()
        defer { fixtures.remove() }
        let ffmpeg = try await FFmpeg.locate()
        let log = RenderLog(keepsLuma: true)
        let composer = VideoComposer(ffmpeg: ffmpeg, frameRenderer: TestFrameRenderer(log: log), renderThreads: 3)
        #expect(composer.framesInFlight == 6)
        let composition = VideoComposition(
            shots: [
                .init(image: fixtures.landscape, duration: 1, motion: .zoomIn),
                .init(image: fixtures.portrait, duration: 1.5, motion: .pan(.downRight)),
                .init(image: fixtures.square, duration: 1, motion: .zoomOut),
            ], transitions: [.crossfade(0.5), .crossfade(0.5)], voice: fixtures.voice)
        let output = fixtures.directory.appendingPathComponent("frames.mp4")
        let fractions = FractionLog()
        let report = try await composer.render(composition, settings: ComposerFixtures.settings, to: output) {
            fractions.append($0)
        }

        // The timeline has the zoompan path's arithmetic: 30 + 45 + 30 frames, 15-frame fades, the last shot held
        // to the voice.
        let timeline = try #require(log.timeline)
        let voiceFrames = Int(((try await ffmpeg.probe(fixtures.voice).duration ?? 0) * 30).rounded())
        #expect(timeline.shots.map(\.startFrame) == [0, 15, 45])
        #expect(timeline.shots.map(\.frameCount) == [30, 45, max(30, voiceFrames - 45)])
        #expect(timeline.totalFrames == max(75, voiceFrames))
        #expect(timeline.width == 180 && timeline.height == 320 && timeline.frameRate == 30)
        #expect(report.frameCount == timeline.totalFrames)
        #expect(try Self.frameCount(output) == timeline.totalFrames)
        #expect(log.framesRendered == timeline.totalFrames)

        let probe = try await ffmpeg.probe(output)
        let video = try #require(probe.video)
        #expect(video.codecName == "h264" && video.profile == "High" && video.pixelFormat == "yuv420p")
        #expect(video.width == 180 && video.height == 320 && video.frameRate == 30)
        #expect(video.colorSpace == "bt709" && video.colorPrimaries == "bt709" && video.colorTransfer == "bt709")
        let audio = try #require(probe.audio)
        #expect(audio.codecName == "aac" && audio.sampleRate == 48_000)
        // Within a frame, plus an AAC frame (21.3 ms) of priming.
        #expect(abs((audio.duration ?? 0) - (video.duration ?? 0)) <= 1.0 / 30 + 0.025)

        // What was drawn is what was encoded, frame for frame (x264 at crf 28 keeps well over 25 dB; a frame out of
        // order, from another shot, falls near 10 dB).
        let decoded = try Self.lumaPlanes(output, width: 180, height: 320, in: fixtures.directory)
        #expect(decoded.count == timeline.totalFrames)
        for (index, plane) in decoded.enumerated() {
            let drawn = try #require(log.luma(index))
            let quality = psnr(plane, drawn)
            #expect(quality > 25, "frame \(index): \(quality) dB")
        }

        // Bounded memory: never more buffers than frames in flight, never more draws at once than threads.
        #expect(log.distinctBuffers <= composer.framesInFlight, "\(log.distinctBuffers) buffers")
        #expect(log.peakConcurrency <= composer.renderThreads)
        // Progress counts frames written, up to 1.
        let reported = fractions.values
        #expect(reported.last == 1)
        #expect(zip(reported, reported.dropFirst()).allSatisfy { $0 < $1 })
    }

    @Test("burned subtitles are drawn by libass into the streamed frames")
    func burnedSubtitles() async throws {
        let fixtures = try ComposerFixtures()
        defer { fixtures.remove() }
        let subtitles = fixtures.directory.appendingPathComponent("subs.ass")
        try ASS.format([SubtitleCue(start: 0, end: 2, text: "Hello there")]).write(
            to: subtitles, atomically: true, encoding: .utf8)
        let ffmpeg = try await FFmpeg.locate()
        let composer = VideoComposer(ffmpeg: ffmpeg, frameRenderer: TestFrameRenderer())
        let plain = VideoComposition(shots: [.init(image: fixtures.square, duration: 1)])
        var titled = plain
        titled.subtitles = subtitles
        let without = fixtures.directory.appendingPathComponent("plain.mp4")
        let with = fixtures.directory.appendingPathComponent("titled.mp4")
        _ = try await composer.render(plain, settings: ComposerFixtures.settings, to: without)
        _ = try await composer.render(titled, settings: ComposerFixtures.settings, to: with)
        let a = try Self.lumaPlanes(without, width: 180, height: 320, in: fixtures.directory)
        let b = try Self.lumaPlanes(with, width: 180, height: 320, in: fixtures.directory)
        #expect(a.count == 30 && b.count == 30)
        // The default style sits 350 of 1920 canvas pixels above the bottom: in the lower half of the frame.
        var upper = 0
        var lower = 0
        for offset in 0..<(180 * 320) where abs(Int(a[15][offset]) - Int(b[15][offset])) > 40 {
            if offset / 180 < 160 { upper += 1 } else { lower += 1 }
        }
        #expect(lower > 100, "\(lower) changed pixels where the subtitle is")
        #expect(upper < 20, "\(upper) changed pixels above it")
    }

    @Test("ffmpeg killed mid-stream: a typed broken-pipe error with its stderr tail, no SIGPIPE, nothing left behind")
    func ffmpegDiesMidStream() async throws {
        let fixtures = try ComposerFixtures()
        defer { fixtures.remove() }
        let ffmpeg = try await FFmpeg.locate()
        let marker = fixtures.directory.lastPathComponent
        let renderer = TestFrameRenderer(onFrame: { index in
            guard index == 60 else { return }
            for line in (try? ffmpegProcesses(mentioning: marker)) ?? [] {
                if let pid = pid_t(line) { kill(pid, SIGKILL) }
            }
        })
        let composition = VideoComposition(shots: [.init(image: fixtures.landscape, duration: 10, motion: .zoomIn)])
        let output = fixtures.directory.appendingPathComponent("killed.mp4")
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: fixtures.directory.path))
        let error = await #expect(throws: FFmpegError.self) {
            _ = try await VideoComposer(ffmpeg: ffmpeg, frameRenderer: renderer).render(
                composition, settings: ComposerFixtures.settings, to: output)
        }
        #expect(error?.code == .brokenPipe, "\(String(describing: error))")
        #expect(error?.exitStatus == SIGKILL)
        #expect(error?.stderrTail.contains("rawvideo") == true, "\(error?.stderrTail ?? "")")
        #expect(error?.commandLine.contains("pipe:0") == true)
        #expect(!FileManager.default.fileExists(atPath: output.path))
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: fixtures.directory.path))
        #expect(after == before, "left behind: \(after.subtracting(before))")
    }

    @Test("ffmpeg failing on its own mid-stream (a full disk) reports its own words")
    func diskFull() async throws {
        let fixtures = try ComposerFixtures()
        defer { fixtures.remove() }
        let ffmpeg = try await FFmpeg.locate()
        // The pictures MP4 in the composer's work folder is made a link to /dev/full before ffmpeg starts:
        // every write ffmpeg makes to it fails with ENOSPC, as on a full disk.
        let directory = fixtures.directory
        let renderer = TestFrameRenderer(onPrepare: { _ in
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            let work = try #require(names.first { $0.hasPrefix(".storyforge-render-") })
            try FileManager.default.createSymbolicLink(
                atPath: directory.appendingPathComponent(work).appendingPathComponent("pictures.mp4").path,
                withDestinationPath: "/dev/full")
        })
        let composition = VideoComposition(shots: [.init(image: fixtures.landscape, duration: 10, motion: .zoomIn)])
        let output = directory.appendingPathComponent("full.mp4")
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
        let error = await #expect(throws: FFmpegError.self) {
            _ = try await VideoComposer(ffmpeg: ffmpeg, frameRenderer: renderer).render(
                composition, settings: ComposerFixtures.settings, to: output)
        }
        #expect(error?.code == .brokenPipe, "\(String(describing: error))")
        #expect(error?.message.contains("No space left on device") == true, "\(error?.message ?? "")")
        #expect(error?.stderrTail.contains("No space left on device") == true)
        #expect(!FileManager.default.fileExists(atPath: output.path))
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
        #expect(after == before, "left behind: \(after.subtracting(before))")
    }

    @Test("a renderer that throws: its error comes out, ffmpeg and the render threads are stopped, nothing is left")
    func rendererThrows() async throws {
        let fixtures = try ComposerFixtures()
        defer { fixtures.remove() }
        let ffmpeg = try await FFmpeg.locate()
        let log = RenderLog()
        let renderer = TestFrameRenderer(log: log, failAt: 20)
        let composition = VideoComposition(shots: [.init(image: fixtures.square, duration: 10, motion: .zoomOut)])
        let output = fixtures.directory.appendingPathComponent("failed.mp4")
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: fixtures.directory.path))
        await #expect(throws: TestRenderError(frame: 20)) {
            _ = try await VideoComposer(ffmpeg: ffmpeg, frameRenderer: renderer).render(
                composition, settings: ComposerFixtures.settings, to: output)
        }
        #expect(try ffmpegProcesses(mentioning: fixtures.directory.lastPathComponent).isEmpty)
        #expect(log.rendering == 0)
        #expect(log.framesRendered < 300)
        #expect(!FileManager.default.fileExists(atPath: output.path))
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: fixtures.directory.path))
        #expect(after == before, "left behind: \(after.subtracting(before))")
    }

    @Test("cancelling mid-render stops the renderer and ffmpeg together and leaves nothing")
    func cancellation() async throws {
        let fixtures = try ComposerFixtures()
        defer { fixtures.remove() }
        let ffmpeg = try await FFmpeg.locate()
        let log = RenderLog()
        let started = AsyncStream<Void>.makeStream()
        // Frame 30 tells the test to cancel; later frames take 50 ms each, so the render is still drawing when the
        // cancellation lands, however loaded the machine.
        let renderer = TestFrameRenderer(
            log: log,
            onFrame: { index in
                if index == 30 { started.continuation.yield() }
                if index > 30 { Thread.sleep(forTimeInterval: 0.05) }
            })
        let composition = VideoComposition(shots: [.init(image: fixtures.landscape, duration: 12, motion: .zoomIn)])
        let output = fixtures.directory.appendingPathComponent("cancelled.mp4")
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: fixtures.directory.path))
        let task = Task {
            try await VideoComposer(ffmpeg: ffmpeg, frameRenderer: renderer).render(
                composition, settings: ComposerFixtures.settings, to: output)
        }
        for await _ in started.stream { break }
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        #expect(try ffmpegProcesses(mentioning: fixtures.directory.lastPathComponent).isEmpty)
        #expect(log.rendering == 0)
        let rendered = log.framesRendered
        try await Task.sleep(for: .milliseconds(100))
        #expect(log.framesRendered == rendered, "frames were drawn after the render returned")
        #expect(rendered < 360)
        #expect(!FileManager.default.fileExists(atPath: output.path))
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: fixtures.directory.path))
        #expect(after == before, "left behind: \(after.subtracting(before))")
    }
}

/// Progress fractions as reported. `@unchecked Sendable`: `lock` guards `stored`.
final class FractionLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Double] = []
    var values: [Double] { lock.withLock { stored } }
    func append(_ value: Double) { lock.withLock { stored.append(value) } }
}
