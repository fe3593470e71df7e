import Benchmark
import Foundation
import MediaIO
import UpscaleKit

// StillFrameRenderer alone (no encoder): 1080×1920 frames of a zooming shot from the still sizes the
// story pipeline produces (2160×3840 after the upscale stage, 1080×1920 and 1024×1792 before), on one
// thread. One iteration is one frame, so throughput is frames per second. The still is a synthetic
// photo-like picture written as a PNG; its decode and conversion happen before the measurement.
func frameRendererBenchmarks() {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("storyforge-frame-bench")
    for (width, height) in [(2160, 3840), (1080, 1920), (1024, 1792)] {
        Benchmark(
            "StillFrameRenderer 1080×1920 zoom-in from \(width)×\(height) (1 thread, frames)",
            configuration: .init(
                metrics: [.wallClock, .throughput, .mallocCountTotal], warmupIterations: 10, scalingFactor: .one,
                maxDuration: .seconds(3), maxIterations: 2000)
        ) { benchmark in
            let url = try syntheticStill(width: width, height: height, in: directory)
            let frames = 600
            let timeline = VideoTimeline(
                shots: [.init(image: url, motion: .zoomIn, startFrame: 0, frameCount: frames)], totalFrames: frames,
                width: 1080, height: 1920, frameRate: 30, zoomAmount: 0.1, easing: .easeInOut)
            let source = try StillFrameRenderer().makeSource(timeline)
            var frame = try YUV420Frame(width: 1080, height: 1920)
            try source.render(frame: 0, into: &frame)  // decodes the still
            benchmark.startMeasurement()
            for iteration in benchmark.scaledIterations {
                try source.render(frame: 1 + iteration % (frames - 1), into: &frame)
            }
            benchmark.stopMeasurement()
            blackHole(frame.bytes[0])
        }
    }
}

/// A photo-like RGB still (gradients, hard edges, fine noise) as a PNG, written once per size.
private func syntheticStill(width: Int, height: Int, in directory: URL) throws -> URL {
    let url = directory.appendingPathComponent("still-\(width)x\(height).png")
    if FileManager.default.fileExists(atPath: url.path) { return url }
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    var bytes = [UInt8](repeating: 0, count: width * height * 3)
    var seed: UInt32 = 0x9E37_79B9
    for y in 0..<height {
        for x in 0..<width {
            seed = seed &* 1_664_525 &+ 1_013_904_223
            let noise = Double(seed >> 24) / 255 - 0.5
            let (u, v) = (Double(x) / Double(width), Double(y) / Double(height))
            let edge = (x / 97 + y / 131) % 2 == 0 ? 0.15 : 0
            let base = (y * width + x) * 3
            bytes[base] = UInt8(clamping: Int((0.5 + 0.3 * sin(9 * u + 2 * v) + edge + 0.05 * noise) * 255))
            bytes[base + 1] = UInt8(clamping: Int((0.5 + 0.3 * cos(7 * v - 3 * u) - edge + 0.05 * noise) * 255))
            bytes[base + 2] = UInt8(clamping: Int((0.5 + 0.25 * sin(23 * u * v) + 0.05 * noise) * 255))
        }
    }
    let image = try PixelBuffer(width: width, height: height, layout: .rgb, componentType: .uint8, bytes: bytes)
    try ImageEncoder(format: .png(.init(compressionLevel: 1))).write(image, to: url)
    return url
}
