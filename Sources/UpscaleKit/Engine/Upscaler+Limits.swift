import MediaIO

extension Upscaler {
    /// Checks, before anything is allocated, that the memory an upscale of `input` to
    /// `outputWidth × outputHeight` plans for fits ``Configuration/maxWorkingMemory``: the filter
    /// tables of both axes (and the fast path's copies), every thread's band buffers and, when
    /// streaming, the window of source rows and the band of output rows.
    ///
    /// An output within the pixel limit can still need far more: a 268-million-pixel-wide row has
    /// 268 million filter windows, and a band of a strong vertical reduction reads many source rows
    /// of the full output width. The estimate is an upper bound computed once per plan, with
    /// overflow-safe arithmetic, so the resampling loops carry no checks of their own.
    func checkWorkingMemory(input: ImageInfo, outputWidth: Int, outputHeight: Int, inMemory: Bool) throws {
        let kernel = configuration.resamplingKernel
        guard
            let horizontalTaps = ResampleWeights.taps(
                kernel: kernel, inputCount: input.width, outputCount: outputWidth),
            let verticalTaps = ResampleWeights.taps(
                kernel: kernel, inputCount: input.height, outputCount: outputHeight)
        else {
            throw UpscaleError.tooLarge(
                "resampling \(input.width)×\(input.height) to \(outputWidth)×\(outputHeight) needs filter windows "
                    + "wider than memory")
        }
        var bytes = ByteCount()
        // Per output index: the weights (Float32, and Int16 in the fast path), the first source index
        // (Int, and Int32 in the fast path) and the two nearest source indices (2 × Int).
        bytes.add(outputWidth, times: horizontalTaps, times: 6)
        bytes.add(outputWidth, times: 28)
        bytes.add(outputHeight, times: verticalTaps, times: 6)
        bytes.add(outputHeight, times: 28)

        let bandHeight = effectiveBandHeight(
            inputHeight: input.height, outputHeight: outputHeight, inMemory: inMemory)
        let bandCount = outputHeight / bandHeight + 1
        bytes.add(bandCount, times: 16)  // the bands' ranges
        let threads = min(configuration.threadCount, inMemory ? bandCount : bandHeight)
        // The source rows one band reads: its rows scaled back to the input, the filter's reach on
        // both sides, and the few more the fast path's mirrored phases read.
        var rows = ByteCount()
        rows.add(bandHeight, times: input.height)
        let sourceRows = min(input.height, (rows.value ?? .max) / outputHeight + verticalTaps + 16)
        let channels = input.layout.channelCount
        // Each thread's Float32 buffers: the intermediate rows (three sets with anti-ringing), one
        // source line and one output line; the fast path's 16-bit ring of rows is smaller.
        var perThread = ByteCount()
        perThread.add(sourceRows, times: outputWidth, times: channels * 4 * (configuration.antiRinging ? 3 : 1))
        perThread.add(input.width, times: channels * 4)
        perThread.add(outputWidth, times: channels * 4)
        bytes.add(perThread.value ?? .max, times: threads)
        if !inMemory {
            // The window of source rows and the output band that streaming keeps.
            bytes.add(sourceRows, times: input.rowByteCount)
            bytes.add(bandHeight, times: outputWidth, times: channels * input.componentType.byteCount)
        }
        guard let total = bytes.value, total <= configuration.maxWorkingMemory else {
            throw UpscaleError.tooLarge(
                "resampling \(input.width)×\(input.height) to \(outputWidth)×\(outputHeight) on \(threads) "
                    + "thread(s) needs \(bytes.description) of working memory, more than "
                    + "Upscaler.Configuration.maxWorkingMemory (\(configuration.maxWorkingMemory) bytes); "
                    + "ask for a smaller output, or use fewer threads")
        }
    }

    /// Checks the tile scratch of ``LearnedEngine`` for `model` (tiles of `tileSize`) on `threads`
    /// threads against ``Configuration/maxWorkingMemory``.
    func checkLearnedMemory(model: LearnedModel, tileSize: Int, mirror: Bool, threads: Int) throws {
        guard let perThread = LearnedEngine.scratchBytes(model: model, tileSize: tileSize, mirror: mirror) else {
            throw UpscaleError.tooLarge("tiles of \(tileSize) pixels overflow the learned model's scratch size")
        }
        var bytes = ByteCount()
        bytes.add(perThread, times: threads)
        guard let total = bytes.value, total <= configuration.maxWorkingMemory else {
            throw UpscaleError.tooLarge(
                "the learned model's tiles of \(tileSize) pixels on \(threads) thread(s) need \(bytes.description) "
                    + "of working memory, more than Upscaler.Configuration.maxWorkingMemory "
                    + "(\(configuration.maxWorkingMemory) bytes); use a smaller LearnedConfiguration.tileSize or fewer threads"
            )
        }
    }
}

/// A byte count summed with overflow checks: `nil` once any product or sum overflows, which reads
/// as "more than any limit".
struct ByteCount: CustomStringConvertible {
    private(set) var value: Int? = 0

    /// Adds `a × b × c` (negative factors count as 0).
    mutating func add(_ a: Int, times b: Int, times c: Int = 1) {
        guard var sum = value else { return }
        var product = 1
        for factor in [a, b, c] {
            let (next, overflow) = product.multipliedReportingOverflow(by: max(factor, 0))
            guard !overflow else {
                value = nil
                return
            }
            product = next
        }
        let (total, overflow) = sum.addingReportingOverflow(product)
        sum = total
        value = overflow ? nil : sum
    }

    /// "1.2 GB", or "more than 2⁶³ bytes" after an overflow.
    var description: String {
        guard let value else { return "more than 2⁶³ bytes" }
        if value >= 1_000_000_000 { return "\((Double(value) / 1e9 * 10).rounded() / 10) GB" }
        return "\((Double(value) / 1e6 * 10).rounded() / 10) MB"
    }
}
