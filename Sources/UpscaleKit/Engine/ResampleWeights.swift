/// The filter taps of one axis: for every output index, the first source index and a fixed number
/// of weights that sum to one. Source indices past the edges are clamped (the edge pixel repeats).
struct ResampleWeights: Sendable {
    let inputCount: Int
    let outputCount: Int
    let taps: Int
    /// `outputCount` first source indices (possibly negative or past the end; clamp when reading).
    let first: [Int]
    /// `outputCount × taps` weights.
    let weights: [Float]
    /// For each output index, the two source pixels nearest its sampling position (clamped), for
    /// the anti-ringing clamp.
    let nearest: [(Int, Int)]

    /// The number of taps per output index for these counts (both positive), or `nil` when it
    /// would not fit an `Int`: what the plan checks before any table is allocated.
    static func taps(kernel: ResamplingKernel, inputCount: Int, outputCount: Int) -> Int? {
        let scale = Double(outputCount) / Double(inputCount)
        // Enlarging samples the kernel as is; reducing stretches it over 1/scale source pixels so
        // that it also low-passes (otherwise reduction aliases).
        let stretch = min(scale, 1)
        // Enlarging, the open window (c − support, c + support) holds exactly 2·support integer
        // positions; a stretched window needs one more.
        let support = kernel.support / stretch
        let span = (2 * support).rounded(.up)
        guard span.isFinite, span < 0x1p53 else { return nil }
        return kernel == .nearest ? 1 : (stretch == 1 ? Int(span) : Int(span) + 1)
    }

    /// The taps for `inputCount → outputCount` (both positive; the plan has checked the tables'
    /// size, see `Upscaler.checkWorkingMemory`).
    init(kernel: ResamplingKernel, inputCount: Int, outputCount: Int) {
        let scale = Double(outputCount) / Double(inputCount)
        let stretch = min(scale, 1)
        let support = kernel.support / stretch
        let taps = Self.taps(kernel: kernel, inputCount: inputCount, outputCount: outputCount) ?? 1
        var first = [Int](repeating: 0, count: outputCount)
        var weights = [Float](repeating: 0, count: outputCount * taps)
        var nearest = [(Int, Int)](repeating: (0, 0), count: outputCount)
        // An integer factor s repeats the same s windows, shifted one source pixel per period:
        // computing each once took a tenth of a ×2 upscale's time on the fast path.
        let period = outputCount % inputCount == 0 ? outputCount / inputCount : 0
        var row = [Double](repeating: 0, count: taps)
        for x in 0..<outputCount {
            // Pixel centres align: output pixel x covers [x, x + 1) / scale in source units.
            let center = (Double(x) + 0.5) / scale - 0.5
            let below = Int(center.rounded(.down))
            nearest[x] = (min(max(below, 0), inputCount - 1), min(max(below + 1, 0), inputCount - 1))
            if kernel == .nearest {
                first[x] = min(max(Int((center + 0.5).rounded(.down)), 0), inputCount - 1)
                weights[x] = 1
                continue
            }
            if period > 0, x >= period {
                first[x] = first[x - period] + 1
                for k in 0..<taps { weights[x * taps + k] = weights[(x - period) * taps + k] }
                continue
            }
            let start = Int((center - support).rounded(.down)) + 1
            first[x] = start
            var sum = 0.0
            for k in 0..<taps {
                row[k] = kernel.weight((Double(start + k) - center) * stretch)
                sum += row[k]
            }
            for k in 0..<taps { weights[x * taps + k] = Float(sum != 0 ? row[k] / sum : 0) }
        }
        self.inputCount = inputCount
        self.outputCount = outputCount
        self.taps = taps
        self.first = first
        self.weights = weights
        self.nearest = nearest
    }
}
