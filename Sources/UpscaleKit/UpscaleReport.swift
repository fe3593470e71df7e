public import MediaIO

/// What an upscale did: sizes, settings, time, and optionally quality metrics.
public struct UpscaleReport: Sendable, Hashable, Codable {
    /// The resampling filter: the whole output's for ``Upscaler/Method/resample(_:)``; for
    /// ``Upscaler/Method/learned(_:)``, Lanczos3, the pass under the model's luma that also gives
    /// chroma and alpha (or the whole output, after a ``fallback``).
    public var kernel: ResamplingKernel
    /// Input width in pixels.
    public var inputWidth: Int
    /// Input height in pixels.
    public var inputHeight: Int
    /// Output width in pixels.
    public var outputWidth: Int
    /// Output height in pixels.
    public var outputHeight: Int
    /// Worker threads used.
    public var threads: Int
    /// Whether filtering was in linear light.
    public var linearLight: Bool
    /// Whether the anti-ringing clamp was on.
    public var antiRinging: Bool
    /// Wall-clock time of the resampling alone, in milliseconds.
    public var resampleMilliseconds: Double
    /// Quality figures, when asked for.
    public var metrics: UpscaleQualityMetrics?
    /// Set when ``Upscaler/Method/learned(_:)`` was asked for but Lanczos3 alone made the output,
    /// and why; `nil` when the method asked for is the one that ran.
    public var fallback: Fallback?
    /// The factors of the learned models run one after another (`[2]`, `[4]`, or a cascade for ×8);
    /// `nil` when no model ran.
    public var learnedFactors: [Int]?

    init(
        kernel: ResamplingKernel,
        inputWidth: Int,
        inputHeight: Int,
        outputWidth: Int,
        outputHeight: Int,
        threads: Int,
        colorHandling: Upscaler.Configuration.ColorHandling,
        antiRinging: Bool,
        duration: Duration,
        metrics: UpscaleQualityMetrics?
    ) {
        self.kernel = kernel
        self.inputWidth = inputWidth
        self.inputHeight = inputHeight
        self.outputWidth = outputWidth
        self.outputHeight = outputHeight
        self.threads = threads
        self.linearLight = colorHandling == .linearLight
        self.antiRinging = antiRinging
        let (seconds, attoseconds) = duration.components
        self.resampleMilliseconds = Double(seconds) * 1000 + Double(attoseconds) / 1e15
        self.metrics = metrics
    }

    /// Output pixels per second, in millions.
    public var outputMegapixelsPerSecond: Double {
        resampleMilliseconds > 0 ? Double(outputWidth * outputHeight) / resampleMilliseconds / 1000 : 0
    }
}

extension UpscaleReport {
    /// Why an upscale that asked for the learned model used Lanczos3 alone.
    public struct Fallback: Sendable, Hashable, Codable, CustomStringConvertible {
        /// The kind of fallback.
        ///
        /// A struct with static members rather than an enum, so that a reason added later breaks no
        /// host; encoded as its name.
        public struct Reason: Sendable, Hashable, Codable, CustomStringConvertible {
            /// The reason's name, as encoded (`missingWeights`, …).
            public let name: String

            private init(_ name: String) { self.name = name }

            /// The weights file, or the resource bundle holding the bundled weights, is not there.
            public static let missingWeights = Self("missingWeights")
            /// The weights do not match their SHA-256, or are no model this version reads.
            public static let damagedWeights = Self("damagedWeights")
            /// An integer factor that no model, nor a cascade of them, makes (e.g. ×3).
            public static let unsupportedFactor = Self("unsupportedFactor")
            /// A ratio target that is no integer factor (e.g. ×3/2).
            public static let notAnIntegerFactor = Self("notAnIntegerFactor")
            /// An explicit size target that is no whole multiple of the input on both axes.
            public static let sizeTarget = Self("sizeTarget")

            /// Decodes any name, so that a report from a later version with a new reason still reads.
            public init(from decoder: any Decoder) throws {
                self.name = try decoder.singleValueContainer().decode(String.self)
            }

            /// Encodes the name.
            public func encode(to encoder: any Encoder) throws {
                var container = encoder.singleValueContainer()
                try container.encode(name)
            }

            /// The name.
            public var description: String { name }
        }

        /// The kind of fallback.
        public var reason: Reason
        /// What happened, in words a person can act on.
        public var message: String

        /// Creates a fallback record.
        public init(reason: Reason, message: String) {
            self.reason = reason
            self.message = message
        }

        /// The reason and the message.
        public var description: String { "\(reason): \(message)" }
    }
}

/// Quality figures of an upscale that need no reference image.
public struct UpscaleQualityMetrics: Sendable, Hashable, Codable {
    /// Round-trip consistency: PSNR (BT.601 luma, dB) between the input and the output
    /// box-averaged back down to the input's size. Higher means the output kept the input's content.
    /// `nil` when the output is not an integer multiple of the input.
    public var roundTripPSNR: Double?
    /// Sharpness of the output: the variance of its luma Laplacian (see ``ImageQuality/sharpness(_:)``).
    public var sharpness: Double
    /// Round-trip consistency of a Lanczos3 enlargement of the same input, when the quality guard
    /// of the learned model (``Upscaler/LearnedConfiguration/qualityGuard``) measured it.
    public var lanczos3RoundTripPSNR: Double? = nil
    /// The quality guard's flag: `true` when this output's round trip is worse than Lanczos3's
    /// (the model changed the content more than interpolation would), `nil` when not compared.
    public var roundTripWorseThanLanczos3: Bool? = nil
}

extension UpscaleQualityMetrics {
    /// Measures an upscale of `input` into `output`.
    public init(input: PixelBuffer, output: PixelBuffer) throws {
        self.roundTripPSNR = try ImageQuality.roundTripPSNR(input: input, output: output)
        self.sharpness = ImageQuality.sharpness(output)
    }
}
