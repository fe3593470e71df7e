import Foundation
import MediaIO

/// What a ``TestFrameRenderer`` saw while the composer drove it. `@unchecked Sendable`: every property is
/// guarded by `lock`.
final class RenderLog: @unchecked Sendable {
    private let lock = NSLock()
    private var concurrent = 0
    private var peak = 0
    private var buffers = Set<UInt>()
    private var count = 0
    private var lumas: [Int: [UInt8]] = [:]
    private var given: VideoTimeline?
    /// Keep each frame's luma plane (small sizes only), to compare with the decoded video.
    let keepsLuma: Bool

    init(keepsLuma: Bool = false) { self.keepsLuma = keepsLuma }

    /// The most `render` calls that ran at once.
    var peakConcurrency: Int { lock.withLock { peak } }
    /// Distinct frame buffers the composer handed over: the frames allocated in all.
    var distinctBuffers: Int { lock.withLock { buffers.count } }
    /// Frames drawn.
    var framesRendered: Int { lock.withLock { count } }
    /// `render` calls running now.
    var rendering: Int { lock.withLock { concurrent } }
    /// The timeline `prepare` was given.
    var timeline: VideoTimeline? { lock.withLock { given } }
    /// The luma plane drawn for a frame, when kept.
    func luma(_ index: Int) -> [UInt8]? { lock.withLock { lumas[index] } }

    func prepared(_ timeline: VideoTimeline) { lock.withLock { given = timeline } }

    func begin(_ frame: inout YUV420Frame) {
        let address = frame.bytes.withUnsafeBufferPointer { UInt(bitPattern: $0.baseAddress) }
        lock.withLock {
            concurrent += 1
            peak = max(peak, concurrent)
            buffers.insert(address)
        }
    }

    func end(_ index: Int, _ frame: YUV420Frame) {
        let luma = keepsLuma ? Array(frame.bytes[0..<frame.lumaCount]) : nil
        lock.withLock {
            concurrent -= 1
            count += 1
            if let luma { lumas[index] = luma }
        }
    }
}

/// A failure a test renderer was told to have.
struct TestRenderError: Error, Equatable {
    let frame: Int
}

/// A real, small frame renderer for the composer's tests (UpscaleKit's is the product's): it decodes each still
/// with MediaIO, places it with ``VideoComposition/Motion/crop(progress:easing:amount:sourceWidth:sourceHeight:outputWidth:outputHeight:)``,
/// samples it nearest-neighbour, converts to BT.709 limited-range yuv420p in integer arithmetic and blends
/// crossfades by the timeline's weights. Hooks let a test fail, slow or disturb it at a frame.
struct TestFrameRenderer: VideoFrameRenderer {
    var log = RenderLog()
    /// Throw ``TestRenderError`` when asked for this frame.
    var failAt: Int?
    /// Sleep this long in each frame (to make a render last).
    var delay: Duration = .zero
    /// Called at the start of each frame, on a render thread.
    var onFrame: (@Sendable (Int) -> Void)?
    /// Called in `prepare`, before ffmpeg starts.
    var onPrepare: (@Sendable (VideoTimeline) throws -> Void)?

    func prepare(_ timeline: VideoTimeline) async throws -> any VideoFrameSource {
        log.prepared(timeline)
        try onPrepare?(timeline)
        let stills = try timeline.shots.map { shot in
            try ImageDecoder().decode(contentsOf: shot.image).pixels.converted(to: .rgb, componentType: .uint8)
                .compacted()
        }
        return Source(renderer: self, timeline: timeline, stills: stills)
    }

    struct Source: VideoFrameSource {
        let renderer: TestFrameRenderer
        let timeline: VideoTimeline
        let stills: [PixelBuffer]

        func render(frame index: Int, into frame: inout YUV420Frame) throws {
            renderer.log.begin(&frame)
            renderer.onFrame?(index)
            if renderer.failAt == index {
                renderer.log.end(index, frame)
                throw TestRenderError(frame: index)
            }
            if renderer.delay > .zero { Thread.sleep(forTimeInterval: seconds(renderer.delay)) }
            switch timeline.picture(at: index) {
            case .single(let layer):
                draw(layer, into: &frame.bytes)
            case .crossfade(let outgoing, let incoming, let step, let steps):
                // A fresh array: a copy of `frame.bytes` would make the write below copy the composer's buffer.
                var under = [UInt8](repeating: 0, count: frame.bytes.count)
                draw(outgoing, into: &under)
                draw(incoming, into: &frame.bytes)
                for offset in frame.bytes.indices {
                    let mixed =
                        (Int(under[offset]) * (steps - step) + Int(frame.bytes[offset]) * step + steps / 2) / steps
                    frame.bytes[offset] = UInt8(mixed)
                }
            }
            renderer.log.end(index, frame)
        }

        /// Nearest-neighbour sampling of the shot's crop, BT.709 limited range (Y 16–235, C 16–240), chroma from
        /// the top-left pixel of each 2×2 block.
        private func draw(_ layer: VideoTimeline.Layer, into bytes: inout [UInt8]) {
            let shot = timeline.shots[layer.shot]
            let still = stills[layer.shot]
            let (width, height) = (timeline.width, timeline.height)
            let crop = shot.motion.crop(
                progress: shot.progress(atLocalFrame: layer.localFrame), easing: timeline.easing,
                amount: timeline.zoomAmount, sourceWidth: still.width, sourceHeight: still.height,
                outputWidth: width, outputHeight: height)
            let (lumaCount, chromaWidth) = (width * height, width / 2)
            still.withUnsafeBytes { source in
                for y in 0..<height {
                    let sy = min(
                        still.height - 1, max(0, Int(crop.y + (Double(y) + 0.5) * crop.height / Double(height))))
                    for x in 0..<width {
                        let sx = min(
                            still.width - 1, max(0, Int(crop.x + (Double(x) + 0.5) * crop.width / Double(width))))
                        let offset = (sy * still.width + sx) * 3
                        let (r, g, b) = (Int(source[offset]), Int(source[offset + 1]), Int(source[offset + 2]))
                        // BT.709 in 8.8 fixed point: Y = 16 + (47 R + 157 G + 16 B) / 256.
                        bytes[y * width + x] = UInt8(16 + (47 * r + 157 * g + 16 * b + 128) / 256)
                        if x % 2 == 0 && y % 2 == 0 {
                            let chroma = (y / 2) * chromaWidth + x / 2
                            let cb = 128 + (-26 * r - 87 * g + 112 * b + 128) >> 8
                            let cr = 128 + (112 * r - 102 * g - 10 * b + 128) >> 8
                            bytes[lumaCount + chroma] = UInt8(min(240, max(16, cb)))
                            bytes[lumaCount + lumaCount / 4 + chroma] = UInt8(min(240, max(16, cr)))
                        }
                    }
                }
            }
        }
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

/// Peak signal-to-noise ratio of two 8-bit planes of the same size, in dB (infinite when equal).
func psnr(_ a: [UInt8], _ b: [UInt8]) -> Double {
    precondition(a.count == b.count && !a.isEmpty)
    var sum = 0.0
    for index in a.indices {
        let difference = Double(a[index]) - Double(b[index])
        sum += difference * difference
    }
    let mse = sum / Double(a.count)
    return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
}

/// The ffmpeg processes whose command line mentions `marker` (a test's unique folder), by pgrep.
func ffmpegProcesses(mentioning marker: String) throws -> [String] {
    let output = try runTool("pgrep", ["-f", "ffmpeg.*" + NSRegularExpression.escapedPattern(for: marker)])
    return output.stdout.split(separator: "\n").map(String.init)
}
