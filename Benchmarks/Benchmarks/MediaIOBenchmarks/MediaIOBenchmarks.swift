import Benchmark
import Foundation
import MediaIO

// Decode and encode throughput of the PNG and JPEG codecs on photographs.
//
// Inputs come from Benchmarks/Scripts/make-bench-photos.sh (photographs from a Debian wallpaper
// package, cut to 1024² and 4096²); set STORYFORGE_BENCH_INPUTS to use another folder. Encoding
// uses the settings the Pillow comparison uses: PNG zlib level 6, JPEG quality 90 with 4:2:0.
let benchmarks: @Sendable () -> Void = {
    let inputs =
        ProcessInfo.processInfo.environment["STORYFORGE_BENCH_INPUTS"].map(URL.init(fileURLWithPath:))
        ?? URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".bench-inputs")

    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident],
        warmupIterations: 1,
        scalingFactor: .one,
        maxDuration: .seconds(5),
        maxIterations: 50
    )

    for size in [1024, 4096] {
        for format in ImageFormat.allCases {
            let name = "photo-\(size).\(format == .png ? "png" : "jpg")"
            guard let data = try? Data(contentsOf: inputs.appendingPathComponent(name)) else {
                print("skipping \(name): run Benchmarks/Scripts/make-bench-photos.sh first (looked in \(inputs.path))")
                continue
            }
            let encoder =
                format == .png
                ? ImageEncoder(format: .png(.init(compressionLevel: 6)))
                : ImageEncoder(format: .jpeg(.init(quality: 90, chromaSubsampling: .yuv420)))
            // Throughput is images per second: multiply by the megapixels in the name for Mpix/s.
            let configuration = Benchmark.Configuration(
                scalingFactor: .one,
                maxIterations: size > 1024 ? 10 : 50
            )

            Benchmark("\(format) decode \(size)²", configuration: configuration) { benchmark in
                for _ in benchmark.scaledIterations {
                    blackHole(try ImageDecoder().decode(data))
                }
            }

            let pixels = try? ImageDecoder().decode(data).pixels
            Benchmark("\(format) encode \(size)²", configuration: configuration) { benchmark in
                guard let pixels else { return }
                for _ in benchmark.scaledIterations {
                    blackHole(try encoder.encode(pixels))
                }
            }
        }
    }

    registerAudioAndSubtitleBenchmarks()
    registerRenderBenchmark()
}
