import Foundation
import MediaIO
import PropertyBased
import Testing
import UpscaleKit

@Suite("Upscaler")
struct UpscalerTests {
    /// A Float32 image whose value varies along one axis as a slow sine: the ideal output is known
    /// exactly at every output pixel centre.
    static func sine(width: Int, height: Int, alongX: Bool, period: Double) throws -> PixelBuffer {
        var image = try PixelBuffer(width: width, height: height, layout: .gray, componentType: .float32)
        for y in 0..<height {
            for x in 0..<width {
                let u = Double(alongX ? x : y) + 0.5
                image.setComponent(0.5 + 0.4 * sin(2 * .pi * u / period), x: x, y: y, channel: 0)
            }
        }
        return image
    }

    @Test(
        "output is not shifted: |sub-pixel shift| < 0.05 px at ×2, ×4, ×8 for every kernel",
        arguments: ResamplingKernel.allCases.filter { $0 != .nearest }
    )
    func pixelCentresAlign(_ kernel: ResamplingKernel) async throws {
        let period = 24.0
        for factor in [2, 4, 8] {
            for alongX in [true, false] {
                let input = try Self.sine(
                    width: alongX ? 48 : 4, height: alongX ? 4 : 48, alongX: alongX, period: period)
                let output = try await Upscaler(
                    configuration: .init(method: .resample(kernel), target: .factor(factor))
                ).upscale(
                    input)
                // Least-squares shift δ (output pixels) of output(j) ≈ ideal(j + δ), away from the edges.
                var numerator = 0.0
                var denominator = 0.0
                let count = alongX ? output.width : output.height
                for j in (4 * factor)..<(count - 4 * factor) {
                    let u = (Double(j) + 0.5) / Double(factor)
                    let ideal = 0.5 + 0.4 * sin(2 * .pi * u / period)
                    let slope = 0.4 * cos(2 * .pi * u / period) * 2 * .pi / period / Double(factor)
                    let value = output.component(x: alongX ? j : 1, y: alongX ? 1 : j, channel: 0)
                    numerator += (value - ideal) * slope
                    denominator += slope * slope
                }
                let shift = numerator / denominator
                #expect(abs(shift) < 0.05, "\(kernel) ×\(factor) \(alongX ? "x" : "y"): shift \(shift) px")
            }
        }
    }

    @Test("a constant image stays constant for every kernel, layout and component type")
    func constantsArePreserved() async {
        await propertyCheck(
            count: 60,
            input: Gen<ResamplingKernel>.case,
            Gen<PixelBuffer.Layout>.case,
            Gen<PixelBuffer.ComponentType>.case,
            Gen.int(in: 0...255),
            Gen.int(in: 1...5)
        ) { kernel, layout, type, level, factor in
            var image = try PixelBuffer(width: 7, height: 5, layout: layout, componentType: .uint8)
            image.withUnsafeMutableBytes { raw in
                for i in 0..<raw.count { raw[i] = UInt8(level) }
            }
            image = image.converted(to: type)
            let output = try await Upscaler(configuration: .init(method: .resample(kernel), target: .factor(factor)))
                .upscale(
                    image)
            #expect(output.width == 7 * factor && output.height == 5 * factor)
            let expected = image.component(x: 0, y: 0, channel: 0)
            var worst = 0.0
            for y in 0..<output.height {
                for x in 0..<output.width {
                    for c in 0..<layout.channelCount {
                        worst = max(worst, abs(output.component(x: x, y: y, channel: c) - expected))
                    }
                }
            }
            #expect(worst <= (type == .float32 ? 1e-5 : 0), "\(kernel) \(layout) \(type): off by \(worst)")
        }
    }

    @Test("threads and band height do not change a single output bit")
    func deterministicAcrossThreads() async throws {
        let input = try UpscaleExpectations.image("astronaut-face-x4.png")
        let reference = try await Upscaler(
            configuration: .init(target: .factor(4), threads: .count(1), bandHeight: 256)
        )
        .upscale(input)
        for (threads, band) in [(2, 64), (4, 7), (3, 1)] {
            let output = try await Upscaler(
                configuration: .init(target: .factor(4), threads: .count(threads), bandHeight: band)
            )
            .upscale(input)
            #expect(output == reference, "threads \(threads), band \(band)")
        }
    }

    @Test(
        "the SIMD path for 8-bit images agrees with the reference path within one step",
        arguments: ResamplingKernel.allCases
    )
    func simdMatchesReference(_ kernel: ResamplingKernel) async throws {
        for name in ["astronaut-suit-x8.png", "astronaut-face-x4.png"] {
            let rgb = try UpscaleExpectations.image(name)
            for image in [rgb, rgb.converted(to: .gray)] {
                for factor in [1, 2, 3, 4, 8] {
                    let upscaler = Upscaler(configuration: .init(method: .resample(kernel), target: .factor(factor)))
                    let fast = try await upscaler.upscale(image)
                    // 16-bit samples take the portable Swift path.
                    let reference = try await upscaler.upscale(image.converted(to: .uint16)).converted(to: .uint8)
                    var worst = 0
                    for (a, b) in zip(fast.bytes, reference.bytes) { worst = max(worst, abs(Int(a) - Int(b))) }
                    #expect(worst <= 1, "\(kernel) ×\(factor) \(image.layout): differs by \(worst)")
                }
            }
        }
    }

    @Test(
        "interpolating kernels at ×1 return the image unchanged",
        arguments: [ResamplingKernel.nearest, .bilinear, .catmullRom, .lanczos3])
    func identity(_ kernel: ResamplingKernel) async throws {
        let input = try UpscaleExpectations.image("astronaut-face-x4.png")
        #expect(
            try await Upscaler(configuration: .init(method: .resample(kernel), target: .factor(1))).upscale(input)
                == input)
    }

    @Test("anti-ringing keeps a hard edge inside its source range; without it Lanczos overshoots")
    func antiRinging() async throws {
        var edge = try PixelBuffer(width: 16, height: 4, layout: .gray, componentType: .float32)
        for y in 0..<4 {
            for x in 0..<16 { edge.setComponent(x < 8 ? 0.2 : 0.8, x: x, y: y, channel: 0) }
        }
        func extremes(_ image: PixelBuffer) -> (Double, Double) {
            var low = 1.0
            var high = 0.0
            for x in 0..<image.width {
                low = min(low, image.component(x: x, y: 2, channel: 0))
                high = max(high, image.component(x: x, y: 2, channel: 0))
            }
            return (low, high)
        }
        let ringing = extremes(try await Upscaler(configuration: .init(target: .factor(4))).upscale(edge))
        #expect(ringing.0 < 0.19 && ringing.1 > 0.81)
        let clamped = extremes(
            try await Upscaler(configuration: .init(target: .factor(4), antiRinging: true)).upscale(edge))
        #expect(clamped.0 >= 0.2 - 1e-6 && clamped.1 <= 0.8 + 1e-6)
    }

    @Test("colour under transparent pixels does not bleed into opaque ones")
    func premultipliedAlpha() async throws {
        // Left half opaque red; right half fully transparent but green underneath.
        var image = try PixelBuffer(width: 8, height: 2, layout: .rgba, componentType: .uint8)
        for y in 0..<2 {
            for x in 0..<8 {
                image.setComponent(x < 4 ? 1 : 0, x: x, y: y, channel: 0)
                image.setComponent(x < 4 ? 0 : 1, x: x, y: y, channel: 1)
                image.setComponent(x < 4 ? 1 : 0, x: x, y: y, channel: 3)
            }
        }
        let output = try await Upscaler(configuration: .init(method: .resample(.catmullRom), target: .factor(4)))
            .upscale(image)
        for x in 0..<output.width where output.component(x: x, y: 3, channel: 3) > 0.05 {
            #expect(output.component(x: x, y: 3, channel: 1) < 0.02, "green bled into x = \(x)")
        }
    }

    @Test("every target form gives the size it names, and invalid targets are typed errors")
    func targets() async throws {
        let input = try UpscaleExpectations.image("astronaut-face-x8.png")  // 32×32
        let ratio = try await Upscaler(configuration: .init(target: .ratio(numerator: 3, denominator: 2))).upscale(
            input)
        #expect(ratio.width == 48 && ratio.height == 48)
        let size = try await Upscaler(configuration: .init(target: .size(width: 50, height: 20))).upscale(input)
        #expect(size.width == 50 && size.height == 20)
        let down = try await Upscaler(configuration: .init(target: .size(width: 16, height: 16))).upscale(input)
        #expect(down.width == 16)
        let error = await #expect(throws: UpscaleError.self) {
            _ = try await Upscaler(configuration: .init(target: .factor(0))).upscale(input)
        }
        #expect(error?.code == .invalidConfiguration)
        let error2 = await #expect(throws: UpscaleError.self) {
            _ = try await Upscaler(configuration: .init(target: .size(width: 0, height: 5))).upscale(input)
        }
        #expect(error2?.code == .invalidConfiguration)
    }

    @Test("linear-light filtering darkens less across a black/white edge than gamma filtering")
    func linearLight() async throws {
        var edge = try PixelBuffer(width: 2, height: 1, layout: .gray, componentType: .uint8, bytes: [0, 255])
        edge.colorTag = .sRGB
        let gamma = try await Upscaler(
            configuration: .init(method: .resample(.bilinear), target: .size(width: 3, height: 1))
        )
        .upscale(edge)
        let linear = try await Upscaler(
            configuration: .init(
                method: .resample(.bilinear), target: .size(width: 3, height: 1), colorHandling: .linearLight)
        ).upscale(edge)
        #expect(linear.component(x: 1, y: 0, channel: 0) > gamma.component(x: 1, y: 0, channel: 0) + 0.1)
    }

    @Test("file-to-file streaming equals the in-memory upscale, and publishes only a complete file")
    func streaming() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("upscale-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = UpscaleExpectations.directory.appendingPathComponent("astronaut-suit-x4.png")
        let input = try UpscaleExpectations.image("astronaut-suit-x4.png")
        for (kernel, factor, band) in [(ResamplingKernel.lanczos3, 4, 64), (.mitchell, 3, 5), (.bilinear, 8, 300)] {
            let upscaler = Upscaler(
                configuration: .init(method: .resample(kernel), target: .factor(factor), bandHeight: band))
            let destination = directory.appendingPathComponent("out-\(kernel)-\(factor).png")
            let report = try await upscaler.upscaleFile(from: source, to: destination)
            #expect(report.outputWidth == input.width * factor)
            let streamed = try ImageDecoder().decode(contentsOf: destination).pixels
            #expect(streamed == (try await upscaler.upscale(input)), "\(kernel) ×\(factor)")
        }
        let contents = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(contents.allSatisfy { !$0.hasPrefix(".") }, "no temporary files left: \(contents)")

        let corrupt = directory.appendingPathComponent("corrupt.png")
        var bytes = try Data(contentsOf: source)
        bytes.removeLast(bytes.count / 3)
        try bytes.write(to: corrupt)
        let never = directory.appendingPathComponent("never.png")
        let error = await #expect(throws: ImageCodecError.self) {
            try await Upscaler(configuration: .init(target: .factor(2))).upscaleFile(from: corrupt, to: never)
        }
        #expect(error?.code == .truncated)
        #expect(!FileManager.default.fileExists(atPath: never.path))
    }

    @Test("cancelling the task stops the upscale with CancellationError")
    func cancellation() async throws {
        // Float32 takes the portable path: seconds of work for ×8 of 256², far longer than the wait.
        let input = try UpscaleExpectations.image("astronaut-face.png").converted(to: .float32)
        let upscaler = Upscaler(configuration: .init(target: .factor(8), threads: .count(1), bandHeight: 1))
        let clock = ContinuousClock()
        let started = clock.now
        let task = Task { try await upscaler.upscale(input) }
        try await Task.sleep(for: .milliseconds(20))
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        #expect(clock.now - started < .seconds(30))

        let cancelledFirst = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await upscaler.upscale(input)
        }
        await #expect(throws: CancellationError.self) { _ = try await cancelledFirst.value }
    }
}
