import Foundation
import MediaIO
import Testing

@testable import UpscaleKit

@Suite("Frame renderer quality")
struct StillFrameQualityTests {
    static let width = 216
    static let height = 384

    /// Gaussian dots (σ 6 source pixels, every 60 pixels) on a dark gray still.
    static func dots(_ directory: borrowing RenderScratchDirectory, width: Int, height: Int) throws -> (
        URL, [(Double, Double)]
    ) {
        var centres: [(Double, Double)] = []
        for cy in stride(from: 30.0, to: Double(height), by: 60) {
            for cx in stride(from: 30.0, to: Double(width), by: 60) { centres.append((cx, cy)) }
        }
        let sigma = 6.0
        let url = try directory.grayStill("dots.png", width: width, height: height) { x, y in
            // Only the nearest dot matters (the next is 10σ away).
            let cx = (Double(x) / 60).rounded(.down) * 60 + 30
            let cy = (Double(y) / 60).rounded(.down) * 60 + 30
            let d2 = (Double(x) - cx) * (Double(x) - cx) + (Double(y) - cy) * (Double(y) - cy)
            return 10 + 230 * exp(-d2 / (2 * sigma * sigma))
        }
        return (url, centres)
    }

    /// The centroid of luma above its background within 8 pixels of (`x`, `y`), or nil near an edge.
    static func centroid(_ frame: YUV420Frame, near x: Double, _ y: Double) -> (Double, Double)? {
        let (cx, cy) = (Int(x.rounded()), Int(y.rounded()))
        guard cx >= 10, cy >= 10, cx < frame.width - 10, cy < frame.height - 10 else { return nil }
        let background = 16 + 219.0 / 255 * 10
        var (sum, sx, sy) = (0.0, 0.0, 0.0)
        for py in (cy - 8)...(cy + 8) {
            for px in (cx - 8)...(cx + 8) {
                let value = Double(frame.bytes[py * frame.width + px]) - background
                sum += value
                sx += value * Double(px)
                sy += value * Double(py)
            }
        }
        return (sx / sum, sy / sum)
    }

    @Test(
        "dots follow the motion's crop within 0.05 px and no two consecutive frames are equal",
        arguments: [VideoComposition.Motion.pan(.right), .zoomIn, .pan(.upLeft)])
    func smoothMotion(_ motion: VideoComposition.Motion) throws {
        let directory = try RenderScratchDirectory()
        let (sourceWidth, sourceHeight) = (600, 1000)
        let (url, centres) = try Self.dots(directory, width: sourceWidth, height: sourceHeight)
        let frames = 40
        let timeline = RenderGeometry.timeline(
            [.init(image: url, motion: motion, startFrame: 0, frameCount: frames)], width: Self.width,
            height: Self.height)
        let source = try StillFrameRenderer().makeSource(timeline)
        var previous: [UInt8]?
        var worst = 0.0
        var tracked: [Int: (Double, Double)] = [:]  // dot → its position at frame 0
        var panTravel: [Double] = []
        for index in 0..<frames {
            let frame = try RenderGeometry.render(source, index)
            if let previous {
                let identical = previous == frame.bytes
                #expect(!identical, "frames \(index - 1) and \(index) are identical")
            }
            previous = frame.bytes
            let shot = timeline.shots[0]
            let crop = motion.crop(
                progress: shot.progress(atLocalFrame: index), easing: timeline.easing, amount: timeline.zoomAmount,
                sourceWidth: sourceWidth, sourceHeight: sourceHeight, outputWidth: Self.width, outputHeight: Self.height
            )
            var travel: [Double] = []
            for (dot, centre) in centres.enumerated() {
                let expected = RenderGeometry.project(
                    centre.0, centre.1, crop: crop, width: Self.width, height: Self.height)
                guard let measured = Self.centroid(frame, near: expected.0, expected.1) else { continue }
                worst = max(worst, abs(measured.0 - expected.0), abs(measured.1 - expected.1))
                if index == 0 {
                    tracked[dot] = measured
                } else if let start = tracked[dot] {
                    travel.append(measured.0 - start.0)
                }
            }
            if !travel.isEmpty { panTravel.append(travel.reduce(0, +) / Double(travel.count)) }
        }
        #expect(worst < 0.05, "a dot is \(worst) px off its crop position")
        // A pan's dots travel by the eased progress: measured travel / final travel is the easing curve.
        if case .pan = motion, let total = panTravel.last, abs(total) > 1 {
            for (offset, travel) in panTravel.enumerated() {
                let t = Double(offset + 1) / Double(frames - 1)
                let eased = MotionEasing.easeInOut(t)
                #expect(abs(travel - total * eased) < 0.05, "frame \(offset + 1): \(travel) px of \(total)")
            }
        }
    }

    /// A band-limited test pattern (sinusoids below the output's Nyquist rate).
    static func pattern(_ x: Double, _ y: Double) -> Double {
        128 + 50 * sin(2 * .pi * (0.043 * x + 0.011 * y)) + 40 * cos(2 * .pi * (0.017 * x - 0.061 * y))
    }

    @Test(
        "a static shot matches an exact Lanczos-3 resize of the same crop within 0.1 dB PSNR",
        arguments: [(500, 900), (150, 260), (216, 384)])
    func staticShotMatchesLanczos(_ size: (Int, Int)) throws {
        let directory = try RenderScratchDirectory()
        let (sourceWidth, sourceHeight) = size
        // The pattern's frequencies scale with the source so that it stays below the output's Nyquist rate.
        let factor = Double(Self.width) / Double(sourceWidth)
        let url = try directory.grayStill("pattern.png", width: sourceWidth, height: sourceHeight) { x, y in
            Self.pattern(Double(x) * min(factor, 1), Double(y) * min(factor, 1))
        }
        let timeline = RenderGeometry.timeline(
            [.init(image: url, motion: .still, startFrame: 0, frameCount: 2)], width: Self.width, height: Self.height)
        let source = try StillFrameRenderer().makeSource(timeline)
        let frame = try RenderGeometry.render(source, 0)
        let ours = Array(frame.bytes[0..<frame.lumaCount])

        // The reference resizes the very luma plane the renderer converted the still to.
        let still = try YCbCrStill.decode(url, decoder: ImageDecoder())
        let crop = VideoComposition.Motion.still.crop(
            progress: 0, easing: .linear, amount: timeline.zoomAmount, sourceWidth: sourceWidth,
            sourceHeight: sourceHeight, outputWidth: Self.width, outputHeight: Self.height)
        let reference = ReferenceLanczos.resize(
            still.luma, width: sourceWidth, height: sourceHeight, crop: crop, outputWidth: Self.width,
            outputHeight: Self.height)
        let referenceBytes = reference.map { UInt8(clamping: Int($0.rounded())) }

        // Ground truth: the pattern itself at each output pixel's position in the source, in luma codes.
        var truth = [Double](repeating: 0, count: ours.count)
        for y in 0..<Self.height {
            for x in 0..<Self.width {
                let sx = crop.x + (Double(x) + 0.5) * crop.width / Double(Self.width) - 0.5
                let sy = crop.y + (Double(y) + 0.5) * crop.height / Double(Self.height) - 0.5
                let value = Self.pattern(sx * min(factor, 1), sy * min(factor, 1))
                truth[y * Self.width + x] = 16 + 219 * value / 255
            }
        }
        // Away from the borders, where clamped edges make both differ from the endless pattern.
        func interior(_ plane: [Double]) -> [Double] { Self.interior(plane) }
        let oursTruth = RenderGeometry.psnr(Self.interior(ours), interior(truth))
        let referenceTruth = RenderGeometry.psnr(Self.interior(referenceBytes), interior(truth))
        #expect(abs(oursTruth - referenceTruth) < 0.1, "ours \(oursTruth) dB, Lanczos-3 \(referenceTruth) dB")
        #expect(RenderGeometry.psnr(ours, reference) > 48, "against the exact resize")
        // Chroma of a gray still stays neutral.
        #expect(frame.bytes[frame.cbOffset...].allSatisfy { $0 == 128 })
    }

    static func interior<T>(_ plane: [T]) -> [T] {
        var out: [T] = []
        for y in 12..<(height - 12) { out += plane[(y * width + 12)..<(y * width + width - 12)] }
        return out
    }

    @Test("crossfade frames equal the blend of the two shots' frames within one code value")
    func crossfadeBlend() throws {
        let directory = try RenderScratchDirectory()
        let first = try directory.colorStill("first.png", width: 320, height: 560) { x, y in
            (UInt8((x * 7 + y) % 256), UInt8((y * 3) % 256), UInt8((x ^ y) % 256))
        }
        let second = try directory.colorStill("second.png", width: 180, height: 330) { x, y in
            (UInt8((255 - x) % 256), UInt8((x * y) % 256), UInt8((y * 5 + 40) % 256))
        }
        let a = VideoTimeline.Shot(image: first, motion: .zoomIn, startFrame: 0, frameCount: 12)
        let b = VideoTimeline.Shot(image: second, motion: .pan(.left), startFrame: 7, frameCount: 10)
        let mixed = try StillFrameRenderer().makeSource(
            RenderGeometry.timeline([a, b], width: Self.width, height: Self.height))
        let aloneA = try StillFrameRenderer().makeSource(
            RenderGeometry.timeline([a], width: Self.width, height: Self.height))
        var bAlone = b
        bAlone.startFrame = 0
        let aloneB = try StillFrameRenderer().makeSource(
            RenderGeometry.timeline([bAlone], width: Self.width, height: Self.height))
        let beforeFade = try RenderGeometry.render(mixed, 6).bytes == RenderGeometry.render(aloneA, 6).bytes
        let afterFade = try RenderGeometry.render(mixed, 12).bytes == RenderGeometry.render(aloneB, 5).bytes
        #expect(beforeFade && afterFade, "the frames either side of the crossfade are the shots' own")
        for index in 7..<12 {
            guard case .crossfade(_, _, let step, let steps) = mixed.timeline.picture(at: index) else {
                Issue.record("frame \(index) is not a crossfade")
                continue
            }
            let blended = try RenderGeometry.render(mixed, index).bytes
            let outgoing = try RenderGeometry.render(aloneA, index).bytes
            let incoming = try RenderGeometry.render(aloneB, index - 7).bytes
            let share = Double(step) / Double(steps)
            var worst = 0.0
            for i in 0..<blended.count {
                let exact = Double(outgoing[i]) * (1 - share) + Double(incoming[i]) * share
                worst = max(worst, abs(Double(blended[i]) - exact))
            }
            #expect(worst <= 1, "frame \(index) (step \(step) of \(steps)) is \(worst) off the exact blend")
            let distinct = blended != outgoing && blended != incoming
            #expect(distinct, "frame \(index) equals one of the shots")
        }
    }
}
