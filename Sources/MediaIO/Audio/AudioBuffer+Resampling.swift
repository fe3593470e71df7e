import Foundation

extension AudioBuffer {
    /// The same audio at another sample rate, through a Kaiser-windowed sinc filter.
    ///
    /// The filter has 32 zero crossings each side (Kaiser β = 8.6: about 85 dB of stop-band rejection)
    /// and its cut-off sits at 0.95 of the lower Nyquist frequency, so downsampling does not alias.
    /// Rates whose ratio reduces to at most 4096 phases (22.05 → 48 kHz is 320/147) use exact
    /// phases; others round to the nearest of 4096.
    public func resampled(to targetRate: Int) throws -> AudioBuffer {
        guard targetRate > 0 else { throw AudioError.invalidArgument("target rate \(targetRate) must be positive") }
        if targetRate == sampleRate || samples.isEmpty {
            return AudioBuffer(unchecked: targetRate, channelCount, targetRate == sampleRate ? samples : [])
        }
        let divisor = gcd(targetRate, sampleRate)
        let up = targetRate / divisor  // phases per input sample
        let down = sampleRate / divisor
        let phases = min(up, 4096)
        let zeroCrossings = 32
        let cutoff = 0.95 * min(1, Double(targetRate) / Double(sampleRate))
        // Taps per phase, in input samples: the kernel is widened when downsampling.
        let halfWidth = Int((Double(zeroCrossings) / cutoff).rounded(.up))
        let taps = 2 * halfWidth
        let beta = 8.6
        let besselBeta = besselI0(beta)
        var table = [Float](repeating: 0, count: phases * taps)
        for phase in 0..<phases {
            let fraction = Double(phase) / Double(phases)
            var sum = 0.0
            var row = [Double](repeating: 0, count: taps)
            for tap in 0..<taps {
                // Distance from the output instant to input sample (floor + tap - halfWidth + 1).
                let x = Double(tap - halfWidth + 1) - fraction
                let ratio = x / Double(halfWidth)
                guard abs(ratio) < 1 else { continue }
                let window = besselI0(beta * (1 - ratio * ratio).squareRoot()) / besselBeta
                let arg = Double.pi * x * cutoff
                let sinc = arg == 0 ? 1 : sin(arg) / arg
                row[tap] = cutoff * sinc * window
                sum += row[tap]
            }
            // Normalise each phase to unity gain at DC so a constant stays constant.
            for tap in 0..<taps { table[phase * taps + tap] = Float(row[tap] / sum) }
        }
        let inFrames = frameCount
        let outFrames = Int((Int64(inFrames) * Int64(up) + Int64(down) - 1) / Int64(down))
        let channels = channelCount
        var out = [Float](repeating: 0, count: outFrames * channels)
        samples.withUnsafeBufferPointer { input in
            table.withUnsafeBufferPointer { kernel in
                out.withUnsafeMutableBufferPointer { output in
                    for frame in 0..<outFrames {
                        // Position in input samples = frame * down / up.
                        let numerator = Int64(frame) * Int64(down)
                        let base = Int(numerator / Int64(up))
                        let remainder = Int(numerator % Int64(up))
                        let phase = phases == up ? remainder : min(phases - 1, remainder * phases / up)
                        let row = phase * taps
                        let first = base - halfWidth + 1
                        for channel in 0..<channels {
                            var accumulator: Float = 0
                            if first >= 0 && first + taps <= inFrames {
                                var index = first * channels + channel
                                for tap in 0..<taps {
                                    accumulator += kernel[row + tap] * input[index]
                                    index += channels
                                }
                            } else {
                                for tap in 0..<taps {
                                    let source = first + tap
                                    if source >= 0 && source < inFrames {
                                        accumulator += kernel[row + tap] * input[source * channels + channel]
                                    }
                                }
                            }
                            output[frame * channels + channel] = accumulator
                        }
                    }
                }
            }
        }
        return AudioBuffer(unchecked: targetRate, channels, out)
    }
}

private func gcd(_ a: Int, _ b: Int) -> Int {
    var (a, b) = (a, b)
    while b != 0 { (a, b) = (b, a % b) }
    return a
}

/// The modified Bessel function of the first kind, order 0 (series; converges fast for x < 20).
func besselI0(_ x: Double) -> Double {
    var sum = 1.0
    var term = 1.0
    let half = x / 2
    for k in 1..<50 {
        term *= (half / Double(k)) * (half / Double(k))
        sum += term
        if term < sum * 1e-17 { break }
    }
    return sum
}
