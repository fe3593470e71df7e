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

    /// The highest absolute value of the 4× oversampled channel.
    func peak(_ input: UnsafeBufferPointer<Float>, channel: Int, channels: Int, frames: Int) -> Float {
        let taps = Self.tapsPerPhase
        var history = [Float](repeating: 0, count: 2 * taps)
        var position = 0
        var peak: Float = 0
        kernel.withUnsafeBufferPointer { kernel in
            history.withUnsafeMutableBufferPointer { ring in
                var index = channel
                // Run `taps` frames of zeros past the end so the last samples' ringing is seen.
                for frame in 0..<(frames + taps) {
                    let x: Float = frame < frames ? input[index] : 0
                    index += channels
                    // Write each sample twice so a window of `taps` is always contiguous.
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
        return peak
    }
}
