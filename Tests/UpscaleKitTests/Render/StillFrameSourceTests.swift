import CStoryForgeResample
import Dispatch
import Foundation
import MediaIO
import Synchronization
import Testing

@testable import UpscaleKit

@Suite("Frame renderer source")
struct StillFrameSourceTests {
    static func twoShots(_ directory: borrowing RenderScratchDirectory) throws -> VideoTimeline {
        let first = try directory.colorStill("a.png", width: 300, height: 500) { x, y in
            (UInt8((x * 5 + y * 2) % 256), UInt8((x ^ (y * 3)) % 256), UInt8((y * 7) % 256))
        }
        let second = try directory.colorStill("b.png", width: 140, height: 250) { x, y in
            (UInt8((x * y) % 256), UInt8((255 - y) % 256), UInt8((x * 9) % 256))
        }
        return RenderGeometry.timeline(
            [
                .init(image: first, motion: .pan(.downRight), startFrame: 0, frameCount: 14),
                .init(image: second, motion: .zoomOut, startFrame: 10, frameCount: 12),
            ], width: 120, height: 214)
    }

    @Test("frames are byte-identical on one thread and on four, and at every SIMD level")
    func deterministic() throws {
        let directory = try RenderScratchDirectory()
        let timeline = try Self.twoShots(directory)
        let sequential = try StillFrameRenderer().makeSource(timeline)
        let expected = try (0..<timeline.totalFrames).map { try RenderGeometry.render(sequential, $0).bytes }

        let parallel = try StillFrameRenderer().makeSource(timeline)
        let results = Mutex([Int: [UInt8]]())
        let failures = Mutex([String]())
        DispatchQueue.concurrentPerform(iterations: 4) { thread in
            do {
                var frame = try YUV420Frame(width: timeline.width, height: timeline.height)
                for index in stride(from: thread, to: timeline.totalFrames, by: 4) {
                    try parallel.render(frame: index, into: &frame)
                    let bytes = frame.bytes
                    results.withLock { $0[index] = bytes }
                }
            } catch {
                failures.withLock { $0.append("\(error)") }
            }
        }
        #expect(failures.withLock { $0 }.isEmpty)
        for index in 0..<timeline.totalFrames {
            let same = results.withLock { $0[index] } == expected[index]
            #expect(same, "frame \(index) differs between one thread and four")
        }

        // Every instruction set gives the same bits (the arithmetic is integer and exact).
        defer { sf_resample_limit_instruction_set(2) }
        for level in 0...2 {
            sf_resample_limit_instruction_set(Int32(level))
            let source = try StillFrameRenderer().makeSource(timeline)
            for index in [0, 5, 11, 21] {
                let same = try RenderGeometry.render(source, index).bytes == expected[index]
                #expect(same, "frame \(index) differs at instruction set level \(level)")
            }
        }
    }

    @Test(
        "200 shots keep at most a few stills decoded, each decoded once, with and without the look-ahead",
        arguments: [false, true])
    func boundedDecoding(lookAhead: Bool) throws {
        let directory = try RenderScratchDirectory()
        var shots: [VideoTimeline.Shot] = []
        for index in 0..<200 {
            let url = try directory.grayStill("shot-\(index).png", width: 24, height: 40) { x, y in
                Double((x * 11 + y * 3 + index * 17) % 256)
            }
            // Four frames each, the last one crossfading into the next shot.
            shots.append(.init(image: url, motion: .zoomIn, startFrame: index * 3, frameCount: index == 199 ? 3 : 4))
        }
        let timeline = RenderGeometry.timeline(shots, width: 16, height: 26)
        let source = try StillFrameRenderer(configuration: .init(retainedFrames: 4, lookAhead: lookAhead))
            .makeSource(timeline)
        var frame = try YUV420Frame(width: 16, height: 26)
        for index in 0..<timeline.totalFrames { try source.render(frame: index, into: &frame) }
        // The look-ahead's last decode may still be finishing on its own thread.
        let deadline = ContinuousClock.now + .seconds(10)
        while source.statistics.decodes < 200, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        let statistics = source.statistics
        #expect(statistics.decodes == 200)
        // Frames newest−4 ... newest touch at most three shots, and one more is being added (and with the
        // look-ahead, the one after it).
        #expect(statistics.peakDecodedShots <= (lookAhead ? 5 : 4), "\(statistics)")
        #expect(statistics.decodedShots <= (lookAhead ? 5 : 4))
    }

    @Test("a shot's first frame decodes the next shot's still ahead, and the frames are the same bytes")
    func lookAheadDecodesTheNextStill() throws {
        let directory = try RenderScratchDirectory()
        var shots: [VideoTimeline.Shot] = []
        for index in 0..<3 {
            let url = try directory.grayStill("ahead-\(index).png", width: 48, height: 80) { x, y in
                Double((x * 7 + y * 5 + index * 41) % 256)
            }
            shots.append(.init(image: url, motion: .pan(.right), startFrame: index * 5, frameCount: 5))
        }
        let timeline = RenderGeometry.timeline(shots, width: 32, height: 52)
        let ahead = try StillFrameRenderer(configuration: .init(lookAhead: true)).makeSource(timeline)
        let plain = try StillFrameRenderer(configuration: .init(lookAhead: false)).makeSource(timeline)
        var frame = try YUV420Frame(width: 32, height: 52)
        try ahead.render(frame: 0, into: &frame)
        // Shot 1's still is decoded though no frame of it was asked for.
        let deadline = ContinuousClock.now + .seconds(10)
        while ahead.statistics.decodes < 2, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(ahead.statistics.decodes == 2)
        try plain.render(frame: 0, into: &frame)
        #expect(plain.statistics.decodes == 1)
        for index in 0..<timeline.totalFrames {
            #expect(try RenderGeometry.render(ahead, index).bytes == RenderGeometry.render(plain, index).bytes)
        }
        // Each still once: the frames of shot 1 found the look-ahead's decode.
        #expect(ahead.statistics.decodes == 3)
    }

    @Test("a truncated still fails with a typed error naming the file")
    func corruptStill() throws {
        let directory = try RenderScratchDirectory()
        let good = try directory.colorStill("good.png", width: 64, height: 96) { x, y in
            (UInt8(x % 256), UInt8(y % 256), UInt8((x + y) % 256))
        }
        let data = try Data(contentsOf: good)
        let truncated = directory.url.appending(path: "truncated.png")
        try data.prefix(data.count / 2).write(to: truncated)
        let timeline = RenderGeometry.timeline(
            [.init(image: truncated, motion: .zoomIn, startFrame: 0, frameCount: 3)], width: 32, height: 48)
        // The header is intact, so prepare succeeds and the first frame fails.
        let source = try StillFrameRenderer().makeSource(timeline)
        var frame = try YUV420Frame(width: 32, height: 48)
        do {
            try source.render(frame: 0, into: &frame)
            Issue.record("a truncated still rendered")
        } catch let error as ImageCodecError {
            #expect(error.code == .truncated || error.code == .corrupt, "\(error)")
            #expect(error.message.contains(truncated.path), "\(error.message)")
        }
        // The same error again for the shot's later frames, without decoding again.
        #expect(throws: ImageCodecError.self) { try source.render(frame: 1, into: &frame) }
        #expect(source.statistics.decodes == 1)

        let text = directory.url.appending(path: "notes.png")
        try Data("not an image".utf8).write(to: text)
        let bad = RenderGeometry.timeline(
            [.init(image: text, motion: .still, startFrame: 0, frameCount: 1)], width: 32, height: 48)
        do {
            _ = try StillFrameRenderer().makeSource(bad)
            Issue.record("a text file passed as a still")
        } catch let error as ImageCodecError {
            #expect(error.code == .unsupported)
            #expect(error.message.contains(text.path))
        }
        let missing = RenderGeometry.timeline(
            [.init(image: directory.url.appending(path: "missing.png"), motion: .still, startFrame: 0, frameCount: 1)],
            width: 32, height: 48)
        let absent = #expect(throws: ImageCodecError.self) { try StillFrameRenderer().makeSource(missing) }
        #expect(absent?.code == .io)
    }

    @Test("sizes are checked: odd or oversized frames, a wrong buffer, a still over the decoder's limit")
    func sizes() throws {
        let directory = try RenderScratchDirectory()
        let url = try directory.grayStill("s.png", width: 40, height: 60) { x, _ in Double(x) }
        let shot = VideoTimeline.Shot(image: url, motion: .still, startFrame: 0, frameCount: 2)
        let odd = #expect(throws: UpscaleError.self) {
            try StillFrameRenderer().makeSource(RenderGeometry.timeline([shot], width: 31, height: 48))
        }
        #expect(odd?.code == .invalidConfiguration)
        let huge = #expect(throws: UpscaleError.self) {
            try StillFrameRenderer().makeSource(RenderGeometry.timeline([shot], width: 10_000, height: 48))
        }
        #expect(huge?.code == .invalidConfiguration)
        let source = try StillFrameRenderer().makeSource(RenderGeometry.timeline([shot], width: 32, height: 48))
        var wrong = try YUV420Frame(width: 16, height: 48)
        let mismatch = #expect(throws: UpscaleError.self) { try source.render(frame: 0, into: &wrong) }
        #expect(mismatch?.code == .invalidConfiguration)
        // The decoder's limit applies to the header, so the timeline is refused before any frame.
        let limited = StillFrameRenderer(
            configuration: .init(decoder: ImageDecoder(configuration: .init(maxPixelCount: 1000))))
        let over = #expect(throws: ImageCodecError.self) {
            try limited.makeSource(RenderGeometry.timeline([shot], width: 32, height: 48))
        }
        #expect(over?.code == .tooLarge)
        #expect(over?.message.contains(url.path) == true)
    }
}
