import Foundation
import MediaIO
import Testing

@testable import UpscaleKit

/// The learned super-resolution model: weights loading, fallback, tiling, threads, agreement with
/// the PyTorch model it was exported from, cancellation and the quality guard.
///
/// Fixtures (`Fixtures/learned`, made by `Scripts/train-sr/export_fixture.py`): `input.png`, a 24×20
/// gray crop of the held-out photograph RainDrops.jpg (Debian mate-backgrounds, GPL-2+), and
/// `expected-x2.f32` / `expected-x4.f32`, PyTorch's output for it (Float32, luma in 0...1).
@Suite("Learned super-resolution")
struct LearnedModelTests {
    static let fixtures = UpscaleExpectations.directory.appendingPathComponent("learned")

    static func photo() throws -> PixelBuffer {
        try UpscaleExpectations.image("astronaut-face-x4.png")
    }

    static func temporaryFile(_ bytes: Data) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("sfsr-\(UUID().uuidString).bin")
        try bytes.write(to: url)
        return url
    }

    static func bundledBytes(factor: Int) throws -> Data {
        let directory = try #require(LearnedModel.resourceDirectory())
        return try Data(contentsOf: directory.appendingPathComponent("LearnedSR/sfsr-x\(factor).bin"))
    }

    @Test("the bundled ×2 and ×4 models load, match their SHA-256 and stay under 100k parameters")
    func bundledModelsLoad() throws {
        for factor in LearnedModel.bundledFactors {
            let model = try LearnedModel.bundled(factor: factor)
            #expect(model.factor == factor)
            #expect(model.sha256 == LearnedModel.bundledChecksums[factor])
            #expect(model.parameterCount > 1000 && model.parameterCount <= 100_000)
        }
        let error2 = #expect(throws: LearnedModelError.self) { try LearnedModel.bundled(factor: 3) }
        #expect(error2?.code == .unsupportedFactor)
    }

    @Test("a damaged, truncated or missing weights file is a typed error")
    func corruptWeights() throws {
        var bytes = try Self.bundledBytes(factor: 2)
        let sha = try #require(LearnedModel.bundledChecksums[2])
        bytes[bytes.count / 2] ^= 0x5A
        let error = #expect(throws: LearnedModelError.self) {
            try LearnedModel(data: bytes, expectedSHA256: sha)
        }
        #expect(error?.code == .checksumMismatch)
        // A truncated file whose checksum is right (as a user's own file could be) is malformed.
        let truncated = try Self.bundledBytes(factor: 2).prefix(1000)
        let truncatedSHA = LearnedModel.sha256Hex(Data(truncated))
        let error2 = #expect(throws: LearnedModelError.self) {
            try LearnedModel(data: Data(truncated), expectedSHA256: truncatedSHA)
        }
        #expect(error2?.code == .malformedWeights)
        let garbage = Data("not a model at all".utf8)
        let error3 = #expect(throws: LearnedModelError.self) {
            try LearnedModel(data: garbage, expectedSHA256: LearnedModel.sha256Hex(garbage))
        }
        #expect(error3?.code == .malformedWeights)
        let missing = FileManager.default.temporaryDirectory.appendingPathComponent("no-such-\(UUID().uuidString).bin")
        let error4 = #expect(throws: LearnedModelError.self) {
            try LearnedModel(contentsOf: missing, expectedSHA256: sha)
        }
        #expect(error4?.code == .missingWeights)
    }

    @Test("corrupt or missing weights fall back to Lanczos3 and the report names why")
    func fallback() async throws {
        let image = try Self.photo()
        var bytes = try Self.bundledBytes(factor: 2)
        bytes[100] ^= 0x01
        let corrupt = try Self.temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(at: corrupt) }
        let lanczos = try await Upscaler(configuration: .init(method: .resample(.lanczos3), target: .factor(2)))
            .upscale(image)
        for (weights, reason) in [
            (
                LearnedWeights.file(corrupt, sha256: LearnedModel.bundledChecksums[2]!),
                UpscaleReport.Fallback.Reason.damagedWeights
            ),
            (
                .file(corrupt.appendingPathExtension("missing"), sha256: LearnedModel.bundledChecksums[2]!),
                .missingWeights
            ),
        ] {
            let upscaler = Upscaler(configuration: .init(method: .learned(.init(weights: weights)), target: .factor(2)))
            let (output, report) = try await upscaler.upscaleReporting(image)
            #expect(report.fallback?.reason == reason, "\(String(describing: report.fallback))")
            #expect(report.fallback?.message.isEmpty == false)
            #expect(report.kernel == .lanczos3)
            #expect(report.learnedFactors == nil)
            #expect(output == lanczos)
        }
    }

    @Test(
        "targets the model cannot make fall back to Lanczos3 with the reason named",
        arguments: [
            (Upscaler.Configuration.Target.factor(3), UpscaleReport.Fallback.Reason.unsupportedFactor),
            (.ratio(numerator: 3, denominator: 2), .notAnIntegerFactor),
            (.size(width: 100, height: 50), .sizeTarget),
            (.size(width: 64, height: 96), .sizeTarget),
        ])
    func targetFallback(_ target: Upscaler.Configuration.Target, _ reason: UpscaleReport.Fallback.Reason) async throws {
        let image = try PixelBuffer(width: 32, height: 32, layout: .rgb, componentType: .uint8)
        let (output, report) = try await Upscaler(configuration: .init(method: .learned(), target: target))
            .upscaleReporting(image)
        #expect(report.fallback?.reason == reason, "\(target): \(String(describing: report.fallback))")
        let lanczos = try await Upscaler(configuration: .init(method: .resample(.lanczos3), target: target))
            .upscale(image)
        #expect(output == lanczos)
    }

    @Test("a ratio or a size that is a whole multiple of the input runs the model, as the factor does")
    func wholeMultipleTargets() async throws {
        let image = try Self.photo()
        let byFactor = try await Upscaler(configuration: .init(method: .learned(), target: .factor(2))).upscale(image)
        for target in [
            Upscaler.Configuration.Target.ratio(numerator: 4, denominator: 2),
            .size(width: image.width * 2, height: image.height * 2),
        ] {
            let (output, report) = try await Upscaler(configuration: .init(method: .learned(), target: target))
                .upscaleReporting(image)
            #expect(report.fallback == nil, "\(target)")
            #expect(report.learnedFactors == [2], "\(target)")
            #expect(output == byFactor, "\(target)")
        }
    }

    @Test("a fallback reason encodes as its name and decodes any name, known or not")
    func fallbackCoding() throws {
        let fallback = UpscaleReport.Fallback(reason: .sizeTarget, message: "no whole multiple")
        let data = try JSONEncoder().encode(fallback)
        #expect(String(decoding: data, as: UTF8.self).contains("\"sizeTarget\""))
        #expect(try JSONDecoder().decode(UpscaleReport.Fallback.self, from: data) == fallback)
        let later = try JSONDecoder().decode(
            UpscaleReport.Fallback.self, from: Data(#"{"reason":"someLaterReason","message":"m"}"#.utf8))
        #expect(later.reason.name == "someLaterReason")
        #expect(later.reason != .sizeTarget)
    }

    @Test("a weights file passed explicitly is used when its checksum matches")
    func explicitWeights() async throws {
        let bytes = try Self.bundledBytes(factor: 2)
        let url = try Self.temporaryFile(bytes)
        defer { try? FileManager.default.removeItem(at: url) }
        let image = try Self.photo()
        let weights = LearnedWeights.file(url, sha256: LearnedModel.bundledChecksums[2]!.uppercased())
        let explicit = try await Upscaler(
            configuration: .init(method: .learned(.init(weights: weights)), target: .factor(2))
        ).upscaleReporting(image)
        let bundled = try await Upscaler(configuration: .init(method: .learned(), target: .factor(2))).upscale(image)
        #expect(explicit.report.fallback == nil)
        #expect(explicit.image == bundled)
    }

    @Test("tiled output equals untiled output, and thread count changes nothing", arguments: [2, 4])
    func tilingAndThreadsInvisible(_ factor: Int) async throws {
        let image = try Self.photo()
        let untiled = try await Upscaler(
            configuration: .init(method: .learned(.init(tileSize: 4096)), target: .factor(factor), threads: .count(1))
        ).upscale(image)
        for (tile, threads) in [(7, 1), (16, 3), (33, 2), (64, 4)] {
            let tiled = try await Upscaler(
                configuration: .init(
                    method: .learned(.init(tileSize: tile)), target: .factor(factor), threads: .count(threads))
            ).upscale(image)
            #expect(tiled == untiled, "tile \(tile), threads \(threads)")
        }
    }

    @Test("the Swift inference matches the PyTorch model on the committed fixture", arguments: [2, 4])
    func matchesPyTorch(_ factor: Int) async throws {
        let input = try ImageDecoder().decode(contentsOf: Self.fixtures.appendingPathComponent("input.png")).pixels
        let expected = try Data(contentsOf: Self.fixtures.appendingPathComponent("expected-x\(factor).f32"))
        let values = expected.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(values.count == input.width * factor * input.height * factor)
        // Float32 keeps the network's output unrounded (clamped to 0...1 like every output).
        let output = try await Upscaler(configuration: .init(method: .learned(), target: .factor(factor)))
            .upscale(input.converted(to: .float32))
        var worst = 0.0
        for y in 0..<output.height {
            for x in 0..<output.width {
                let reference = min(max(Double(values[y * output.width + x]), 0), 1)
                worst = max(worst, abs(output.component(x: x, y: y, channel: 0) - reference))
            }
        }
        #expect(worst < 1e-4, "largest difference \(worst)")
    }

    @Test("8-bit output keeps the network's luma to a tenth of a level", arguments: [2, 4])
    func eightBitLumaIsTheNetworks(_ factor: Int) async throws {
        let image = try Self.photo()
        #expect(image.layout == .rgb && image.componentType == .uint8)
        let upscaler = Upscaler(configuration: .init(method: .learned(), target: .factor(factor)))
        let rounded = try await upscaler.upscale(image)
        let exact = try await upscaler.upscale(image.converted(to: .float32))
        func luma(_ buffer: PixelBuffer, _ x: Int, _ y: Int) -> Double {
            255
                * (0.299 * buffer.component(x: x, y: y, channel: 0) + 0.587 * buffer.component(x: x, y: y, channel: 1)
                    + 0.114 * buffer.component(x: x, y: y, channel: 2))
        }
        var worst = 0.0
        var compared = 0
        for y in 0..<rounded.height {
            for x in 0..<rounded.width {
                // A channel clamped to 0 or 1 in either output has lost luma no rounding can restore.
                let saturated = (0..<3).contains { channel in
                    [rounded, exact].contains { buffer in
                        let value = buffer.component(x: x, y: y, channel: channel)
                        return value == 0 || value == 1
                    }
                }
                guard !saturated else { continue }
                worst = max(worst, abs(luma(rounded, x, y) - luma(exact, x, y)))
                compared += 1
            }
        }
        // Rounding each channel on its own would miss by up to half a level; choosing each channel's
        // rounding direction for the nearest luma leaves at most 0.093 (the widest gap between the
        // eight combinations) plus Float32 noise.
        #expect(compared > rounded.width * rounded.height / 2)
        #expect(worst < 0.1, "largest luma difference \(worst) levels")
    }

    @Test("the mirror ensemble averages the network on the image and on its mirror image", arguments: [2, 4])
    func mirrorEnsemble(_ factor: Int) async throws {
        let input = try ImageDecoder().decode(contentsOf: Self.fixtures.appendingPathComponent("input.png")).pixels
            .converted(to: .float32)
        func mirrored(_ image: PixelBuffer) throws -> PixelBuffer {
            var copy = image
            for y in 0..<image.height {
                for x in 0..<image.width {
                    copy.setComponent(image.component(x: image.width - 1 - x, y: y, channel: 0), x: x, y: y, channel: 0)
                }
            }
            return copy
        }
        let plain = Upscaler(configuration: .init(method: .learned(), target: .factor(factor)))
        let direct = try await plain.upscale(input)
        let fromMirror = try mirrored(try await plain.upscale(try mirrored(input)))
        let ensemble = try await Upscaler(
            configuration: .init(method: .learned(.init(mirrorEnsemble: true)), target: .factor(factor))
        ).upscale(input)
        var worst = 0.0
        var disagreement = 0.0
        for y in 0..<direct.height {
            for x in 0..<direct.width {
                let a = direct.component(x: x, y: y, channel: 0)
                let b = fromMirror.component(x: x, y: y, channel: 0)
                worst = max(worst, abs(ensemble.component(x: x, y: y, channel: 0) - (a + b) / 2))
                disagreement = max(disagreement, abs(a - b))
            }
        }
        #expect(disagreement > 1e-3, "the network is not mirror-symmetric, so the ensemble differs from either")
        #expect(worst < 1e-5, "largest difference \(worst)")
        // Tiling and threads stay invisible with the ensemble too.
        let photo = try Self.photo()
        let untiled = try await Upscaler(
            configuration: .init(
                method: .learned(.init(tileSize: 4096, mirrorEnsemble: true)), target: .factor(factor),
                threads: .count(1))
        ).upscale(photo)
        let tiled = try await Upscaler(
            configuration: .init(
                method: .learned(.init(tileSize: 13, mirrorEnsemble: true)), target: .factor(factor),
                threads: .count(3))
        ).upscale(photo)
        #expect(tiled == untiled)
    }

    @Test("×8 runs the ×4 then the ×2 model")
    func cascade() async throws {
        let image = try Self.photo()
        let (output, report) = try await Upscaler(configuration: .init(method: .learned(), target: .factor(8)))
            .upscaleReporting(image)
        #expect(report.learnedFactors == Upscaler.bundledCascadeForEight)
        #expect(report.fallback == nil)
        #expect(output.width == image.width * 8 && output.height == image.height * 8)
    }

    @Test(
        "the quality guard, when asked for, reports round trip and sharpness as ImageQuality does, and compares with Lanczos3"
    )
    func qualityGuard() async throws {
        let image = try Self.photo()
        let (output, report) = try await Upscaler(
            configuration: .init(method: .learned(.init(qualityGuard: true)), target: .factor(2))
        ).upscaleReporting(image)
        let metrics = try #require(report.metrics)
        let roundTrip = try #require(try ImageQuality.roundTripPSNR(input: image, output: output))
        #expect(abs(try #require(metrics.roundTripPSNR) - roundTrip) < 1e-3)
        #expect(abs(metrics.sharpness - ImageQuality.sharpness(output)) < 1e-3 * ImageQuality.sharpness(output))
        let lanczos = try await Upscaler(configuration: .init(method: .resample(.lanczos3), target: .factor(2)))
            .upscale(image)
        let lanczosRoundTrip = try #require(try ImageQuality.roundTripPSNR(input: image, output: lanczos))
        #expect(abs(try #require(metrics.lanczos3RoundTripPSNR) - lanczosRoundTrip) < 1e-3)
        #expect(metrics.roundTripWorseThanLanczos3 == (roundTrip < lanczosRoundTrip))
        // Off by default: no metrics, and the same output.
        let unguarded = try await Upscaler(configuration: .init(method: .learned(), target: .factor(2)))
            .upscaleReporting(image)
        #expect(unguarded.report.metrics == nil)
        #expect(unguarded.image == output)
    }

    @Test("cancelling the task stops the learned upscale with CancellationError")
    func cancellation() async throws {
        let large = try PixelBuffer(width: 1024, height: 1024, layout: .rgb, componentType: .uint8)
        let upscaler = Upscaler(configuration: .init(method: .learned(), target: .factor(4), threads: .count(1)))
        let task = Task { try await upscaler.upscale(large) }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
    }
}
