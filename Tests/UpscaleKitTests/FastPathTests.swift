import CStoryForgeResample
import Foundation
import MediaIO
import Testing
import UpscaleKit

/// The fixed-point fast path (8-bit samples, integer factor across) against the Float32 reference
/// path, on shapes and layouts that stress its edges: noise (the most overshoot a filter can make),
/// 1-pixel-wide and odd-sized images, every layout, every kernel.
@Suite("Fast path", .serialized)
struct FastPathTests {
    /// Deterministic noise (a linear congruential generator), alpha premultiplied where there is alpha
    /// so that the fast path takes it.
    static func noise(width: Int, height: Int, layout: PixelBuffer.Layout, seed: UInt64) throws -> PixelBuffer {
        var state = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let count = width * height * layout.channelCount
        let bytes = (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            // Mostly the extremes, where clamping and overflow would show.
            let value = UInt8(truncatingIfNeeded: state >> 56)
            return value < 64 ? 0 : (value > 192 ? 255 : value)
        }
        return try PixelBuffer(
            width: width, height: height, layout: layout, componentType: .uint8, bytes: bytes,
            alphaPremultiplied: layout.hasAlpha)
    }

    static let sizes = [(1, 1), (1, 6), (5, 1), (2, 3), (7, 4), (17, 9), (33, 5), (67, 3)]

    static func largestDifference(_ a: PixelBuffer, _ b: PixelBuffer) -> Int {
        var worst = 0
        for (x, y) in zip(a.bytes, b.bytes) { worst = max(worst, abs(Int(x) - Int(y))) }
        return worst
    }

    @Test(
        "on noise, odd sizes, 1-pixel-wide images and every layout it agrees with the reference within one step",
        arguments: PixelBuffer.Layout.allCases
    )
    func matchesReference(_ layout: PixelBuffer.Layout) async throws {
        for (index, (width, height)) in Self.sizes.enumerated() {
            let image = try Self.noise(width: width, height: height, layout: layout, seed: UInt64(index))
            // Integer factors take the symmetric vertical pass; a non-integer height the general one.
            let targets: [Upscaler.Configuration.Target] =
                [1, 2, 3, 4, 5, 8, 16].map { .factor($0) } + [.size(width: width * 2, height: height * 3 / 2 + 1)]
            for kernel in ResamplingKernel.allCases {
                for target in targets {
                    let upscaler = Upscaler(configuration: .init(method: .resample(kernel), target: target))
                    let fast = try await upscaler.upscale(image)
                    // 16-bit samples take the portable Float32 path.
                    let reference = try await upscaler.upscale(image.converted(to: .uint16)).converted(to: .uint8)
                    let worst = Self.largestDifference(fast, reference)
                    #expect(worst <= 1, "\(kernel) \(target) \(layout) \(width)×\(height): differs by \(worst)")
                }
            }
        }
    }

    @Test("AVX-512, AVX2 and portable C give the same bits, for every thread count and band height")
    func instructionSetsAgree() async throws {
        defer { sf_resample_limit_instruction_set(2) }
        let available = Int(sf_resample_instruction_set())
        let photo = try UpscaleExpectations.image("astronaut-face-x4.png")
        var images = [photo, photo.converted(to: .gray)]
        for layout in PixelBuffer.Layout.allCases {
            images.append(try Self.noise(width: 37, height: 11, layout: layout, seed: 7))
            images.append(try Self.noise(width: 1, height: 5, layout: layout, seed: 8))
        }
        for image in images {
            let targets: [Upscaler.Configuration.Target] =
                [1, 2, 3, 4, 8].map { .factor($0) } + [.size(width: image.width * 3, height: image.height * 5 / 2)]
            for kernel in [ResamplingKernel.lanczos3, .catmullRom, .mitchell, .bilinear, .nearest] {
                for target in targets {
                    var outputs: [PixelBuffer] = []
                    for level in 0...available {
                        sf_resample_limit_instruction_set(Int32(level))
                        let threads = level == 0 ? 1 : 2
                        let upscaler = Upscaler(
                            configuration: .init(
                                method: .resample(kernel), target: target, threads: .count(threads),
                                bandHeight: level == 0 ? 256 : 3))
                        outputs.append(try await upscaler.upscale(image))
                    }
                    for (level, output) in outputs.enumerated() {
                        #expect(
                            output == outputs[0],
                            "\(kernel) \(target) \(image.layout) \(image.width)×\(image.height): level \(level)")
                    }
                }
            }
        }
    }
}
