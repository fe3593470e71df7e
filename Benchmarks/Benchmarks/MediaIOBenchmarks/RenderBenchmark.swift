import Benchmark
import Foundation
import MediaIO
import StoryForgeCore

// A 45-second 1080×1920 render: 8 shots with Ken Burns motion, 0.5 s crossfades, an espeak-ng voice,
// looped music and burned karaoke subtitles, with the default RenderSettings (x264 veryfast, CRF 20,
// 2× motion prescale). Slow (minutes on two cores), so it runs only with STORYFORGE_BENCH_RENDER=1.
// It prints the render report: total seconds and the share spent inside ffmpeg.
func registerRenderBenchmark() {
    guard ProcessInfo.processInfo.environment["STORYFORGE_BENCH_RENDER"] == "1" else { return }
    Benchmark(
        "Render 45 s 1080x1920, 8 shots, crossfades, music, burned subtitles",
        configuration: .init(metrics: [.wallClock], warmupIterations: 0, maxDuration: .seconds(1), maxIterations: 1)
    ) { benchmark in
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("render-bench-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let sources = [
            "testsrc2", "smptehdbars", "mandelbrot", "rgbtestsrc", "testsrc", "smptebars", "cellauto", "life",
        ]
        let sizes = [
            "1600x1200", "1080x1920", "2048x2048", "1920x1080", "1200x1600", "800x600", "1280x720", "1024x1024",
        ]
        var images = [URL]()
        for (index, source) in sources.enumerated() {
            let url = directory.appendingPathComponent("shot\(index).png")
            try tool(
                "ffmpeg",
                [
                    "-y", "-loglevel", "error", "-f", "lavfi", "-i", "\(source)=size=\(sizes[index])", "-frames:v", "1",
                    url.path,
                ])
            images.append(url)
        }
        let voice = directory.appendingPathComponent("voice.wav")
        let text = String(
            repeating: "The lighthouse keeper climbed the stairs every evening and watched the ships. ", count: 9)
        try tool("espeak-ng", ["-s", "150", "-w", voice.path, text])
        let music = directory.appendingPathComponent("music.wav")
        try tool(
            "ffmpeg",
            ["-y", "-loglevel", "error", "-f", "lavfi", "-i", "sine=frequency=196:duration=7", "-ac", "2", music.path])
        let ffmpeg = try await FFmpeg.locate()
        let voiceDuration = try await ffmpeg.probe(voice).duration ?? 45
        let words = text.split(separator: " ").map(String.init)
        let step = voiceDuration / Double(words.count)
        let timed = words.enumerated().map {
            TimedWord($0.element, start: Double($0.offset) * step, end: Double($0.offset + 1) * step - 0.02)
        }
        let subtitles = directory.appendingPathComponent("subs.ass")
        try ASS.format(SubtitleSegmenter().segment(timed), karaoke: true).write(
            to: subtitles, atomically: true, encoding: .utf8)
        let motions: [VideoComposition.Motion] = [
            .zoomIn, .pan(.right), .zoomOut, .pan(.up), .zoomIn, .pan(.left), .zoomOut, .pan(.down),
        ]
        // 45 s of picture (8 shots, 7 fades of 0.5 s); the voice (~43 s) is padded to it.
        let shotDuration = (45 + 7 * 0.5) / 8
        let composition = VideoComposition(
            shots: images.enumerated().map {
                .init(image: $0.element, duration: shotDuration, motion: motions[$0.offset])
            },
            transitions: Array(repeating: .crossfade(0.5), count: 7), voice: voice, music: music, subtitles: subtitles)
        let output = directory.appendingPathComponent("render.mp4")
        benchmark.startMeasurement()
        let report = try await VideoComposer(ffmpeg: ffmpeg).render(composition, to: output)
        benchmark.stopMeasurement()
        print(
            String(
                format:
                    "render: %.1f s of video, %d frames, %.1f s total, %.1f s in ffmpeg (%.1f %%), loudness %.2f LUFS, TP %.2f dBTP",
                report.duration, report.frameCount, report.totalSeconds, report.ffmpegSeconds,
                100 * report.ffmpegSeconds / report.totalSeconds, report.loudness.integrated, report.loudness.truePeak))
    }
}

private func tool(_ name: String, _ arguments: [String]) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = [name] + arguments
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
}
