import Testing

@testable import UpscaleKit

/// The C convolution: the vector version (AVX2+FMA where the CPU has it) against the portable loop,
/// on every layer shape of the bundled models and on row widths that leave partial blocks.
@Suite("Learned model convolution")
struct ConvolutionTests {
    @Test("the dispatched convolution equals the portable loop within Float32 rounding", arguments: [2, 4])
    func vectorMatchesPortable(_ factor: Int) throws {
        let model = try LearnedModel.bundled(factor: factor)
        var generator = SplitMix(seed: 42)
        for layer in model.layers + [model.skip] {
            for (width, height) in [(1, 1), (5, 3), (13, 4), (40, 7)] {
                let inputWidth = width + layer.kernel - 1
                let inputHeight = height + layer.kernel - 1
                let input = (0..<(inputWidth * inputHeight * layer.inputChannels)).map { _ in
                    Float(generator.next() % 2001) / 1000 - 1
                }
                var fast = [Float](repeating: .nan, count: width * height * layer.outputChannels)
                var portable = fast
                input.withUnsafeBufferPointer { source in
                    fast.withUnsafeMutableBufferPointer { output in
                        LearnedEngine.convolve(
                            layer, input: source.baseAddress!, inputStride: inputWidth * layer.inputChannels,
                            size: (width, height), output: output.baseAddress!)
                    }
                    portable.withUnsafeMutableBufferPointer { output in
                        LearnedEngine.convolve(
                            layer, input: source.baseAddress!, inputStride: inputWidth * layer.inputChannels,
                            size: (width, height), output: output.baseAddress!, portable: true)
                    }
                }
                let worst = zip(fast, portable).map { abs($0 - $1) }.max() ?? .nan
                #expect(
                    worst < 1e-4,
                    "\(layer.kernel)×\(layer.kernel) \(layer.inputChannels)→\(layer.outputChannels), \(width)×\(height)"
                )
            }
        }
    }
}

/// A small deterministic generator (SplitMix64) for test data.
private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
