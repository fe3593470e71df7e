import CStoryForgeResample
import Foundation
public import MediaIO
import StoryForgeCore
import Synchronization

/// Resizes images with separable filters: the classical core of UpscaleKit.
///
/// ```swift
/// let upscaler = Upscaler(configuration: .init(method: .resample(.lanczos3), target: .factor(4), antiRinging: true))
/// let large = try await upscaler.upscale(image)
/// let learned = Upscaler(configuration: .init(method: .learned(), target: .factor(2)))
/// let (sharper, report) = try await learned.upscaleReporting(image)
/// if let fallback = report.fallback { print("Lanczos3 instead: \(fallback)") }
/// ```
///
/// Pixel centres are aligned: output pixel `x` samples the source at `(x + 0.5) / s − 0.5`, and
/// source pixels past an edge repeat the edge. 8-bit, 16-bit and Float32 images of every layout
/// work; the arithmetic is Float32 (8-bit images at integer factors: 16-bit fixed point with a
/// 13-bit intermediate, within one step of Float32) and the output is clamped to range. Colour is
/// filtered premultiplied by alpha, so transparent pixels do not bleed their colour.
public struct Upscaler: Sendable {
    /// How to resize.
    public struct Configuration: Sendable, Hashable {
        /// Which numbers the filter averages.
        public enum ColorHandling: Sendable, Hashable {
            /// The stored (gamma-encoded) values, as most tools do (the default).
            case gamma
            /// Linear light: sRGB-decoded first, re-encoded after; truer for high-contrast edges.
            case linearLight
        }

        /// How many threads resample.
        public enum Threads: Sendable, Hashable {
            /// One per active processor core (the default).
            case automatic
            /// Exactly this many (at least 1).
            case count(Int)
        }

        /// How the output is made (default ``Upscaler/Method/resample(_:)`` with Lanczos3): a
        /// resampling filter, or the learned super-resolution model with its own settings.
        public var method: Method
        /// The output size (default ×2).
        public var target: Target
        /// Gamma-space or linear-light filtering (default gamma). For ``Upscaler/Method/learned(_:)``
        /// it applies to the Lanczos3 pass under the model.
        public var colorHandling: ColorHandling
        /// Whether to clamp each output to the range of its 2×2 source neighbourhood: the usual
        /// cure for the halos (ringing) of Lanczos and sharp cubics at hard edges. For
        /// ``Upscaler/Method/learned(_:)`` it applies to the Lanczos3 pass under the model.
        public var antiRinging: Bool
        /// Worker threads (default: all cores).
        public var threads: Threads
        /// Output rows per band: the unit of work, of cancellation checks and of streaming memory
        /// (raised to 32 source rows' worth when smaller, so bands share few source rows).
        public var bandHeight: Int
        /// The most pixels an output may have (default 16384 × 16384, like
        /// `ImageDecoder.Configuration.maxPixelCount`). The target size is checked against it,
        /// with overflow-safe arithmetic, before anything is allocated: an output too large is an
        /// ``UpscaleError/tooLarge(_:)`` error, not an aborted process.
        public var maxOutputPixelCount: Int
        /// The most memory, in bytes, an upscale may plan for besides its input and output images:
        /// the filter tables, every thread's band buffers and, for ``Upscaler/Method/learned(_:)``,
        /// every thread's tile scratch (default 4 GiB, what the largest output allowed by default,
        /// 16384² RGBA Float32, takes itself). Checked with the output size, before anything is allocated.
        public var maxWorkingMemory: Int

        /// Creates a configuration; every parameter has a default.
        public init(
            method: Method = .resample(.lanczos3),
            target: Target = .factor(2),
            colorHandling: ColorHandling = .gamma,
            antiRinging: Bool = false,
            threads: Threads = .automatic,
            bandHeight: Int = 64,
            maxOutputPixelCount: Int = 16384 * 16384,
            maxWorkingMemory: Int = 4 << 30
        ) {
            self.method = method
            self.target = target
            self.colorHandling = colorHandling
            self.antiRinging = antiRinging
            self.threads = threads
            self.bandHeight = bandHeight
            self.maxOutputPixelCount = maxOutputPixelCount
            self.maxWorkingMemory = maxWorkingMemory
        }

        /// The output size for an input of `width × height`.
        ///
        /// - Throws: ``UpscaleError/invalidConfiguration(_:)`` for a factor, ratio or size that is not
        ///   positive; ``UpscaleError/tooLarge(_:)`` for an output over ``maxOutputPixelCount``
        ///   (or one whose size overflows).
        public func outputSize(width: Int, height: Int) throws -> (width: Int, height: Int) {
            guard width > 0, height > 0 else {
                throw UpscaleError.invalidConfiguration("the input size must be positive, got \(width)×\(height)")
            }
            let size: (width: Int, height: Int)
            switch target.storage {
            case .factor(let factor):
                guard factor >= 1 else {
                    throw UpscaleError.invalidConfiguration("the factor must be at least 1, got \(factor)")
                }
                let (w, o1) = width.multipliedReportingOverflow(by: factor)
                let (h, o2) = height.multipliedReportingOverflow(by: factor)
                guard !o1, !o2 else {
                    throw UpscaleError.tooLarge(
                        "×\(factor) of a \(width)×\(height) image overflows the output size; "
                            + "\(Self.limitHint(maxOutputPixelCount))")
                }
                size = (w, h)
            case .ratio(let numerator, let denominator):
                guard numerator > 0, denominator > 0 else {
                    throw UpscaleError.invalidConfiguration(
                        "the ratio must be positive, got \(numerator)/\(denominator)")
                }
                // In Double (exact enough for any size that passes the limit below); a size past
                // 2⁶² is refused before the conversion to Int, which would trap.
                func scaled(_ side: Int) throws -> Int {
                    let exact = (Double(side) * Double(numerator) / Double(denominator)).rounded()
                    guard exact < 0x1p62 else {
                        throw UpscaleError.tooLarge(
                            "×\(numerator)/\(denominator) of a \(width)×\(height) image overflows the output size; "
                                + "\(Self.limitHint(maxOutputPixelCount))")
                    }
                    return max(1, Int(exact))
                }
                size = (try scaled(width), try scaled(height))
            case .size(let w, let h):
                guard w > 0, h > 0 else {
                    throw UpscaleError.invalidConfiguration("the output size must be positive, got \(w)×\(h)")
                }
                size = (w, h)
            }
            let (pixels, overflow) = size.width.multipliedReportingOverflow(by: size.height)
            guard !overflow, pixels <= maxOutputPixelCount else {
                throw UpscaleError.tooLarge(
                    "a \(size.width)×\(size.height) output has more pixels than the \(maxOutputPixelCount) that "
                        + "Upscaler.Configuration.maxOutputPixelCount allows; ask for a smaller output")
            }
            return size
        }

        static func limitHint(_ limit: Int) -> String {
            "Upscaler.Configuration.maxOutputPixelCount allows \(limit) pixels; ask for a smaller output"
        }

        /// The filter that resamples: the method's kernel, or Lanczos3 under the learned model.
        var resamplingKernel: ResamplingKernel { method.kernel ?? .lanczos3 }

        var threadCount: Int {
            switch threads {
            case .automatic: max(1, ProcessInfo.processInfo.activeProcessorCount)
            case .count(let count): max(1, count)
            }
        }
    }

    /// How this upscaler resizes.
    public var configuration: Configuration

    /// Creates an upscaler.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// Resizes `image`; the result has the same layout, component type and tags.
    ///
    /// The work runs on ``Configuration/threads`` threads; cancelling the calling task stops it at
    /// the next band and throws `CancellationError`.
    public func upscale(_ image: PixelBuffer) async throws -> PixelBuffer {
        try await upscaleReporting(image).image
    }

    /// Resizes `image` and reports what was done and how long it took.
    public func upscaleReporting(_ image: PixelBuffer) async throws -> (image: PixelBuffer, report: UpscaleReport) {
        let flag = CancellationFlag()
        if let learned = configuration.method.learnedConfiguration {
            return try await withTaskCancellationHandler {
                try await Self.offCooperativePool { try upscaleLearned(image, learned: learned, cancellation: flag) }
            } onCancel: {
                flag.cancel()
            }
        }
        return try await withTaskCancellationHandler {
            try await Self.offCooperativePool { try resample(image, cancellation: flag) }
        } onCancel: {
            flag.cancel()
        }
    }

    /// Runs CPU-bound work on a thread of its own, at the rendering's priority (`RenderPriority`), and awaits it,
    /// so that the Swift concurrency pool (one thread per core) stays free for the host's other tasks while an
    /// upscale runs.
    static func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await WorkerThreads.run(niceness: RenderPriority.clampedNiceness, name: "storyforge.upscale", work)
    }

    /// The engine for `info`, once the output size and the memory it plans for (see
    /// ``checkWorkingMemory(input:outputWidth:outputHeight:inMemory:)``) are within the limits.
    func makeEngine(for info: ImageInfo, premultiplied: Bool, inMemory: Bool) throws -> ResampleEngine {
        guard configuration.bandHeight >= 1 else {
            throw UpscaleError.invalidConfiguration("bandHeight must be at least 1, got \(configuration.bandHeight)")
        }
        let (width, height) = try configuration.outputSize(width: info.width, height: info.height)
        try checkWorkingMemory(input: info, outputWidth: width, outputHeight: height, inMemory: inMemory)
        return ResampleEngine(
            kernel: configuration.resamplingKernel,
            input: info,
            outputWidth: width,
            outputHeight: height,
            linearLight: configuration.colorHandling == .linearLight,
            premultiply: !premultiplied,
            antiRinging: configuration.antiRinging
        )
    }

    /// Each band re-filters the few source rows it shares with its neighbours, so a band spans at
    /// least 32 source rows (when the image has them) to keep that overlap small.
    ///
    /// In memory, bands also grow to an eighth of each thread's share of the rows: still enough bands
    /// to balance the threads, and fewer shared rows filtered twice.
    func effectiveBandHeight(inputHeight: Int, outputHeight: Int, inMemory: Bool = false) -> Int {
        let perSourceRow = max(1, outputHeight / max(inputHeight, 1))
        // Overflow-safe: a thread count or band height from a host can be anything up to Int.max.
        let (share, shareOverflow) = configuration.threadCount.multipliedReportingOverflow(by: 8)
        let balanced = inMemory && !shareOverflow ? outputHeight / share : 0
        let (reach, reachOverflow) = perSourceRow.multipliedReportingOverflow(by: 32)
        let wanted = max(reachOverflow ? outputHeight : reach, balanced)
        // A band taller than the image is the whole image.
        return min(max(configuration.bandHeight, min(wanted, outputHeight)), max(outputHeight, 1))
    }

    func resample(_ image: PixelBuffer, cancellation: CancellationFlag) throws -> (
        image: PixelBuffer, report: UpscaleReport
    ) {
        let clock = ContinuousClock()
        let start = clock.now
        let engine = try makeEngine(for: image.info, premultiplied: image.alphaPremultiplied, inMemory: true)
        let outputInfo = ImageInfo(
            width: engine.outputWidth,
            height: engine.outputHeight,
            layout: image.layout,
            componentType: image.componentType
        )
        let (total, overflow) = outputInfo.rowByteCount.multipliedReportingOverflow(by: outputInfo.height)
        guard !overflow, outputInfo.rowByteCount > 0 else {
            throw UpscaleError.invalidConfiguration(
                "a \(outputInfo.width)×\(outputInfo.height) output does not fit in memory")
        }
        let bandHeight = effectiveBandHeight(inputHeight: image.height, outputHeight: outputInfo.height, inMemory: true)
        let bands = stride(from: 0, to: outputInfo.height, by: bandHeight).map {
            $0..<min($0 + bandHeight, outputInfo.height)
        }
        let threads = min(configuration.threadCount, bands.count)
        let storage = try [UInt8](unsafeUninitializedCapacity: total) { buffer, count in
            // Faulting in a large output 4 KiB at a time had cost a third of a ×4 upscale.
            if total >= 4 << 20 { sf_resample_advise_huge_pages(buffer.baseAddress, total) }
            try image.withUnsafeBytes { input in
                let rows = SharedRows(
                    input: input.baseAddress!,
                    inputStride: image.rowStride,
                    output: UnsafeMutableRawPointer(buffer.baseAddress!),
                    outputStride: outputInfo.rowByteCount
                )
                try Self.run(bands: bands, threads: threads, engine: engine, rows: rows, cancellation: cancellation)
            }
            count = total
        }
        var output = try PixelBuffer(
            width: outputInfo.width,
            height: outputInfo.height,
            layout: outputInfo.layout,
            componentType: outputInfo.componentType,
            bytes: storage,
            alphaPremultiplied: image.alphaPremultiplied,
            colorTag: image.colorTag,
            iccProfile: image.iccProfile
        )
        output.alphaPremultiplied = image.alphaPremultiplied
        let report = UpscaleReport(
            kernel: configuration.resamplingKernel,
            inputWidth: image.width,
            inputHeight: image.height,
            outputWidth: output.width,
            outputHeight: output.height,
            threads: threads,
            colorHandling: configuration.colorHandling,
            antiRinging: configuration.antiRinging,
            duration: clock.now - start,
            metrics: nil
        )
        return (output, report)
    }

    /// Runs `bands` on `threads` workers; each takes the next band until none is left or the flag
    /// is set.
    static func run(
        bands: [Range<Int>],
        threads: Int,
        engine: ResampleEngine,
        rows: SharedRows,
        cancellation: CancellationFlag
    ) throws {
        let next = Atomic<Int>(0)
        WorkerThreads.concurrentPerform(iterations: threads) { _ in
            let buffers = ResampleBuffers()
            while !cancellation.isCancelled {
                let index = next.add(1, ordering: .relaxed).oldValue
                guard index < bands.count else { return }
                engine.resample(rows: bands[index], buffers: buffers, memory: rows)
            }
        }
        if cancellation.isCancelled { throw CancellationError() }
    }
}
