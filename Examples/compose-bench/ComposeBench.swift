import ArgumentParser
import Foundation
import MediaIO
import UpscaleKit

#if canImport(Glibc)
    import Glibc
#endif

/// The composer against its floor, in one run: `VideoComposer` with UpscaleKit's `StillFrameRenderer`
/// (frames drawn in Swift, streamed to ffmpeg for libass and x264, the audio mastered) against x264 alone encoding
/// the very same frames from a raw yuv420p file with the same settings.
@main
struct ComposeBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compose-bench",
        abstract: "Time VideoComposer against x264 alone on the same frames, and print the ratio.",
        discussion: """
            Without --image, six stills are generated with ffmpeg (lavfi test patterns at the output size);
            without --voice, a tone as long as --seconds. The shots share --seconds evenly, joined by
            --crossfade crossfades, with the shot plan's motions (zoom in, pan right, zoom out, pan left, pan up,
            pan down). Modes:
              ratio    (default) x264 alone from raw frames, then the composer; prints both and the ratio
              compose  the composer only (for comparisons with other tools)
            With --clip-shots N, the first N shots are video clips instead of stills: generated with ffmpeg
            (lavfi patterns at --clip-size, x264, --clip-seconds long: by default a second longer than their shot,
            so they are trimmed; shorter clips are slowed or looped), decoded by one ffmpeg child per clip shot.
            The floor is the same: x264 alone on the very frames the composer draws.
            Build in release: swift build -c release --product compose-bench
            """
    )

    @Option(help: "Mode: ratio or compose.")
    var mode = "ratio"

    @Option(help: "Video length in seconds (the voice's length; 43.1 is the default story's).")
    var seconds = 43.1

    @Option(help: "Number of generated stills (ignored with --image).")
    var shots = 6

    @Option(name: .customLong("image"), help: "A still to use (repeat for several), instead of generated ones.")
    var images: [String] = []

    @Option(help: "A voice-over to use instead of a generated tone.")
    var voice: String?

    @Option(help: "Output width.")
    var width = 1080

    @Option(help: "Output height.")
    var height = 1920

    @Option(help: "Frames per second.")
    var fps = 30

    @Option(help: "x264 preset.")
    var preset = "veryfast"

    @Option(help: "x264 crf.")
    var crf = 20

    @Option(help: "Crossfade seconds between shots.")
    var crossfade = 0.5

    @Flag(inversion: .prefixedNo, help: "Burn generated subtitles (a cue every 1.5 s), as the story pipeline does.")
    var subtitles = true

    @Flag(help: "Also time today's zoompan path (VideoComposer without a renderer).")
    var zoompan = false

    @Option(help: "Render threads for the composer (0: its default).")
    var renderThreads = 0

    @Option(help: "How many shots, from the first, are video clips instead of stills.")
    var clipShots = 0

    @Option(help: "The generated clips' size, WIDTHxHEIGHT (1920x1080: a landscape clip cropped to fill).")
    var clipSize = "1920x1080"

    @Option(help: "The generated clips' length in seconds (default: a second longer than their shot).")
    var clipSeconds: Double?

    @Option(help: "Work folder (default: a fresh one under the temporary directory, removed afterwards).")
    var work: String?

    @Option(help: "Where to keep the composed MP4 (default: removed with the work folder).")
    var output: String?

    mutating func run() async throws {
        guard ["ratio", "compose"].contains(mode) else { throw ValidationError("--mode is ratio or compose") }
        guard seconds.isFinite, seconds > 1, seconds <= 3600 else { throw ValidationError("--seconds: 1 to 3600") }
        let ffmpeg = try await FFmpeg.locate()
        let folder =
            work.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("compose-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { if work == nil { try? FileManager.default.removeItem(at: folder) } }

        let composition = try await inputs(in: folder, ffmpeg: ffmpeg)
        let settings = RenderSettings(width: width, height: height, frameRate: fps, preset: preset, crf: crf)
        let renderer = StillFrameRenderer(configuration: .init(ffmpeg: ffmpeg))
        let composer = VideoComposer(ffmpeg: ffmpeg, frameRenderer: renderer, renderThreads: renderThreads)
        let timeline = try await composer.timeline(for: composition, settings: settings)
        let load =
            (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3)
            .joined(separator: " ") ?? "?"
        print(
            "\(timeline.totalFrames) frames, \(width)×\(height) at \(fps) fps, \(composition.shots.count) shots "
                + "(\(composition.shots.filter { $0.clip != nil }.count) clips), "
                + "x264 \(preset) crf \(crf), subtitles \(subtitles ? "burned" : "none"), "
                + "\(ProcessInfo.processInfo.activeProcessorCount) cores, load \(load), "
                + "\(composer.renderThreads) render threads")

        var floor: Measured?
        if mode == "ratio" {
            // The same frames, drawn once into a raw file (not part of the floor), then x264 alone on them.
            let raw = folder.appendingPathComponent("frames.yuv")
            let drawing = try await timeAsync { try await Self.draw(timeline, renderer: renderer, to: raw) }
            print(
                String(
                    format: "drawing the frames into a raw file, 1 thread: %.2f s wall, %.2f s CPU (%.0f frames/CPU-s)",
                    drawing.wall, drawing.cpu, Double(timeline.totalFrames) / drawing.cpu))
            let encode = try await timeAsync {
                try await ffmpeg.run(
                    [
                        "-f", "rawvideo", "-pix_fmt", "yuv420p", "-video_size", "\(width)x\(height)", "-framerate",
                        "\(fps)", "-i", "file:" + raw.path, "-c:v", "libx264", "-profile:v", "high", "-preset", preset,
                        "-crf", "\(crf)", "-pix_fmt", "yuv420p", "-colorspace", "bt709", "-color_primaries", "bt709",
                        "-color_trc", "bt709", "-color_range", "tv", "-threads", "0", "-f", "null", "-",
                    ])
            }
            try? FileManager.default.removeItem(at: raw)
            floor = encode
            print(String(format: "x264 alone from raw yuv420p: %.2f s wall, %.2f s CPU", encode.wall, encode.cpu))
        }
        let out = output.map { URL(fileURLWithPath: $0) } ?? folder.appendingPathComponent("composed.mp4")
        var rendered: RenderReport?
        let composed = try await timeAsync {
            rendered = try await composer.render(composition, settings: settings, to: out)
        }
        guard let report = rendered else { return }
        print(
            String(
                format: "VideoComposer with StillFrameRenderer: %.2f s wall, %.2f s CPU", composed.wall, composed.cpu))
        if !report.clips.isEmpty {
            let fits = report.clips.keys.sorted().compactMap { report.clips[$0].map { "\($0.fit)" } }
            print("clip fits: " + fits.joined(separator: " "))
        }
        if let floor {
            print(
                String(
                    format: "ratio composer / x264 alone: %.2f× wall, %.2f× CPU", composed.wall / floor.wall,
                    composed.cpu / floor.cpu))
        }
        if zoompan {
            let old = folder.appendingPathComponent("zoompan.mp4")
            let legacy = try await timeAsync {
                _ = try await VideoComposer(ffmpeg: ffmpeg).render(composition, settings: settings, to: old)
            }
            print(String(format: "VideoComposer with zoompan: %.2f s wall, %.2f s CPU", legacy.wall, legacy.cpu))
            if let floor {
                print(
                    String(
                        format: "ratio zoompan / x264 alone: %.2f× wall, %.2f× CPU", legacy.wall / floor.wall,
                        legacy.cpu / floor.cpu))
            }
        }
        // Last lines for scripts.
        print(String(format: "compose_seconds=%.3f", composed.wall))
        print(String(format: "compose_cpu_seconds=%.3f", composed.cpu))
    }

    /// The composition: given or generated stills, voice and subtitles.
    private func inputs(in folder: URL, ffmpeg: FFmpeg) async throws -> VideoComposition {
        var stills = images.map { URL(fileURLWithPath: $0) }
        if stills.isEmpty {
            let sources = ["testsrc2", "mandelbrot", "smptehdbars", "rgbtestsrc", "cellauto", "life"]
            for index in 0..<max(1, shots) {
                let url = folder.appendingPathComponent(String(format: "still-%02d.png", index))
                let source = "\(sources[index % sources.count])=size=\(width)x\(height)"
                try await ffmpeg.run(["-f", "lavfi", "-i", source, "-frames:v", "1", "-y", "file:" + url.path])
                stills.append(url)
            }
        }
        let voiceURL: URL
        if let voice {
            voiceURL = URL(fileURLWithPath: voice)
        } else {
            voiceURL = folder.appendingPathComponent("voice.wav")
            try await ffmpeg.run([
                "-f", "lavfi", "-i", "sine=frequency=180:sample_rate=48000:duration=\(seconds)", "-af", "volume=-12dB",
                "-y", "file:" + voiceURL.path,
            ])
        }
        var subtitleURL: URL?
        if subtitles {
            let cues = stride(from: 0.0, to: seconds - 0.5, by: 1.5).map {
                SubtitleCue(start: $0, end: min(seconds, $0 + 1.4), text: "Every word is timed")
            }
            let url = folder.appendingPathComponent("subtitles.ass")
            let style = ASSStyle.vertical1080x1920.scaled(toWidth: width, height: height)
            try ASS.format(cues, style: style).write(to: url, atomically: true, encoding: .utf8)
            subtitleURL = url
        }
        // The shot plan's six motions, in its order.
        let motions: [VideoComposition.Motion] = [
            .zoomIn, .pan(.right), .zoomOut, .pan(.left), .pan(.up), .pan(.down),
        ]
        let count = stills.count
        // Shots share the length; each lasts half a crossfade longer at each joined end.
        let each = seconds / Double(count)
        var shots = [VideoComposition.Shot]()
        for (index, url) in stills.enumerated() {
            let extra = (index > 0 ? crossfade / 2 : 0) + (index < count - 1 ? crossfade / 2 : 0)
            if index < clipShots {
                let clip = try await makeClip(
                    index, seconds: clipSeconds ?? each + extra + 1, in: folder, ffmpeg: ffmpeg)
                shots.append(VideoComposition.Shot(clip: .init(file: clip), duration: each + extra))
            } else {
                shots.append(
                    VideoComposition.Shot(image: url, duration: each + extra, motion: motions[index % motions.count]))
            }
        }
        return VideoComposition(
            shots: shots, transitions: Array(repeating: .crossfade(crossfade), count: max(0, count - 1)),
            voice: voiceURL, subtitles: subtitleURL)
    }

    /// A moving test clip for shot `index`: a lavfi pattern at ``clipSize``, x264 ultrafast, `seconds` long.
    private func makeClip(_ index: Int, seconds: Double, in folder: URL, ffmpeg: FFmpeg) async throws -> URL {
        let sources = ["testsrc2", "mandelbrot", "testsrc", "rgbtestsrc", "life", "cellauto"]
        let url = folder.appendingPathComponent(String(format: "clip-%02d.mp4", index))
        let source = "\(sources[index % sources.count])=size=\(clipSize):rate=30"
        try await ffmpeg.run([
            "-f", "lavfi", "-i", source, "-t", String(format: "%.3f", seconds), "-c:v", "libx264", "-preset",
            "ultrafast", "-pix_fmt", "yuv420p", "-y", "file:" + url.path,
        ])
        return url
    }

    /// Draws every frame of `timeline` in order on a thread of its own (its clips decoded alongside) and appends
    /// it to `url`.
    private static func draw(_ timeline: VideoTimeline, renderer: StillFrameRenderer, to url: URL) async throws {
        let source = try renderer.makeSource(timeline)
        guard FileManager.default.createFile(atPath: url.path, contents: nil) else {
            throw ValidationError("cannot create \(url.path)")
        }
        let handle = try FileHandle(forWritingTo: url)
        defer { try? handle.close() }
        async let decoding: Void = source.run()
        let drawn: Result<Void, any Error> = await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(
                    returning: Result {
                        var frame = try YUV420Frame(width: timeline.width, height: timeline.height)
                        for index in 0..<timeline.totalFrames {
                            try source.render(frame: index, into: &frame)
                            try frame.bytes.withUnsafeBytes { try handle.write(contentsOf: $0) }
                        }
                    })
            }
            thread.start()
        }
        source.finish()
        try await decoding
        try drawn.get()
    }
}

/// Wall time and CPU time (this process and its finished children, user + system) of a piece of work. CPU time is
/// the fairer measure on a shared machine: it does not count the time the work waited for a core.
struct Measured {
    var wall: Double
    var cpu: Double
}

private func cpuSeconds() -> Double {
    var total = 0.0
    // 0 and −1: RUSAGE_SELF and RUSAGE_CHILDREN, the same numbers on Linux and Darwin (Glibc imports the names as
    // an enum that getrusage does not take).
    for who: Int32 in [0, -1] {
        var usage = rusage()
        #if canImport(Glibc)
            _ = getrusage(__rusage_who_t(who), &usage)
        #else
            _ = getrusage(who, &usage)
        #endif
        total += Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
        total += Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    }
    return total
}

private func timeAsync(_ body: () async throws -> Void) async throws -> Measured {
    let clock = ContinuousClock()
    let (start, cpu) = (clock.now, cpuSeconds())
    try await body()
    return Measured(wall: seconds(clock.now - start), cpu: cpuSeconds() - cpu)
}

private func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
