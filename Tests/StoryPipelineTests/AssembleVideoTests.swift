import Foundation
import MediaIO
import StoryModels
import Testing

@testable import StoryPipeline

/// The assemble stage: the camera words it understands, and the frame renderer it takes from its services.
@Suite(.serialized) struct AssembleVideoTests {
    @Test(arguments: [
        ("zoom in", "", VideoComposition.Motion.zoomIn),
        ("zoom out", "", .zoomOut),
        ("pan left", "", .pan(.left)),
        ("pan right", "", .pan(.right)),
        ("pan up", "", .pan(.up)),
        ("pan down", "", .pan(.down)),
        ("still", "", .still),
        ("", "", .zoomIn),
        ("pan up-left", "", .pan(.upLeft)),
        ("pan down right", "", .pan(.downRight)),
        ("Pan Upwards_Right", "", .pan(.upRight)),
        ("pan lower left", "", .pan(.downLeft)),
        // The plan's motion list has no diagonals: a diagonal in the director's camera note wins over it.
        ("pan left", "slow drift up and to the right", .pan(.upRight)),
        ("pan up", "camera glides down-left", .pan(.downLeft)),
        // A camera note that is not a diagonal, or that zooms, leaves the planned motion.
        ("pan right", "pan left", .pan(.right)),
        ("zoom in", "slow zoom in from the upper left", .zoomIn),
        // A zoom wins over a pan; both ways on an axis say nothing about it.
        ("zoom in and pan left", "", .zoomIn),
        ("pan left and right", "", .zoomIn),
    ])
    func cameraWordsBecomeMotions(motion: String, camera: String, expected: VideoComposition.Motion) {
        #expect(AssembleVideo.motion(motion, camera: camera) == expected)
    }

    @Test func theStageDrawsEveryFrameWithItsServicesRendererAndTheVideoPassesTheGate() async throws {
        let root = try temporaryDirectory("assemble-renderer")
        defer { try? FileManager.default.removeItem(at: root) }
        let counter = FrameCounter()
        let studio = try await StoryStudio.make(
            store: root.appendingPathComponent("store"), configuration: OfflineRunTests.configuration(),
            providers: .offline()
        ) { services in
            var services = services
            services.frameRenderer = CountingRenderer(counter: counter)
            return StoryStudio.defaultPipeline(services: services)
        }
        let result = try await studio.run(studio.request(), exportTo: root.appendingPathComponent("out"))
        let qc = try #require(result.state.qc)
        #expect(qc.passed, "\(qc.failures)")
        let ffmpeg = try await FFmpeg.locate()
        let probe = try await ffmpeg.probe(root.appendingPathComponent("out/video.mp4"))
        let frames = Int(((probe.video?.duration ?? 0) * 30).rounded())
        #expect(frames > 0)
        #expect(abs(counter.count - frames) <= 1, "drew \(counter.count) frames for a video of \(frames)")
    }
}

/// Frames drawn. `@unchecked Sendable`: `stored` is guarded by `lock`.
final class FrameCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = 0
    var count: Int { lock.withLock { stored } }
    func add() { lock.withLock { stored += 1 } }
}

/// A renderer of moving diagonal stripes (never black, never frozen), counting what it draws.
struct CountingRenderer: VideoFrameRenderer {
    let counter: FrameCounter

    func prepare(_ timeline: VideoTimeline) async throws -> any VideoFrameSource {
        Source(counter: counter, width: timeline.width, height: timeline.height)
    }

    struct Source: VideoFrameSource {
        let counter: FrameCounter
        let width: Int
        let height: Int

        func render(frame index: Int, into frame: inout YUV420Frame) throws {
            counter.add()
            // One row of stripes, shifted per row: cheap enough for a debug build.
            let period = 160
            let stripe = (0..<(width + height + period)).map { UInt8(40 + $0 % period) }
            let (width, height) = (width, height)
            frame.bytes.withUnsafeMutableBufferPointer { luma in
                stripe.withUnsafeBufferPointer { pattern in
                    for y in 0..<height {
                        let start = (y + 4 * index) % period
                        UnsafeMutableRawPointer(luma.baseAddress! + y * width).copyMemory(
                            from: pattern.baseAddress! + start, byteCount: width)
                    }
                }
            }
        }
    }
}
