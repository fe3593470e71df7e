import Foundation
import MediaIO
import PropertyBased
import Testing

@Suite("PixelBuffer")
struct PixelBufferTests {
    @Test("invalid geometry is a typed error, not a crash")
    func invalidGeometry() {
        let error = #expect(throws: ImageCodecError.self) {
            _ = try PixelBuffer(width: 0, height: 4, layout: .rgb, componentType: .uint8)
        }
        #expect(error?.code == .invalidArgument)
        let error2 = #expect(throws: ImageCodecError.self) {
            _ = try PixelBuffer(width: 4, height: 4, layout: .rgb, componentType: .uint8, rowStride: 11)
        }
        #expect(error2?.code == .invalidArgument)
        let error3 = #expect(throws: ImageCodecError.self) {
            _ = try PixelBuffer(width: .max / 2, height: 3, layout: .rgba, componentType: .float32)
        }
        #expect(error3?.code == .invalidArgument)
        let error4 = #expect(throws: ImageCodecError.self) {
            _ = try PixelBuffer(width: 4, height: 4, layout: .gray, componentType: .uint8, bytes: [1, 2, 3])
        }
        #expect(error4?.code == .invalidArgument)
    }

    @Test("8 ↔ 16 bits: 8 → 16 → 8 is the identity and 16 → 8 rounds v / 257")
    func bitDepthConversions() throws {
        let ramp = try PixelBuffer(width: 256, height: 1, layout: .gray, componentType: .uint8, bytes: Array(0...255))
        let wide = ramp.converted(to: .uint16)
        #expect(wide.component(x: 255, y: 0, channel: 0) == 1)
        #expect(wide.converted(to: .uint8) == ramp)
        #expect(ramp.converted(to: .float32).converted(to: .uint8) == ramp)

        let samples: [UInt16] = [0, 128, 129, 385, 386, 65535]
        let bytes = samples.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let narrow = try PixelBuffer(width: 6, height: 1, layout: .gray, componentType: .uint16, bytes: bytes)
            .converted(to: .uint8)
        #expect(narrow.bytes == samples.map { UInt8((Double($0) / 257).rounded()) })
    }

    @Test("Float32 → integers clamps out-of-range values and maps NaN to 0")
    func floatClamping() throws {
        let values: [Float] = [-0.5, 0, 0.5, 1, 7, .nan]
        let bytes = values.flatMap { value in withUnsafeBytes(of: value) { Array($0) } }
        let image = try PixelBuffer(width: 6, height: 1, layout: .gray, componentType: .float32, bytes: bytes)
        #expect(image.converted(to: .uint8).bytes == [0, 0, 128, 255, 255, 0])
    }

    @Test("layout conversions: gray ↔ RGB, BT.601 luma, alpha added opaque and dropped")
    func layouts() throws {
        let rgb = try PixelBuffer(
            width: 3, height: 1, layout: .rgb, componentType: .uint8, bytes: [255, 0, 0, 0, 255, 0, 10, 20, 30])
        #expect(rgb.converted(to: .gray).bytes == [76, 150, 18])  // Pillow's L for the same pixels
        let rgba = rgb.converted(to: .rgba)
        #expect(rgba.bytes == [255, 0, 0, 255, 0, 255, 0, 255, 10, 20, 30, 255])
        #expect(rgba.converted(to: .rgb) == rgb)
        let gray = try PixelBuffer(
            width: 2, height: 1, layout: .grayAlpha, componentType: .uint8, bytes: [9, 100, 200, 0])
        #expect(gray.converted(to: .rgba).bytes == [9, 9, 9, 100, 200, 200, 200, 0])
    }

    @Test("every layout and type converts to every other and back without loss where lossless")
    func conversionsRoundTrip() async {
        await propertyCheck(
            count: 200,
            input: Gen<PixelBuffer.Layout>.case,
            Gen<PixelBuffer.ComponentType>.case,
            Gen.uint64()
        ) { layout, type, seed in
            let image = try TestImages.noise(width: 5, height: 3, layout: layout, type: .uint8, seed: seed)
            // 8-bit values survive a trip through any wider type, and colour survives adding alpha.
            #expect(image.converted(to: type).converted(to: .uint8) == image)
            #expect(image.converted(to: layout.withAlpha).converted(to: layout) == image || layout.hasAlpha)
        }
    }

    @Test("premultiplying and back is exact where alpha is opaque and never exceeds alpha")
    func premultiplication() throws {
        let image = try PixelBuffer(
            width: 3,
            height: 1,
            layout: .rgba,
            componentType: .uint8,
            bytes: [200, 100, 50, 255, 200, 100, 50, 128, 200, 100, 50, 0]
        )
        let premultiplied = image.premultipliedAlpha()
        #expect(premultiplied.alphaPremultiplied)
        #expect(premultiplied.bytes == [200, 100, 50, 255, 100, 50, 25, 128, 0, 0, 0, 0])
        let back = premultiplied.unpremultipliedAlpha()
        #expect(Array(back.bytes[0..<4]) == [200, 100, 50, 255])
        #expect(Array(back.bytes[8..<12]) == [0, 0, 0, 0])
        #expect(back.bytes[4..<7].elementsEqual([199, 100, 50]))
    }

    @Test("equality ignores row padding")
    func paddingIsInvisible() throws {
        let packed = try PixelBuffer(width: 2, height: 2, layout: .gray, componentType: .uint8, bytes: [1, 2, 3, 4])
        let padded = try PixelBuffer(
            width: 2,
            height: 2,
            layout: .gray,
            componentType: .uint8,
            bytes: [1, 2, 99, 3, 4, 77],
            rowStride: 3
        )
        #expect(packed == padded)
        #expect(packed.hashValue == padded.hashValue)
        #expect(padded.compacted().bytes == [1, 2, 3, 4])
    }

    @Test("orientation turns a 2×3 image into each of the eight EXIF views")
    func orientations() throws {
        // a b
        // c d
        // e f
        let image = try PixelBuffer(width: 2, height: 3, layout: .gray, componentType: .uint8, bytes: Array(1...6))
        let expected: [ImageOrientation: [UInt8]] = [
            .topLeft: [1, 2, 3, 4, 5, 6],
            .topRight: [2, 1, 4, 3, 6, 5],
            .bottomRight: [6, 5, 4, 3, 2, 1],
            .bottomLeft: [5, 6, 3, 4, 1, 2],
            .leftTop: [1, 3, 5, 2, 4, 6],
            .rightTop: [5, 3, 1, 6, 4, 2],
            .rightBottom: [6, 4, 2, 5, 3, 1],
            .leftBottom: [2, 4, 6, 1, 3, 5],
        ]
        for (orientation, bytes) in expected {
            let turned = image.applyingOrientation(orientation)
            #expect(turned.bytes == bytes, "\(orientation)")
            #expect(turned.width == (orientation.swapsDimensions ? 3 : 2))
        }
    }

    @Test("formats are sniffed from content, not names")
    func sniffing() throws {
        #expect(ImageFormat.sniff(try Fixture.data("png-1x1.png")) == .png)
        #expect(ImageFormat.sniff(try Fixture.data("jpeg-1x1.jpg")) == .jpeg)
        #expect(ImageFormat.sniff([0x89, 0x50, 0x4E]) == nil)
        #expect(ImageFormat.sniff(Data("GIF89a".utf8)) == nil)
        let error = #expect(throws: ImageCodecError.self) { _ = try ImageDecoder().decode(Data("GIF89a....".utf8)) }
        #expect(error?.code == .unsupported)
        let error2 = #expect(throws: ImageCodecError.self) { _ = try ImageDecoder().decode(Data()) }
        #expect(error2?.code == .unsupported)
    }
}
