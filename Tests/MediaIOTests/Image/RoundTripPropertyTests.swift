import Foundation
import MediaIO
import PropertyBased
import Testing

@Suite("Round trips")
struct RoundTripPropertyTests {
    @Test("random images of every layout and depth round-trip PNG losslessly")
    func pngIsLossless() async {
        await propertyCheck(
            count: 300,
            input: Gen.int(in: 1...40),
            Gen.int(in: 1...40),
            Gen<PixelBuffer.Layout>.case,
            Gen.bool,
            Gen.int(in: 0...9),
            Gen.uint64()
        ) { width, height, layout, sixteenBit, level, seed in
            let type: PixelBuffer.ComponentType = sixteenBit ? .uint16 : .uint8
            let image = try TestImages.noise(width: width, height: height, layout: layout, type: type, seed: seed)
            let png = try ImageEncoder(format: .png(.init(compressionLevel: level))).encode(image)
            let decoded = try ImageDecoder().decode(png)
            #expect(decoded.pixels == image)
            #expect(decoded.metadata.sourceBitDepth == (sixteenBit ? 16 : 8))
        }
    }

    @Test("JPEG at quality 100 with 4:4:4 round-trips above 45 dB PSNR")
    func jpegQuality100IsNearLossless() async {
        await propertyCheck(
            count: 150,
            input: Gen.int(in: 1...64),
            Gen.int(in: 1...64),
            Gen.element(of: [PixelBuffer.Layout.gray, .rgb]),
            Gen.uint64()
        ) { width, height, layout, seed in
            let image = try TestImages.smooth(width: width, height: height, layout: layout!, seed: seed)
            let options = ImageEncoder.JPEGOptions(quality: 100, chromaSubsampling: .yuv444)
            let jpeg = try ImageEncoder(format: .jpeg(options)).encode(image)
            let decoded = try ImageDecoder().decode(jpeg).pixels
            let psnr = TestImages.psnr(image, decoded)
            #expect(psnr > 45, "PSNR \(psnr) dB for \(width)×\(height) \(layout!)")
        }
    }

    @Test("PNG metadata survives a round trip: ICC bytes, colour tag and text chunks")
    func pngMetadataRoundTrips() throws {
        let icc = try Fixture.data("srgb.icc")
        var image = try TestImages.smooth(width: 9, height: 7, layout: .rgb, seed: 3)
        image.iccProfile = icc
        let chunks = [
            ImageTextChunk(keyword: "Title", text: "Ein Bild"),
            ImageTextChunk(keyword: "Comment", text: "compressed and Latin-1: café", compressed: true),
            ImageTextChunk(keyword: "Description", text: "UTF-8: 物語 🎬", compressed: true),
        ]
        let png = try ImageEncoder(format: .png(.init(textChunks: chunks))).encode(image)
        let decoded = try ImageDecoder().decode(png)
        #expect(decoded.pixels.iccProfile == icc)
        #expect(decoded.metadata.colorTag == .unknown)
        #expect(decoded.metadata.textChunks == chunks)

        var linear = image
        linear.iccProfile = nil
        linear.colorTag = .linear
        let tagged = try ImageDecoder().decode(ImageEncoder(format: .png()).encode(linear))
        #expect(tagged.metadata.gamma == 1.0)
        #expect(tagged.pixels.colorTag == .linear)
    }

    @Test(
        "JPEG carries its ICC profile and every subsampling decodes", arguments: ImageEncoder.ChromaSubsampling.allCases
    )
    func jpegICCAndSubsampling(_ subsampling: ImageEncoder.ChromaSubsampling) throws {
        let icc = try Fixture.data("srgb.icc")
        var image = try TestImages.smooth(width: 33, height: 17, layout: .rgb, seed: 9)
        image.iccProfile = icc
        for progressive in [false, true] {
            let options = ImageEncoder.JPEGOptions(
                quality: 95, chromaSubsampling: subsampling, progressive: progressive)
            let decoded = try ImageDecoder().decode(ImageEncoder(format: .jpeg(options)).encode(image))
            #expect(decoded.pixels.iccProfile == icc)
            #expect(decoded.metadata.interlaced == progressive)
            #expect(TestImages.psnr(image, decoded.pixels) > 30)
        }
    }

    @Test("JPEG encoding converts 16-bit, Float32 and alpha images to 8-bit colour")
    func jpegConvertsWhatItCannotStore() throws {
        let base = try TestImages.smooth(width: 20, height: 10, layout: .rgba, seed: 5)
        for image in [base, base.converted(to: .uint16), base.converted(to: .float32), base.converted(to: .grayAlpha)] {
            let decoded = try ImageDecoder().decode(ImageEncoder(format: .jpeg(.init(quality: 100))).encode(image))
                .pixels
            #expect(decoded.layout == (image.layout == .grayAlpha ? .gray : .rgb))
            #expect(TestImages.psnr(image.converted(to: decoded.layout, componentType: .uint8), decoded) > 35)
        }
    }
}
