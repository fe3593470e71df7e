import Benchmark
import MediaIO
import UpscaleKit

/// The learned super-resolution model at ×2, ×4 and ×8 (cascade) on the same photographs, with one
/// thread and with all of them; the quality guard is off, so the figures are the upscale alone.
func learnedBenchmarks(inputs: [(size: Int, image: PixelBuffer)]) {
    for (size, image) in inputs {
        for factor in [2, 4, 8] {
            for threads in [1, 0] {
                let configuration = Upscaler.Configuration(
                    method: .learned(),
                    target: .factor(factor),
                    threads: threads == 0 ? .automatic : .count(threads)
                )
                let label = threads == 0 ? "all threads" : "1 thread"
                let megapixels = Double(size * factor * size * factor) / 1e6
                Benchmark(
                    "learned ×\(factor) \(size)² (\(String(format: "%.1f", megapixels)) Mpix out, \(label))"
                ) { benchmark in
                    for _ in benchmark.scaledIterations {
                        blackHole(try await Upscaler(configuration: configuration).upscale(image))
                    }
                }
            }
        }
    }
}
