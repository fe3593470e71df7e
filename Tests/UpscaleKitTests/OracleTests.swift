import Foundation
import MediaIO
import Testing
import UpscaleKit

@Suite("Upscaling matches Pillow on photographs")
struct OracleTests {
    @Test(
        "catmullRom equals Pillow BICUBIC and lanczos3 Pillow LANCZOS within 0.02 dB",
        arguments: UpscaleExpectations.shared.oracles)
    func matchesPillow(_ oracle: UpscaleExpectations.Oracle) async throws {
        #expect(!UpscaleExpectations.shared.oracles.isEmpty)
        let truth = try UpscaleExpectations.image(oracle.crop)
        let input = try UpscaleExpectations.image(oracle.input)
        for (kernel, expected) in [
            (ResamplingKernel.catmullRom, oracle.pillowBicubicPsnrLuma), (.lanczos3, oracle.pillowLanczosPsnrLuma),
        ] {
            let output = try await Upscaler(
                configuration: .init(method: .resample(kernel), target: .factor(oracle.factor))
            )
            .upscale(input)
            let psnr = try ImageQuality.psnrLuma(truth, output)
            #expect(abs(psnr - expected) <= 0.02, "\(kernel) ×\(oracle.factor): \(psnr) dB, Pillow \(expected) dB")
        }
    }
}

@Suite("Quality metrics equal scikit-image's")
struct MetricsTests {
    @Test("PSNR, SSIM, sharpness and round trip", arguments: UpscaleExpectations.shared.metrics)
    func metricsMatch(_ expected: UpscaleExpectations.Metrics) throws {
        let reference = try UpscaleExpectations.image(expected.reference)
        let test = try UpscaleExpectations.image(expected.test)
        let low = try UpscaleExpectations.image(expected.low)
        #expect(abs(try ImageQuality.psnr(reference, test) - expected.psnrRgb) <= 1e-3)
        #expect(abs(try ImageQuality.psnrLuma(reference, test) - expected.psnrLuma) <= 1e-3)
        #expect(abs(try ImageQuality.ssim(reference, test) - expected.ssimLuma) <= 1e-4)
        #expect(abs(ImageQuality.sharpness(test) - expected.sharpness) <= expected.sharpness * 1e-6)
        let roundTrip = try #require(try ImageQuality.roundTripPSNR(input: low, output: test))
        #expect(abs(roundTrip - expected.roundTripPsnrLuma) <= 1e-3)
    }

    @Test("identical images: infinite PSNR, SSIM 1; mismatched images are a typed error")
    func edgeCases() throws {
        let image = try UpscaleExpectations.image("astronaut-face.png")
        #expect(try ImageQuality.psnr(image, image) == .infinity)
        #expect(abs(try ImageQuality.ssim(image, image) - 1) < 1e-12)
        let small = try UpscaleExpectations.image("astronaut-face-x2.png")
        let error = #expect(throws: UpscaleError.self) { _ = try ImageQuality.psnr(image, small) }
        #expect(error?.code == .mismatchedImages)
        #expect(try ImageQuality.roundTripPSNR(input: image, output: small) == nil)
    }
}
