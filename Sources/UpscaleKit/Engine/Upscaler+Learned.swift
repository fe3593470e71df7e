import Foundation
import MediaIO

extension Upscaler {
    /// The integer factor the learned model makes for `target` on a `width × height` input, or the
    /// fallback that says why there is none: a ratio or an explicit size counts when it is a whole
    /// multiple of the input on both axes (it then gives the same size as the factor).
    static func learnedFactor(for target: Configuration.Target, width: Int, height: Int) throws(LearnedFallback) -> Int
    {
        switch target.storage {
        case .factor(let factor):
            return factor
        case .ratio(let numerator, let denominator):
            guard denominator > 0, numerator % denominator == 0 else {
                throw LearnedFallback(
                    reason: .notAnIntegerFactor,
                    message: "the learned model makes integer factors, not ×\(numerator)/\(denominator)")
            }
            return numerator / denominator
        case .size(let w, let h):
            // Overflow-safe: both sides come from the host; a factor has to fit both axes.
            let factor = w / width
            let (wide, o1) = width.multipliedReportingOverflow(by: factor)
            let (tall, o2) = height.multipliedReportingOverflow(by: factor)
            guard factor >= 1, !o1, !o2, wide == w, tall == h else {
                throw LearnedFallback(
                    reason: .sizeTarget,
                    message: "the learned model makes integer factors; a \(w)×\(h) output is no whole "
                        + "multiple of the \(width)×\(height) input")
            }
            return factor
        }
    }

    /// The cascade of models the learned method runs for `factor`.
    ///
    /// ×8 runs the ×4 model and then the ×2 model: measured on the held-out photographs it beat
    /// 2 then 4 and 2, 2, 2 (Docs/Upscaling.md).
    static func learnedPlan(factor: Int, weights: LearnedWeights) throws -> [LearnedModel] {
        switch weights {
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

    /// Why the learned model does not run: the fallback an upscale reports.
    struct LearnedFallback: Error {
        let fallback: UpscaleReport.Fallback
        init(reason: UpscaleReport.Fallback.Reason, message: String) {
            fallback = .init(reason: reason, message: message)
        }
    }

    /// The order of the bundled models for ×8 (see ``learnedPlan(factor:weights:)``).
    static let bundledCascadeForEight = [4, 2]

    /// The learned method: the network's luma over Lanczos3's chroma, stage by stage; Lanczos3 alone
    /// when no model applies or the weights cannot be loaded.
    func upscaleLearned(_ image: PixelBuffer, learned: LearnedConfiguration, cancellation: CancellationFlag) throws -> (
        image: PixelBuffer, report: UpscaleReport
    ) {
        guard learned.tileSize >= 1 else {
            throw UpscaleError.invalidConfiguration("tileSize must be at least 1, got \(learned.tileSize)")
        }
        // The final size is checked first, so a cascade does not run its first stage and then find
        // its second too large; each stage's resampling checks its own plan again.
        _ = try configuration.outputSize(width: image.width, height: image.height)
        let clock = ContinuousClock()
        let start = clock.now
        var lanczos = self
        lanczos.configuration.method = .resample(.lanczos3)
        func fallBack(_ fallback: UpscaleReport.Fallback) throws -> (image: PixelBuffer, report: UpscaleReport) {
            var (output, report) = try lanczos.resample(image, cancellation: cancellation)
            report.fallback = fallback
            if learned.qualityGuard {
                report.metrics = guardMetrics(input: image, output: output, lanczos3: output)
            }
            return (output, report)
        }
        let models: [LearnedModel]
        do {
            let factor = try Self.learnedFactor(for: configuration.target, width: image.width, height: image.height)
            models = try Self.learnedPlan(factor: factor, weights: learned.weights)
        } catch let error as LearnedFallback {
            return try fallBack(error.fallback)
        } catch let error as LearnedModelError {
            return try fallBack(UpscaleReport.Fallback(error))
        }
        var current = image
        var firstBase: PixelBuffer?
        for model in models {
            if cancellation.isCancelled { throw CancellationError() }
            lanczos.configuration.target = .factor(model.factor)
            // A tile larger than the image is the whole image (tiling never changes the output), so a
            // huge tileSize costs no more scratch than the image needs.
            let tileSize = min(learned.tileSize, max(current.width, current.height))
            let tiles =
                ((current.width + tileSize - 1) / tileSize) * ((current.height + tileSize - 1) / tileSize)
            try checkLearnedMemory(
                model: model, tileSize: tileSize, mirror: learned.mirrorEnsemble,
                threads: min(configuration.threadCount, tiles))
            var base = try lanczos.resample(current, cancellation: cancellation).image
            if firstBase == nil, models.count == 1 { firstBase = base }
            let engine = LearnedEngine(
                model: model, tileSize: tileSize, threads: configuration.threadCount,
                mirrorEnsemble: learned.mirrorEnsemble)
            try engine.run(image: current, base: &base, cancellation: cancellation)
            current = base
        }
        let duration = clock.now - start
        var report = UpscaleReport(
            kernel: .lanczos3,
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
        report.learnedFactors = models.map(\.factor)
        if learned.qualityGuard {
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
