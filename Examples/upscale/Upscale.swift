import ArgumentParser
import Foundation
import MediaIO
import UpscaleKit

@main
struct Upscale: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "upscale",
        abstract: "Upscale a PNG or JPEG with StoryForge's UpscaleKit.",
        discussion: """
            IN is recognised by content; OUT's format by its extension (.png, .jpg); OUT - writes nothing.
            --method learned runs the trained super-resolution model at ×2, ×4 and ×8 (Lanczos3 otherwise).
            With --repeat N the image is decoded once, upscaled N times, and the fastest time is printed
            as `resize_ms=<milliseconds>` on its own line, for external benchmark harnesses.
            """
    )

    @Argument(help: "Input PNG or JPEG.")
    var input: String

    @Argument(help: "Output .png/.jpg, or - to write nothing.")
    var output: String

    @Option(help: "Integer factor: 2, 4, 8, ...")
    var scale: Int?

    @Option(help: "Output width (with --height).")
    var width: Int?

    @Option(help: "Output height (with --width).")
    var height: Int?

    @Option(help: "Method: learned, or a kernel: \(ResamplingKernel.allCases.map(\.rawValue).joined(separator: ", ")).")
    var method: String = ResamplingKernel.lanczos3.rawValue

    @Flag(help: "Filter in linear light instead of gamma-encoded values.")
    var linear = false

    @Flag(help: "Clamp outputs to their 2×2 source neighbourhood (removes Lanczos halos).")
    var antiRinging = false

    @Option(help: "Worker threads (default: all cores).")
    var threads: Int?

    @Option(help: "Upscale this many times and print the fastest as resize_ms=.")
    var `repeat`: Int?

    @Flag(help: "Print the report, with round-trip consistency and sharpness, as JSON.")
    var metrics = false

    @Flag(help: "With --method learned: also run the network mirrored and average (twice the work).")
    var ensemble = false

    func validate() throws {
        guard method == "learned" || ResamplingKernel(rawValue: method) != nil else {
            throw ValidationError(
                "unknown --method \(method); use learned or one of "
                    + ResamplingKernel.allCases.map(\.rawValue).joined(separator: ", ")
            )
        }
        switch (scale, width, height) {
        case (let s?, nil, nil): guard s >= 1 else { throw ValidationError("--scale must be at least 1") }
        case (nil, let w?, let h?):
            guard w > 0, h > 0 else { throw ValidationError("--width and --height must be positive") }
        default: throw ValidationError("give either --scale N, or --width W and --height H")
        }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
        if let count = self.repeat, count < 1 { throw ValidationError("--repeat must be at least 1") }
    }

    func run() async throws {
        let target: Upscaler.Configuration.Target =
            if let scale { .factor(scale) } else { .size(width: width ?? 1, height: height ?? 1) }
        // --metrics asks the learned model's quality guard for its Lanczos3 comparison too.
        let chosen: Upscaler.Method =
            method == "learned"
            ? .learned(.init(mirrorEnsemble: ensemble, qualityGuard: metrics))
            : .resample(ResamplingKernel(rawValue: method) ?? .lanczos3)
        let upscaler = Upscaler(
            configuration: .init(
                method: chosen,
                target: target,
                colorHandling: linear ? .linearLight : .gamma,
                antiRinging: antiRinging,
                threads: threads.map { .count($0) } ?? .automatic
            )
        )
        do {
            if self.repeat == nil, !metrics, output != "-" {
                // File to file, a band at a time: the output never has to fit in memory.
                let report = try await upscaler.upscaleFile(
                    from: URL(fileURLWithPath: input),
                    to: URL(fileURLWithPath: output)
                )
                if let fallback = report.fallback {
                    FileHandle.standardError.write(Data("warning: used lanczos3 instead: \(fallback)\n".utf8))
                }
                print(
                    "\(report.inputWidth)×\(report.inputHeight) → \(report.outputWidth)×\(report.outputHeight) "
                        + "\(report.learnedFactors == nil ? report.kernel.rawValue : "learned"), \(report.threads) threads, "
                        + "\(String(format: "%.1f", report.resampleMilliseconds)) ms including decode and encode"
                )
                return
            }
            let image = try ImageDecoder().decode(contentsOf: URL(fileURLWithPath: input)).pixels
            let (result, initialReport) = try await upscaler.upscaleReporting(image)
            var report = initialReport
            if let count = self.repeat {
                var best = report.resampleMilliseconds
                for _ in 1..<max(count, 1) {
                    best = min(best, try await upscaler.upscaleReporting(image).report.resampleMilliseconds)
                }
                print("resize_ms=\(String(format: "%.3f", best))")
            }
            if let fallback = report.fallback {
                FileHandle.standardError.write(Data("warning: used lanczos3 instead: \(fallback)\n".utf8))
            }
            if metrics {
                // The learned kernel's quality guard has measured these already, with the Lanczos3 comparison.
                if report.metrics == nil { report.metrics = try UpscaleQualityMetrics(input: image, output: result) }
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
                // A lossless round trip (nearest-neighbour) has an infinite PSNR.
                encoder.nonConformingFloatEncodingStrategy = .convertToString(
                    positiveInfinity: "inf",
                    negativeInfinity: "-inf",
                    nan: "nan"
                )
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            }
            if output != "-" {
                let url = URL(fileURLWithPath: output)
                try ImageEncoder(forPathExtensionOf: url).write(result, to: url)
            }
        } catch let error as ImageCodecError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        } catch let error as UpscaleError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode.failure
        }
    }
}
