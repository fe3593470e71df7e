extension Upscaler {
    /// How an upscaler makes its output: a resampling filter, or the learned super-resolution model.
    ///
    /// ```swift
    /// Upscaler.Configuration(method: .resample(.lanczos3), target: .ratio(numerator: 3, denominator: 2))
    /// Upscaler.Configuration(method: .learned(.init(mirrorEnsemble: true)), target: .factor(4))
    /// ```
    ///
    /// A struct with static members rather than an enum, so that a method added later breaks no host.
    public struct Method: Sendable, Hashable, CustomStringConvertible {
        enum Storage: Sendable, Hashable {
            case resample(ResamplingKernel)
            case learned(LearnedConfiguration)
        }

        let storage: Storage

        /// Resampling with the separable filter `kernel` on every channel; any target.
        public static func resample(_ kernel: ResamplingKernel) -> Self { Self(storage: .resample(kernel)) }

        /// The learned super-resolution model (``LearnedModel``) for luma at ×2, ×4 and ×8 (×8 as a
        /// cascade), over a Lanczos3 enlargement that also gives chroma and alpha.
        ///
        /// A target the model cannot make (a factor other than ×2, ×4, ×8 for the bundled weights, a
        /// ratio or size that is no whole multiple of the input) or weights that cannot be loaded
        /// make the upscale use Lanczos3 alone; the report then says why in ``UpscaleReport/fallback``.
        public static func learned(_ configuration: LearnedConfiguration = LearnedConfiguration()) -> Self {
            Self(storage: .learned(configuration))
        }

        /// The resampling filter of ``resample(_:)``; `nil` for ``learned(_:)``.
        public var kernel: ResamplingKernel? {
            if case .resample(let kernel) = storage { kernel } else { nil }
        }

        /// The settings of ``learned(_:)``; `nil` for ``resample(_:)``.
        public var learnedConfiguration: LearnedConfiguration? {
            if case .learned(let configuration) = storage { configuration } else { nil }
        }

        /// The kernel's name (`lanczos3`, …) or `learned`.
        public var description: String {
            switch storage {
            case .resample(let kernel): kernel.rawValue
            case .learned: "learned"
            }
        }
    }

    /// The settings of the learned super-resolution model (``Method/learned(_:)``); none of them
    /// applies to resampling.
    public struct LearnedConfiguration: Sendable, Hashable {
        /// Which weights (default the bundled ones).
        public var weights: LearnedWeights
        /// The side of the square tiles, in input pixels, that the network runs on (default 64): the
        /// unit of work, of cancellation checks and of the network's working memory (about 1.4 MB per
        /// thread at 64). It never changes the output.
        public var tileSize: Int
        /// Whether the network also runs on the image mirrored left to right, the two results
        /// averaged (a self-ensemble; default off). Twice the network's work; on the held-out
        /// photographs it added about 0.06 dB at ×2 (see Docs/Upscaling.md).
        public var mirrorEnsemble: Bool
        /// Whether the report measures round-trip consistency and sharpness and compares the round
        /// trip with a Lanczos3 enlargement's (``UpscaleReport/metrics``; default off). It costs a
        /// Lanczos3 pass (none at ×2 and ×4, which already make one) and a few passes over the
        /// output, not counted in ``UpscaleReport/resampleMilliseconds``; it never changes the output.
        public var qualityGuard: Bool

        /// Creates the settings; every parameter has a default.
        public init(
            weights: LearnedWeights = .bundled,
            tileSize: Int = 64,
            mirrorEnsemble: Bool = false,
            qualityGuard: Bool = false
        ) {
            self.weights = weights
            self.tileSize = tileSize
            self.mirrorEnsemble = mirrorEnsemble
            self.qualityGuard = qualityGuard
        }
    }
}

extension Upscaler.Configuration {
    /// The output size.
    ///
    /// A struct with static members rather than an enum, so that a target added later breaks no host.
    public struct Target: Sendable, Hashable, CustomStringConvertible {
        enum Storage: Sendable, Hashable {
            case factor(Int)
            case ratio(numerator: Int, denominator: Int)
            case size(width: Int, height: Int)
        }

        let storage: Storage

        /// An integer factor on both axes (×2, ×4, ×8, …).
        public static func factor(_ factor: Int) -> Self { Self(storage: .factor(factor)) }

        /// A rational factor `numerator / denominator` on both axes (e.g. 3/2); output sizes are
        /// rounded to the nearest pixel.
        public static func ratio(numerator: Int, denominator: Int) -> Self {
            Self(storage: .ratio(numerator: numerator, denominator: denominator))
        }

        /// An explicit output size (the aspect ratio may change).
        public static func size(width: Int, height: Int) -> Self { Self(storage: .size(width: width, height: height)) }

        /// `×2`, `×3/2` or `640×480`.
        public var description: String {
            switch storage {
            case .factor(let factor): "×\(factor)"
            case .ratio(let numerator, let denominator): "×\(numerator)/\(denominator)"
            case .size(let width, let height): "\(width)×\(height)"
            }
        }
    }
}
