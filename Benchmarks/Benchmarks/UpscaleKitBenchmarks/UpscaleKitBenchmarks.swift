import Benchmark
import Foundation
import MediaIO
import UpscaleKit

// Output throughput of every kernel at ×2, ×4 and ×8 on 512² and 1024² RGB8 photographs, with one
// thread and with all of them. Throughput is upscales per second: multiply by the output
// megapixels in the name for Mpix/s. Inputs: Benchmarks/Scripts/make-bench-photos.sh (the 1024²
// photograph and its centre 512² crop); set STORYFORGE_BENCH_INPUTS to use another folder.
let benchmarks: @Sendable () -> Void = {
    // Synthetic stills: these need no inputs.
    frameRendererBenchmarks()
    let inputs =
        ProcessInfo.processInfo.environment["STORYFORGE_BENCH_INPUTS"].map(URL.init(fileURLWithPath:))
        ?? URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".bench-inputs")
    guard let photo = try? ImageDecoder().decode(contentsOf: inputs.appendingPathComponent("photo-1024.png")).pixels
    else {
        print(
            "skipping UpscaleKit benchmarks: run Benchmarks/Scripts/make-bench-photos.sh first (looked in \(inputs.path))"
        )
        return
    }
    let crop = centreCrop(photo, size: 512)

    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal],
        warmupIterations: 1,
        scalingFactor: .one,
        maxDuration: .seconds(2),
        maxIterations: 20
    )

    learnedBenchmarks(inputs: [(512, crop), (1024, photo)])

    for (size, image) in [(512, crop), (1024, photo)] {
        for factor in [2, 4, 8] {
            for kernel in ResamplingKernel.allCases {
                for threads in [1, 0] {
                    let configuration = Upscaler.Configuration(
                        method: .resample(kernel),
                        target: .factor(factor),
                        threads: threads == 0 ? .automatic : .count(threads)
                    )
                    let label = threads == 0 ? "all threads" : "1 thread"
                    let megapixels = Double(size * factor * size * factor) / 1e6
                    Benchmark(
                        "\(kernel) ×\(factor) \(size)² (\(String(format: "%.1f", megapixels)) Mpix out, \(label))"
                    ) { benchmark in
                        for _ in benchmark.scaledIterations {
                            blackHole(try await Upscaler(configuration: configuration).upscale(image))
                        }
                    }
                }
            }
        }
    }
}

private func centreCrop(_ image: PixelBuffer, size: Int) -> PixelBuffer {
    let x0 = (image.width - size) / 2
    let y0 = (image.height - size) / 2
    var bytes: [UInt8] = []
    bytes.reserveCapacity(size * size * image.bytesPerPixel)
    image.withUnsafeBytes { raw in
        for y in y0..<(y0 + size) {
            let start = y * image.rowStride + x0 * image.bytesPerPixel
            bytes += raw[start..<(start + size * image.bytesPerPixel)]
        }
    }
    return
        (try? PixelBuffer(
            width: size, height: size, layout: image.layout, componentType: image.componentType, bytes: bytes))
        ?? image
}
