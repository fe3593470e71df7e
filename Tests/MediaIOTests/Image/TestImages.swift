import Foundation
import MediaIO

/// A small deterministic generator (SplitMix64), so failing cases reproduce from their seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

enum TestImages {
    /// Random samples of every byte value: the hardest case for a lossless codec.
    static func noise(
        width: Int,
        height: Int,
        layout: PixelBuffer.Layout,
        type: PixelBuffer.ComponentType,
        seed: UInt64
    ) throws -> PixelBuffer {
        var rng = SplitMix64(state: seed)
        let count = width * height * layout.channelCount * type.byteCount
        let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
        return try PixelBuffer(width: width, height: height, layout: layout, componentType: type, bytes: bytes)
    }

    /// A smooth photograph-like picture: gradients, a soft disc and mild noise.
    static func smooth(width: Int, height: Int, layout: PixelBuffer.Layout, seed: UInt64) throws -> PixelBuffer {
        var rng = SplitMix64(state: seed)
        var image = try PixelBuffer(width: width, height: height, layout: layout, componentType: .uint8)
        let phase = Double.random(in: 0..<6.28, using: &rng)
        for y in 0..<height {
            for x in 0..<width {
                let u = Double(x) / Double(max(width - 1, 1))
                let v = Double(y) / Double(max(height - 1, 1))
                let disc = max(0, 1 - hypot(u - 0.5, v - 0.5) * 2.5)
                for c in 0..<layout.channelCount {
                    let base = 0.5 + 0.35 * sin(phase + u * 3 + Double(c)) * cos(v * 2 - Double(c)) + 0.2 * disc
                    let noise = Double.random(in: -0.01...0.01, using: &rng)
                    image.setComponent(base + noise, x: x, y: y, channel: c)
                }
            }
        }
        return image
    }

    /// PSNR in dB between two images of the same geometry, over all channels.
    static func psnr(_ a: PixelBuffer, _ b: PixelBuffer) -> Double {
        let x = a.compacted().bytes
        let y = b.compacted().bytes
        precondition(x.count == y.count)
        var sum = 0.0
        for i in 0..<x.count {
            let d = Double(x[i]) - Double(y[i])
            sum += d * d
        }
        let mse = sum / Double(x.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }
}
