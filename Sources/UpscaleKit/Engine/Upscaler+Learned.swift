import Foundation
import MediaIO

extension Upscaler {
    /// The cascade of models `.learned` runs for the configured target, or why there is none.
    ///
    /// ×8 runs the ×4 model and then the ×2 model: measured on the held-out photographs it beat
    /// 2 then 4 and 2, 2, 2 (Docs/Upscaling.md).
    func learnedPlan() throws -> [LearnedModel] {
        guard case .factor(let factor) = configuration.target else {
            throw LearnedModelError.unsupportedFactor(
                "the learned model makes integer factors, not explicit sizes or ratios")
        }
        switch configuration.learnedWeights {
        case .bundled:
            switch factor {
            case 2, 4: return [try LearnedModel.bundled(factor: factor)]
            case 8: return try Self.bundledCascadeForEight.map { try LearnedModel.bundled(factor: $0) }
            default:
                throw LearnedModelError.unsupportedFactor("the bundled models make ×2, ×4 and ×8, not ×\(factor)")
            }
        case .file(let url, let sha256):
            let model = try LearnedModel(contentsOf: url, expectedSHA256: sha256)
            var plan: [LearnedModel] = []
            var remaining = factor
            while remaining > 1, remaining % model.factor == 0 {
                plan.append(model)
                remaining /= model.factor
            }
            guard remaining == 1, !plan.isEmpty else {
                throw LearnedModelError.unsupportedFactor("a ×\(model.factor) model cannot make ×\(factor)")
            }
            return plan
        }
    }

    /// The order of the bundled models for ×8 (see ``learnedPlan()``).
    static let bundledCascadeForEight = [4, 2]

    /// `.learned`: the network's luma over Lanczos3's chroma, stage by stage; Lanczos3 alone when
    /// no model applies or the weights cannot be loaded.
    func upscaleLearned(_ image: PixelBuffer, cancellation: CancellationFlag) throws -> (
        image: PixelBuffer, report: UpscaleReport
    ) {
        guard configuration.tileSize >= 1 else {
            throw UpscaleError.invalidConfiguration("tileSize must be at least 1, got \(configuration.tileSize)")
        }
        // The final size is checked first, so a cascade does not run its first stage and then find
        // its second too large; each stage's resampling checks its own plan again.
        _ = try configuration.outputSize(width: image.width, height: image.height)
        let clock = ContinuousClock()
        let start = clock.now
        var lanczos = self
        lanczos.configuration.kernel = .lanczos3
        let plan: [LearnedModel]
        do {
            plan = try learnedPlan()
        } catch let error as LearnedModelError {
            var (output, report) = try lanczos.resample(image, cancellation: cancellation)
            report.fallbackUsed = true
            report.fallbackReason = error.description
            if configuration.qualityGuard {
                report.metrics = guardMetrics(input: image, output: output, lanczos3: output)
            }
            return (output, report)
        }
        var current = image
        var firstBase: PixelBuffer?
        for model in plan {
            if cancellation.isCancelled { throw CancellationError() }
            lanczos.configuration.target = .factor(model.factor)
            // A tile larger than the image is the whole image (tiling never changes the output), so a
            // huge tileSize costs no more scratch than the image needs.
            let tileSize = min(configuration.tileSize, max(current.width, current.height))
            let tiles =
                ((current.width + tileSize - 1) / tileSize) * ((current.height + tileSize - 1) / tileSize)
            try checkLearnedMemory(model: model, tileSize: tileSize, threads: min(configuration.threadCount, tiles))
            var base = try lanczos.resample(current, cancellation: cancellation).image
            if firstBase == nil, plan.count == 1 { firstBase = base }
            let engine = LearnedEngine(
                model: model, tileSize: tileSize, threads: configuration.threadCount,
                mirrorEnsemble: configuration.learnedMirrorEnsemble)
            try engine.run(image: current, base: &base, cancellation: cancellation)
            current = base
        }
        let duration = clock.now - start
        var report = UpscaleReport(
            kernel: .learned,
            inputWidth: image.width,
            inputHeight: image.height,
            outputWidth: current.width,
            outputHeight: current.height,
            threads: configuration.threadCount,
            colorHandling: configuration.colorHandling,
            antiRinging: configuration.antiRinging,
            duration: duration,
            metrics: nil
        )
        report.learnedFactors = plan.map(\.factor)
        if configuration.qualityGuard {
            let reference: PixelBuffer
            if let firstBase {
                reference = firstBase
            } else {
                lanczos.configuration.target = configuration.target
                reference = try lanczos.resample(image, cancellation: cancellation).image
            }
            report.metrics = guardMetrics(input: image, output: current, lanczos3: reference)
        }
        return (current, report)
    }

    private func guardMetrics(input: PixelBuffer, output: PixelBuffer, lanczos3: PixelBuffer) -> UpscaleQualityMetrics {
        let factor = output.width / input.width
        let integer = output.width % input.width == 0 && output.height == input.height * factor
        let inputLuma = QualityGuard.luma(input)
        let learned =
            integer
            ? QualityGuard.roundTripPSNR(input: input, inputLuma: inputLuma, output: output, factor: factor) : nil
        let reference =
            integer
            ? QualityGuard.roundTripPSNR(input: input, inputLuma: inputLuma, output: lanczos3, factor: factor) : nil
        var metrics = UpscaleQualityMetrics(roundTripPSNR: learned, sharpness: QualityGuard.sharpness(output))
        metrics.lanczos3RoundTripPSNR = reference
        if let learned, let reference { metrics.roundTripWorseThanLanczos3 = learned < reference }
        return metrics
    }
}
