import CStoryForgeResample

/// The fast path's plan for the C loops (see `sf_resample.h`): the weights of both axes quantised
/// to 16-bit fixed point as even and odd parts of mirrored phases, and the tables that interleave
/// the horizontal pass's phase planes into output order.
///
/// `@unchecked Sendable`: the C plan is written once in `init` and only read afterwards.
final class SIMDPlan: @unchecked Sendable {
    private let plan: OpaquePointer
    /// Bytes of scratch memory each thread needs.
    let scratchBytes: Int

    /// The plan, or `nil` when the fast path does not apply: not an integer factor across, phases
    /// that do not mirror, or weights whose sums could overflow 16-bit arithmetic.
    init?(horizontal: ResampleWeights, vertical: ResampleWeights, channels: Int) {
        // The C plan takes 32-bit sizes; larger ones (which only an in-memory input wider or taller
        // than 2³¹ pixels could bring) take the reference path instead of trapping in `Int32(_:)`.
        let limit = Int(Int32.max)
        guard horizontal.inputCount <= limit, horizontal.outputCount <= limit, vertical.inputCount <= limit,
            vertical.outputCount <= limit
        else { return nil }
        guard horizontal.outputCount % horizontal.inputCount == 0 else { return nil }
        let factor = horizontal.outputCount / horizontal.inputCount
        guard (1...16).contains(factor) else { return nil }
        // Each phase p (output x = factor·q + p) starts its window at q + start[p], whatever q.
        let starts = (0..<factor).map { Int32(horizontal.first[$0]) }
        let verticalFirst = vertical.first.map { Int32($0) }
        let created = horizontal.weights.withUnsafeBufferPointer { horizontalWeights in
            vertical.weights.withUnsafeBufferPointer { verticalWeights in
                sf_resample_plan_create(
                    Int32(channels),
                    Int32(factor),
                    Int32(horizontal.inputCount),
                    starts,
                    Int32(horizontal.taps),
                    horizontalWeights.baseAddress,
                    Int32(vertical.inputCount),
                    Int32(vertical.outputCount),
                    verticalFirst,
                    Int32(vertical.taps),
                    verticalWeights.baseAddress
                )
            }
        }
        guard let created else { return nil }
        self.plan = created
        self.scratchBytes = sf_resample_scratch_bytes(created)
    }

    deinit {
        sf_resample_plan_destroy(plan)
    }

    /// The source rows output rows `rows` read (a few more than their windows: see `sf_resample.h`).
    func sourceRows(for rows: Range<Int>) -> ClosedRange<Int> {
        var low: Int32 = 0
        var high: Int32 = 0
        sf_resample_source_rows(plan, Int32(rows.lowerBound), Int32(rows.upperBound), &low, &high)
        return Int(low)...Int(high)
    }

    /// Resamples output rows `rows`, reading source rows from `memory.input` and writing output rows
    /// to `memory.output`; `scratch` holds ``scratchBytes`` bytes, 64-byte aligned.
    func resample(rows: Range<Int>, memory: SharedRows, scratch: UnsafeMutableRawPointer) {
        sf_resample_rows_u8(
            plan,
            memory.input.assumingMemoryBound(to: UInt8.self),
            memory.inputStride,
            Int32(rows.lowerBound),
            Int32(rows.upperBound),
            memory.output.assumingMemoryBound(to: UInt8.self),
            memory.outputStride,
            scratch
        )
    }

    /// The loops plans made now use: 0 portable C, 1 AVX2, 2 AVX-512.
    static var instructionSet: Int { Int(sf_resample_instruction_set()) }
}
