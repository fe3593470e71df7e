import Foundation
import MediaIO

@testable import UpscaleKit

/// Stills written as real PNG files in a fresh temporary directory, and the geometry the tests check.
struct RenderScratchDirectory: ~Copyable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appending(path: "storyforge-render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// A gray still (R = G = B) whose values come from `value(x, y)` in 0...255, as a PNG.
    func grayStill(_ name: String, width: Int, height: Int, _ value: (Int, Int) -> Double) throws -> URL {
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let v = UInt8(clamping: Int((value(x, y)).rounded()))
                let base = (y * width + x) * 3
                bytes[base] = v
                bytes[base + 1] = v
                bytes[base + 2] = v
            }
        }
        return try write(name, width: width, height: height, bytes)
    }

    /// A colourful still from `rgb(x, y)`, as a PNG.
    func colorStill(
        _ name: String, width: Int, height: Int, _ rgb: (Int, Int) -> (UInt8, UInt8, UInt8)
    ) throws -> URL {
        var bytes = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                let (r, g, b) = rgb(x, y)
                let base = (y * width + x) * 3
                bytes[base] = r
                bytes[base + 1] = g
                bytes[base + 2] = b
            }
        }
        return try write(name, width: width, height: height, bytes)
    }

    private func write(_ name: String, width: Int, height: Int, _ bytes: [UInt8]) throws -> URL {
        let image = try PixelBuffer(width: width, height: height, layout: .rgb, componentType: .uint8, bytes: bytes)
        let file = url.appending(path: name)
        try ImageEncoder(format: .png(.init(compressionLevel: 1))).write(image, to: file)
        return file
    }
}

enum RenderGeometry {
    /// Where source pixel centre (`sx`, `sy`) lands in the output, in output pixel-centre coordinates.
    static func project(_ sx: Double, _ sy: Double, crop: CropRect, width: Int, height: Int) -> (Double, Double) {
        (
            (sx + 0.5 - crop.x) * Double(width) / crop.width - 0.5,
            (sy + 0.5 - crop.y) * Double(height) / crop.height - 0.5
        )
    }

    /// PSNR in dB of two equally long 8-bit planes (∞ when equal).
    static func psnr(_ a: [UInt8], _ b: [UInt8]) -> Double {
        var sum = 0.0
        for i in 0..<a.count {
            let d = Double(a[i]) - Double(b[i])
            sum += d * d
        }
        return sum == 0 ? .infinity : 10 * log10(255 * 255 / (sum / Double(a.count)))
    }

    /// PSNR in dB of an 8-bit plane against exact values.
    static func psnr(_ a: [UInt8], _ exact: [Double]) -> Double {
        var sum = 0.0
        for i in 0..<a.count {
            let d = Double(a[i]) - exact[i]
            sum += d * d
        }
        return sum == 0 ? .infinity : 10 * log10(255 * 255 / (sum / Double(a.count)))
    }

    /// Renders frame `index` of `timeline` with a fresh renderer's source.
    static func render(_ source: StillFrameSource, _ index: Int) throws -> YUV420Frame {
        var frame = try YUV420Frame(width: source.timeline.width, height: source.timeline.height)
        try source.render(frame: index, into: &frame)
        return frame
    }

    static func timeline(
        _ shots: [VideoTimeline.Shot], width: Int, height: Int, zoom: Double = 0.15,
        easing: MotionEasing = .easeInOut
    ) -> VideoTimeline {
        let total = shots.map { $0.startFrame + $0.frameCount }.max() ?? 0
        return VideoTimeline(
            shots: shots, totalFrames: total, width: width, height: height, frameRate: 30, zoomAmount: zoom,
            easing: easing)
    }
}

/// An independent, straightforward Lanczos-3 resize of a crop of one plane in Double: no tables, no
/// fixed point, the kernel evaluated with `sin` for every tap, edges clamped.
enum ReferenceLanczos {
    static func kernel(_ x: Double) -> Double {
        let t = abs(x)
        if t >= 3 { return 0 }
        if t < 1e-12 { return 1 }
        let p = Double.pi * t
        return 3 * sin(p) * sin(p / 3) / (p * p)
    }

    /// Taps of one axis: for each output sample, (source index, weight) pairs summing to one.
    static func taps(start: Double, length: Double, count: Int, sourceCount: Int) -> [[(Int, Double)]] {
        let scale = Double(count) / length
        let stretch = min(scale, 1)
        let support = 3 / stretch
        return (0..<count).map { i in
            let centre = start + (Double(i) + 0.5) / scale - 0.5
            let low = Int((centre - support).rounded(.down)) + 1
            let high = Int((centre + support).rounded(.up)) - 1
            var pairs: [(Int, Double)] = []
            for k in low...high {
                pairs.append((min(max(k, 0), sourceCount - 1), kernel((Double(k) - centre) * stretch)))
            }
            let sum = pairs.reduce(0) { $0 + $1.1 }
            return pairs.map { ($0.0, $0.1 / sum) }
        }
    }

    /// The crop `crop` of `plane` (`width × height`) resized to `outputWidth × outputHeight`, unrounded.
    static func resize(
        _ plane: [UInt8], width: Int, height: Int, crop: CropRect, outputWidth: Int, outputHeight: Int
    ) -> [Double] {
        let across = taps(start: crop.x, length: crop.width, count: outputWidth, sourceCount: width)
        let down = taps(start: crop.y, length: crop.height, count: outputHeight, sourceCount: height)
        var rows = [Double](repeating: 0, count: height * outputWidth)
        for y in 0..<height {
            for x in 0..<outputWidth {
                var sum = 0.0
                for (index, weight) in across[x] { sum += weight * Double(plane[y * width + index]) }
                rows[y * outputWidth + x] = sum
            }
        }
        var out = [Double](repeating: 0, count: outputWidth * outputHeight)
        for y in 0..<outputHeight {
            for x in 0..<outputWidth {
                var sum = 0.0
                for (index, weight) in down[y] { sum += weight * rows[index * outputWidth + x] }
                out[y * outputWidth + x] = sum
            }
        }
        return out
    }
}
