import ArgumentParser
import Dispatch
import Foundation
import MediaIO
import UpscaleKit

/// Frames per second of UpscaleKit's `StillFrameRenderer` alone (no encoder), on one thread and on
/// several, for the still sizes the story pipeline produces.
@main
struct FrameBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "frame-bench",
        abstract: "Measure StillFrameRenderer's frames/s (no encoding), one thread and several.",
        discussion: """
            For each source size a synthetic photo-like still (gradients, edges, noise) is written as a PNG,
            its first frame is drawn (decoding and converting the still, timed apart), then --frames frames
            of a moving shot are drawn on one thread and on --threads threads. Build in release:
              swift run -c release frame-bench
            """
    )

    @Option(help: "Source still sizes, WIDTHxHEIGHT, comma-separated.")
    var sources = "2160x3840,1080x1920,1024x1792"

    @Option(help: "Output frame size, WIDTHxHEIGHT.")
    var output = "1080x1920"

    @Option(help: "Frames drawn per measurement.")
    var frames = 300

    @Option(help: "Threads for the parallel measurement.")
    var threads = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Motion: zoom-in, zoom-out, pan-right, pan-up-left, still, crossfade (two zooming shots blended).")
    var motion = "zoom-in"

    @Option(help: "Zoom amount (RenderSettings.zoomAmount).")
    var zoom = 0.1

    @Option(help: "A real still to use instead of the synthetic ones (PNG or JPEG).")
    var input: String?

    func run() throws {
        let (outputWidth, outputHeight) = try Self.size(output)
        let directory = FileManager.default.temporaryDirectory.appending(path: "frame-bench-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var stills: [(String, URL)] = []
        if let input {
            stills.append((input, URL(filePath: input)))
        } else {
            for text in sources.split(separator: ",") {
                let (width, height) = try Self.size(String(text))
                let url = directory.appending(path: "still-\(width)x\(height).png")
                try ImageEncoder(format: .png(.init(compressionLevel: 1))).write(
                    Self.syntheticStill(width: width, height: height), to: url)
                stills.append(("\(width)x\(height)", url))
            }
        }
        print(
            "output \(outputWidth)x\(outputHeight), motion \(motion), zoom \(zoom), \(frames) frames, easing easeInOut")
        for (name, url) in stills {
            let timeline = try makeTimeline(url, width: outputWidth, height: outputHeight)
            let source = try StillFrameRenderer().makeSource(timeline)
            var frame = try YUV420Frame(width: outputWidth, height: outputHeight)
            let clock = ContinuousClock()
            let first = try clock.measure { try source.render(frame: 0, into: &frame) }
            let cpuStart = Self.threadCPUSeconds()
            let single = try clock.measure {
                for index in 1...frames { try source.render(frame: index, into: &frame) }
            }
            // On a shared machine the thread's CPU time is the one-core figure; wall time includes waits.
            let singleCPU = Self.threadCPUSeconds() - cpuStart
            let parallel = try clock.measure { try renderParallel(source, width: outputWidth, height: outputHeight) }
            let singleRate = Double(frames) / Self.seconds(single)
            let cpuRate = Double(frames) / singleCPU
            let parallelRate = Double(frames) / Self.seconds(parallel)
            print(
                "source \(name): first frame (decode + convert + draw) \(Self.milliseconds(first)) ms; "
                    + "1 thread \(String(format: "%.1f", cpuRate)) frames/s of CPU time "
                    + "(\(String(format: "%.2f", 1000 / cpuRate)) ms/frame; wall \(String(format: "%.1f", singleRate)) "
                    + "frames/s); "
                    + "\(threads) threads \(String(format: "%.1f", parallelRate)) frames/s")
        }
    }

    private func makeTimeline(_ url: URL, width: Int, height: Int) throws -> VideoTimeline {
        let count = frames + 1
        let chosen: VideoComposition.Motion
        switch motion {
        case "zoom-in", "crossfade": chosen = .zoomIn
        case "zoom-out": chosen = .zoomOut
        case "pan-right": chosen = .pan(.right)
        case "pan-up-left": chosen = .pan(.upLeft)
        case "still": chosen = .still
        default: throw ValidationError("unknown motion \(motion)")
        }
        var shots = [VideoTimeline.Shot(image: url, motion: chosen, startFrame: 0, frameCount: count)]
        if motion == "crossfade" {
            // Two shots overlapping on every frame after the first: each frame draws and blends both.
            shots[0].frameCount = count + 1
            shots.append(VideoTimeline.Shot(image: url, motion: .zoomOut, startFrame: 1, frameCount: count))
        }
        return VideoTimeline(
            shots: shots, totalFrames: count + (motion == "crossfade" ? 1 : 0), width: width, height: height,
            frameRate: 30, zoomAmount: zoom, easing: .easeInOut)
    }

    private func renderParallel(_ source: StillFrameSource, width: Int, height: Int) throws {
        let failures = DispatchQueue(label: "frame-bench.failures")
        nonisolated(unsafe) var failure: (any Error)?
        let threads = max(1, self.threads)
        let frames = self.frames
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            do {
                var frame = try YUV420Frame(width: width, height: height)
                for index in stride(from: 1 + thread, through: frames, by: threads) {
                    try source.render(frame: index, into: &frame)
                }
            } catch {
                failures.sync { failure = error }
            }
        }
        if let failure { throw failure }
    }

    /// A photo-like RGB still: smooth gradients, a few hard edges and fine deterministic noise, so that
    /// neither the PNG nor the resampler meets an unrealistically flat picture.
    static func syntheticStill(width: Int, height: Int) throws -> PixelBuffer {
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        var seed: UInt32 = 0x9E37_79B9
        for y in 0..<height {
            for x in 0..<width {
                seed = seed &* 1_664_525 &+ 1_013_904_223
                let noise = Double(seed >> 24) / 255 - 0.5
                let u = Double(x) / Double(width)
                let v = Double(y) / Double(height)
                let edge = (x / 97 + y / 131) % 2 == 0 ? 0.15 : 0
                let r = 0.5 + 0.3 * sin(9 * u + 2 * v) + edge + 0.05 * noise
                let g = 0.5 + 0.3 * cos(7 * v - 3 * u) - edge + 0.05 * noise
                let b = 0.5 + 0.25 * sin(23 * u * v) + 0.05 * noise
                let base = (y * width + x) * 3
                bytes[base] = UInt8(clamping: Int(r * 255))
                bytes[base + 1] = UInt8(clamping: Int(g * 255))
                bytes[base + 2] = UInt8(clamping: Int(b * 255))
            }
        }
        return try PixelBuffer(width: width, height: height, layout: .rgb, componentType: .uint8, bytes: bytes)
    }

    static func size(_ text: String) throws -> (Int, Int) {
        let parts = text.split(separator: "x")
        guard parts.count == 2, let width = Int(parts[0]), let height = Int(parts[1]), width > 0, height > 0 else {
            throw ValidationError("\(text): expected WIDTHxHEIGHT")
        }
        return (width, height)
    }

    static func threadCPUSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
    }

    static func milliseconds(_ duration: Duration) -> String { String(format: "%.1f", seconds(duration) * 1000) }
}
