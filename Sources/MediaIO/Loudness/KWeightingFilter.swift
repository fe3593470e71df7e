import Foundation

/// The BS.1770 K-weighting: a high-shelf "pre-filter" (+4 dB above ~1.7 kHz) followed by the RLB
/// high-pass (~38 Hz). Coefficients are derived for any sample rate from the analogue prototypes
/// (the libebur128 derivation); at 48 kHz they equal the tabulated BS.1770 values.
struct KWeightingFilter {
    private let b0, b1, b2, a1, a2: Double
    private let c1, c2: Double  // RLB: b = [1, −2, 1], a = [1, c1, c2]
    private var x1 = 0.0, x2 = 0.0, y1 = 0.0, y2 = 0.0
    private var z1 = 0.0, z2 = 0.0

    init(sampleRate: Double) {
        var f0 = 1681.974450955533
        let gain = 3.999843853973347
        var q = 0.7071752369554196
        var k = tan(Double.pi * f0 / sampleRate)
        let vh = pow(10, gain / 20)
        let vb = pow(vh, 0.4996667741545416)
        let a0 = 1 + k / q + k * k
        b0 = (vh + vb * k / q + k * k) / a0
        b1 = 2 * (k * k - vh) / a0
        b2 = (vh - vb * k / q + k * k) / a0
        a1 = 2 * (k * k - 1) / a0
        a2 = (1 - k / q + k * k) / a0
        f0 = 38.13547087602444
        q = 0.5003270373238773
        k = tan(Double.pi * f0 / sampleRate)
        c1 = 2 * (k * k - 1) / (1 + k / q + k * k)
        c2 = (1 - k / q + k * k) / (1 + k / q + k * k)
    }

    @inline(__always) mutating func process(_ x: Double) -> Double {
        let y = b0 * x + b1 * x1 + b2 * x2 - a1 * y1 - a2 * y2
        x2 = x1
        x1 = x
        y2 = y1
        y1 = y
        // RLB in transposed direct form II: z carries the state.
        let out = y + z1
        z1 = -2 * y - c1 * out + z2
        z2 = y - c2 * out
        return out
    }
}
