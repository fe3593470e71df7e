import Foundation

/// 4× oversampling for true-peak measurement (BS.1770-4 Annex 2): a 48-tap polyphase low-pass
/// (Kaiser-windowed sinc, 12 taps per phase, cut-off at the original Nyquist frequency).
struct TruePeakOversampler: Sendable {
    static let factor = 4
    static let tapsPerPhase = 12
    private let kernel: [Float]

    init() {
        let factor = Self.factor
        let taps = Self.tapsPerPhase
        let total = factor * taps
        let beta = 6.0
        let center = Double(total - 1) / 2
        var coefficients = [Float](repeating: 0, count: total)
        for n in 0..<total {
            let x = (Double(n) - center) / Double(factor)
            let sinc = x == 0 ? 1 : sin(Double.pi * x) / (Double.pi * x)
            let ratio = (Double(n) - center) / (center + 1)
            let window = besselI0(beta * max(0, 1 - ratio * ratio).squareRoot()) / besselI0(beta)
            coefficients[n] = Float(sinc * window)
        }
        // Rearrange into phases: phase p uses taps p, p + 4, p + 8, ...
        var polyphase = [Float](repeating: 0, count: total)
        for phase in 0..<factor {
            var sum: Float = 0
            for tap in 0..<taps { sum += coefficients[tap * factor + phase] }
            for tap in 0..<taps { polyphase[phase * taps + tap] = coefficients[tap * factor + phase] / sum }
        }
        kernel = polyphase
    }

    /// One channel's filter history and the highest value so far, for measuring in blocks.
    struct State: Sendable {
        /// Each sample written twice, so a window of `tapsPerPhase` is always contiguous.
        var ring = [Float](repeating: 0, count: 2 * TruePeakOversampler.tapsPerPhase)
        var position = 0
        var peak: Float = 0
    }

    /// The highest absolute value of the 4× oversampled channel.
    func peak(_ input: UnsafeBufferPointer<Float>, channel: Int, channels: Int, frames: Int) -> Float {
        var state = State()
        feed(input, channel: channel, channels: channels, frames: frames, into: &state)
        flush(&state)
        return state.peak
    }

    /// Runs `frames` frames of one channel of interleaved `input` through the filter.
    func feed(_ input: UnsafeBufferPointer<Float>, channel: Int, channels: Int, frames: Int, into state: inout State) {
        var index = channel
        run(frames, into: &state) { _ in
            let x = input[index]
            index += channels
            return x
        }
    }

    /// Runs `tapsPerPhase` zeros through the filter, so the last samples' ringing is seen.
    func flush(_ state: inout State) {
        run(Self.tapsPerPhase, into: &state) { _ in 0 }
    }

    @inline(__always)
    private func run(_ count: Int, into state: inout State, _ next: (Int) -> Float) {
        let taps = Self.tapsPerPhase
        var position = state.position
        var peak = state.peak
        kernel.withUnsafeBufferPointer { kernel in
            state.ring.withUnsafeMutableBufferPointer { ring in
                for frame in 0..<count {
                    let x = next(frame)
                    ring[position] = x
                    ring[position + taps] = x
                    position = position + 1 == taps ? 0 : position + 1
                    for phase in 0..<Self.factor {
                        var sum: Float = 0
                        let row = phase * taps
                        for tap in 0..<taps { sum += kernel[row + tap] * ring[position + tap] }
                        peak = max(peak, abs(sum))
                    }
                }
            }
        }
        state.position = position
        state.peak = peak
    }
}
