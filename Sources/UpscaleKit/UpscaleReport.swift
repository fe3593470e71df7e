public import MediaIO

/// What an upscale did: sizes, settings, time, and optionally quality metrics.
public struct UpscaleReport: Sendable, Hashable, Codable {
    /// The filter used.
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
    /// Whether ``ResamplingKernel/learned`` was asked for but Lanczos3 was used instead (weights
    /// missing or damaged, or a factor no model makes); ``kernel`` then says `lanczos3`.
    public var fallbackUsed = false
    /// Why the fallback happened, when it did.
    public var fallbackReason: String?
    /// The factors of the learned models run one after another (`[2]`, `[4]`, or a cascade for ×8).
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

/// Quality figures of an upscale that need no reference image.
public struct UpscaleQualityMetrics: Sendable, Hashable, Codable {
    /// Round-trip consistency: PSNR (BT.601 luma, dB) between the input and the output
    /// box-averaged back down to the input's size. Higher means the output kept the input's content.
    /// `nil` when the output is not an integer multiple of the input.
    public var roundTripPSNR: Double?
    /// Sharpness of the output: the variance of its luma Laplacian (see ``ImageQuality/sharpness(_:)``).
    public var sharpness: Double
    /// Round-trip consistency of a Lanczos3 enlargement of the same input, when the quality guard
    /// of ``ResamplingKernel/learned`` measured it.
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
