import CStoryForgeResample
import MediaIO

/// The fast path's plan: the horizontal weights of an integer-factor upscale laid out as a
/// periodic fixed-tap convolution over a pixel-repeated row (see `sf_resample.h`), for the C loops.
///
/// `@unchecked Sendable`: the weight table is written once in `init` and only read afterwards.
final class SIMDPlan: @unchecked Sendable {
    let plan: sf_horizontal_plan
    private let table: UnsafeMutablePointer<Float>

    /// The plan for `weights`, or `nil` when the fast path does not apply (not an integer factor,
    /// or a window that starts to the right of its pixel).
    init?(horizontal weights: ResampleWeights, channels: Int) {
        guard weights.outputCount % weights.inputCount == 0 else { return nil }
        let factor = weights.outputCount / weights.inputCount
        guard (1...16).contains(factor), weights.inputCount >= 2 else { return nil }
        // Each phase p (output x = factor·q + p) starts its window at q + relative[p], whatever q.
        let relative = (0..<factor).map { weights.first[$0] }
        let offset = relative.min()!
        let taps = relative.max()! - offset + weights.taps
        guard offset <= 0 else { return nil }
        let group = factor * channels
        var block = group
        // The C loop sums 32 outputs at a time (four AVX registers of independent sums).
        while block % 32 != 0 { block += group }
        let table = UnsafeMutablePointer<Float>.allocate(capacity: taps * block)
        table.initialize(repeating: 0, count: taps * block)
        for j in 0..<block {
            let phase = (j % group) / channels
            for k in 0..<weights.taps {
                table[(k + relative[phase] - offset) * block + j] = weights.weights[phase * weights.taps + k]
            }
        }
        self.table = table
        self.plan = sf_horizontal_plan(
            channels: Int32(channels),
            factor: Int32(factor),
            input_width: Int32(weights.inputCount),
            taps: Int32(taps),
            pad_left: Int32(-offset),
            pad_right: Int32(max(0, offset + taps)),
            block: Int32(block),
            weights: table
        )
    }

    deinit {
        table.deallocate()
    }

    var scratchCount: Int { withUnsafePointer(to: plan) { sf_horizontal_scratch_count($0) } }
    var outputCount: Int { withUnsafePointer(to: plan) { sf_horizontal_output_count($0) } }

    func resampleRow(
        _ row: UnsafePointer<UInt8>, scratch: UnsafeMutablePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        withUnsafePointer(to: plan) { sf_resample_horizontal_u8($0, row, scratch, out) }
    }

    /// Whether the running CPU uses the AVX2+FMA loops.
    static var usesAVX2: Bool { sf_resample_uses_avx2() != 0 }
}
