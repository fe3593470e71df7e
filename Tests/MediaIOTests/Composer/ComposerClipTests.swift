import Foundation
import Testing

@testable import MediaIO

/// Clips made fresh by real ffmpeg in a temporary folder, each with a note of how.
struct ClipFixtures {
    let directory: URL
    /// 2 s at 30 fps, 64×64, lossless x264 in MP4: frame N is flat gray at luma 16 + 3·N (so a decoded frame says
    /// which source frame it shows).
    let counter: URL
    /// The same counter for 1 s (30 frames).
    let shortCounter: URL
    /// A variable-frame-rate counter in Matroska: 45 frames, 30 fps, with a 0.5 s gap after frame 14 (2 s long).
    let variable: URL
    /// 331×187 (odd sides), yuv444p FFV1 in Matroska, a horizontal gradient (luma 16 + 200·x/331), 2 s.
    let odd: URL
    /// A text file named `.mp4`.
    let text: URL
    /// A PNG still.
    let still: URL

    init() throws {
        directory = try makeTemporaryDirectory("clips")
        counter = directory.appendingPathComponent("counter.mp4")
        shortCounter = directory.appendingPathComponent("short counter.mp4")
        variable = directory.appendingPathComponent("variable.mkv")
        odd = directory.appendingPathComponent("odd size.mkv")
        text = directory.appendingPathComponent("notes.mp4")
        still = directory.appendingPathComponent("still.png")
        let count = "format=yuv420p,geq=lum='16+3*N':cb=128:cr=128"
        let lossless = ["-c:v", "libx264", "-qp", "0", "-preset", "ultrafast"]
        try ffmpeg(["-f", "lavfi", "-i", "color=c=black:s=64x64:r=30:d=2", "-vf", count] + lossless + [counter.path])
        try ffmpeg(
            ["-f", "lavfi", "-i", "color=c=black:s=64x64:r=30:d=1", "-vf", count] + lossless + [shortCounter.path])
        try ffmpeg(
            [
                "-f", "lavfi", "-i", "color=c=black:s=64x64:r=30:d=1.5", "-vf",
                count + ",setpts='if(gte(N\\,15)\\,N+15\\,N)/(30*TB)'", "-fps_mode", "passthrough",
            ] + lossless + [variable.path])
        try ffmpeg([
            "-f", "lavfi", "-i", "color=c=black:s=332x188:r=30:d=2", "-vf",
            "format=yuv444p,scale=331:187,geq=lum='16+X*200/331':cb=128:cr=128", "-c:v", "ffv1", odd.path,
        ])
        try Data("not a video, only words\n".utf8).write(to: text)
        try ffmpeg(["-f", "lavfi", "-i", "testsrc2=size=64x64", "-frames:v", "1", still.path])
    }

    func remove() { try? FileManager.default.removeItem(at: directory) }
}

/// Satisfies the composer's rule that clips need a frame renderer, for tests that only ask for the timeline.
struct UnusedRenderer: VideoFrameRenderer {
    func prepare(_ timeline: VideoTimeline) async throws -> any VideoFrameSource {
        throw FFmpegError.invalidArgument("not for rendering")
    }
}

/// Draws flat gray frames whatever the shots (the sound tests need a picture, not the clips').
struct FlatRenderer: VideoFrameRenderer {
    func prepare(_ timeline: VideoTimeline) async throws -> any VideoFrameSource { Source() }

    struct Source: VideoFrameSource {
        func render(frame index: Int, into frame: inout YUV420Frame) throws {
            let count = frame.lumaCount
            frame.bytes.withUnsafeMutableBufferPointer { bytes in
                // A moving line keeps the picture from being frozen.
                for offset in 0..<count { bytes[offset] = UInt8(60 + (offset / 32 + index) % 64) }
            }
        }
    }
}

/// Reads every frame of a decoder in order on a thread of its own (frames block) while it runs, and returns the
/// source frame each shows (from the counter's luma) or the luma plane's column means.
func decodeFrames(_ decoder: ClipDecoder) async throws -> [[UInt8]] {
    async let running: Void = decoder.run()
    let frames: [[UInt8]] = try await withCheckedThrowingContinuation { continuation in
        let thread = Thread {
            do {
                var frames = [[UInt8]]()
                var buffer = [UInt8](repeating: 0, count: decoder.width * decoder.height * 3 / 2)
                for index in 0..<decoder.frameCount {
                    try buffer.withUnsafeMutableBytes { try decoder.frame(index, into: $0) }
                    frames.append(Array(buffer[0..<(decoder.width * decoder.height)]))
                }
                continuation.resume(returning: frames)
            } catch {
                continuation.resume(throwing: error)
            }
        }
        thread.start()
    }
    try await running
    return frames
}

/// The counter's source frame a luma plane shows: (mean − 16) / 3.
func counterFrame(_ luma: [UInt8]) -> Double {
    (Double(luma.reduce(0) { $0 + Int($1) }) / Double(max(1, luma.count)) - 16) / 3
}

@Suite(.serialized) struct ComposerClipTests {
    static let settings = RenderSettings(width: 32, height: 48, frameRate: 30, preset: "superfast", crf: 28)

    @Test func clipsAreTrimmedLoopedSlowedOrHeldWithTheClipsOwnFrames() async throws {
        let fixtures = try ClipFixtures()
        defer { fixtures.remove() }
        let ffmpeg = try await FFmpeg.locate()
        let composer = VideoComposer(ffmpeg: ffmpeg, frameRenderer: UnusedRenderer())
        let composition = VideoComposition(shots: [
            .init(clip: .init(file: fixtures.counter), duration: 1),  // 60 frames for 30: trimmed
            .init(clip: .init(file: fixtures.shortCounter, fit: .loop), duration: 2.5),  // 30 for 75: looped
            .init(clip: .init(file: fixtures.shortCounter), duration: 1.5),  // 30 for 45: slowed 1.5×
            .init(clip: .init(file: fixtures.shortCounter, fit: .trim), duration: 1.5),  // played once, then held
            .init(clip: .init(file: fixtures.shortCounter), duration: 3),  // 30 for 90: beyond 2×, looped
        ])
        let timeline = try await composer.timeline(for: composition, settings: Self.settings)
        let clips = timeline.shots.map { $0.clip! }
        #expect(clips.map(\.fit) == [.trim, .loop, .slow, .trim, .loop])
        #expect(clips.map(\.playedFrames) == [30, 75, 45, 30, 90])
        #expect(abs(clips[2].speed - 1.5) < 1e-9)
        #expect(timeline.shots.map(\.frameCount) == [30, 75, 45, 45, 90])
        // The held tail of the trimmed clip is the one stretch the composition holds on purpose.
        let held = VideoComposer.heldStretches(timeline)
        #expect(held.count == 1)
        #expect(abs((held.first?.lowerBound ?? 0) - Double(30 + 75 + 45 + 30) / 30) < 1e-9)

        for (index, shot) in timeline.shots.enumerated() {
            let decoder = ClipDecoder(
                ffmpeg: ffmpeg, clip: shot.clip!, frameCount: shot.frameCount, width: 32, height: 48, frameRate: 30)
            let shown = try await decodeFrames(decoder).map(counterFrame)
            #expect(shown.count == shot.frameCount)
            for (frame, value) in shown.enumerated() {
                let expected: Double
                switch index {
                case 0: expected = Double(frame)
                case 1, 4: expected = Double(frame % 30)
                case 2: expected = (Double(frame) / 1.5).rounded()
                default: expected = Double(min(frame, 29))
                }
                // Slowing picks the nearest source frame to each output tick: within one of the exact position.
                let tolerance = index == 2 ? 1.05 : 0.2
                #expect(
                    abs(value - expected) <= tolerance, "shot \(index) frame \(frame) shows \(value), not \(expected)")
            }
        }
    }

    @Test func aVariableFrameRateClipPlaysAtTheOutputRateInTime() async throws {
        let fixtures = try ClipFixtures()
        defer { fixtures.remove() }
        let ffmpeg = try await FFmpeg.locate()
        let composer = VideoComposer(ffmpeg: ffmpeg, frameRenderer: UnusedRenderer())
        let timeline = try await composer.timeline(
            for: VideoComposition(shots: [.init(clip: .init(file: fixtures.variable), duration: 2)]),
            settings: Self.settings)
        let shot = try #require(timeline.shots.first)
        #expect(shot.clip?.fit == .trim)
        let decoder = ClipDecoder(
            ffmpeg: ffmpeg, clip: shot.clip!, frameCount: shot.frameCount, width: 32, height: 48, frameRate: 30)
        let shown = try await decodeFrames(decoder).map { counterFrame($0).rounded() }
        #expect(shown.count == 60)
        // Before the gap, frame for frame; in the 0.5 s gap the nearest frame repeats; after it, 15 frames behind.
        #expect(shown[10] == 10)
        #expect(shown[18] == 14)
        #expect(shown[40] == 25)
        #expect(shown[59] == 44)
        #expect(zip(shown, shown.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func anOddSizedClipFillsTheFrameCentredAtAnyAspect() async throws {
        let fixtures = try ClipFixtures()
        defer { fixtures.remove() }
        let ffmpeg = try await FFmpeg.locate()
        let composer = VideoComposer(ffmpeg: ffmpeg, frameRenderer: UnusedRenderer())
        let settings = RenderSettings(width: 180, height: 320, frameRate: 30)
        let timeline = try await composer.timeline(
            for: VideoComposition(shots: [.init(clip: .init(file: fixtures.odd), duration: 0.2)]), settings: settings)
        let shot = try #require(timeline.shots.first)
        let decoder = ClipDecoder(
            ffmpeg: ffmpeg, clip: shot.clip!, frameCount: shot.frameCount, width: 180, height: 320, frameRate: 30)
        let frames = try await decodeFrames(decoder)
        let luma = try #require(frames.first)
        func column(_ x: Int) -> Double { Double((0..<320).reduce(0) { $0 + Int(luma[$1 * 180 + x]) }) / 320 }
        // Filled to 320 high, the 331-wide gradient is about 566 wide; the centred 180 columns show x ≈ 113…217.
        let scale = 320.0 / 187
        let left = (Double(Int((331 * scale).rounded()) - 180) / 2 + 0.5) / scale - 0.5
        let right = left + 180 / scale
        #expect(abs(column(0) - (16 + 200 * left / 331)) < 4, "left column \(column(0))")
        #expect(abs(column(179) - (16 + 200 * right / 331)) < 4, "right column \(column(179))")
        #expect(abs(column(90) - (16 + 200 * 165.5 / 331)) < 4, "centre column \(column(90))")
        // Every row the same: filled, not letterboxed.
        #expect(luma[0] == luma[319 * 180])
    }

    @Test(arguments: ["notes.mp4", "still.png"])
    func aFileThatIsNotAVideoIsRejectedByName(name: String) async throws {
        let fixtures = try ClipFixtures()
        defer { fixtures.remove() }
        let ffmpeg = try await FFmpeg.locate()
        let composer = VideoComposer(ffmpeg: ffmpeg, frameRenderer: UnusedRenderer())
        let file = fixtures.directory.appendingPathComponent(name)
        let error = await #expect(throws: FFmpegError.self) {
            _ = try await composer.timeline(
                for: VideoComposition(shots: [.init(clip: .init(file: file), duration: 1)]), settings: Self.settings)
        }
        #expect(error?.code == .unsupportedMedia)
        #expect(error?.message.contains(name) == true, "\(error?.message ?? "")")
    }

    @Test func aClipThatBreaksOffMidwayIsAnErrorWithFFmpegsWords() async throws {
        let fixtures = try ClipFixtures()
        defer { fixtures.remove() }
        let ffmpeg = try await FFmpeg.locate()
        // The first 40 % of the file: its header still says 2 s, its frames stop after about a third of that.
        let truncated = fixtures.directory.appendingPathComponent("broken.mkv")
        let whole = try Data(contentsOf: fixtures.odd)
        try whole.prefix(whole.count * 4 / 10).write(to: truncated)
        let composer = VideoComposer(ffmpeg: ffmpeg, frameRenderer: UnusedRenderer())
        let timeline = try await composer.timeline(
            for: VideoComposition(shots: [.init(clip: .init(file: truncated), duration: 2)]), settings: Self.settings)
        let shot = try #require(timeline.shots.first)
        let decoder = ClipDecoder(
            ffmpeg: ffmpeg, clip: shot.clip!, frameCount: shot.frameCount, width: 32, height: 48, frameRate: 30)
        let error = await #expect(throws: FFmpegError.self) { _ = try await decodeFrames(decoder) }
        #expect(error?.code == .failed)
        #expect(error?.message.contains("broken.mkv") == true)
        #expect(error?.message.contains("of 60 frames") == true, "\(error?.message ?? "")")
        #expect(error?.stderrTail.contains("ended prematurely") == true, "\(error?.stderrTail ?? "")")
    }

    @Test func closingADecoderReleasesItsWaitingThreadAndEndsItsProcess() async throws {
        let fixtures = try ClipFixtures()
        defer { fixtures.remove() }
        let ffmpeg = try await FFmpeg.locate()
        // A looped clip for an hour: it never ends by itself.
        let clip = VideoTimeline.Clip(
            file: fixtures.shortCounter, fit: .loop, speed: 1, playedFrames: 108_000, duration: 1, audio: false,
            hasAudio: false)
        let decoder = ClipDecoder(
            ffmpeg: ffmpeg, clip: clip, frameCount: 108_000, width: 32, height: 48, frameRate: 30, framesAhead: 2)
        let running = Task { try await decoder.run() }
        var buffer = [UInt8](repeating: 0, count: 32 * 48 * 3 / 2)
        // Frame 0 is read; frame 5 is never taken, and the decoder stops two ahead of what is wanted.
        try buffer.withUnsafeMutableBytes { try decoder.frame(0, into: $0) }
        try await Task.sleep(for: .milliseconds(300))
        #expect(decoder.framesDecoded <= 4, "decoded \(decoder.framesDecoded) frames ahead of a reader that stopped")
        decoder.close()
        #expect(throws: CancellationError.self) { try buffer.withUnsafeMutableBytes { try decoder.frame(1, into: $0) } }
        let clock = ContinuousClock()
        let started = clock.now
        running.cancel()
        try await running.value
        // SIGTERM ends ffmpeg at once; 3 s is Subprocess's SIGKILL fallback.
        #expect(clock.now - started < .seconds(3))
    }

    @Test func clipSoundIsMutedByDefaultAndDuckedUnderTheVoiceWhenAsked() async throws {
        let fixtures = try ClipFixtures()
        defer { fixtures.remove() }
        let ffmpegTool = try await FFmpeg.locate()
        // A 3 s clip with a 1 kHz tone, and a voice of 0.3…1.5 s of 440 Hz then silence.
        let clip = fixtures.directory.appendingPathComponent("tone clip.mp4")
        let voice = fixtures.directory.appendingPathComponent("voice.wav")
        try ffmpeg([
            "-f", "lavfi", "-i", "testsrc2=size=64x64:rate=30:duration=3", "-f", "lavfi", "-i",
            "sine=frequency=1000:sample_rate=48000:duration=3", "-c:v", "libx264", "-preset", "ultrafast", "-c:a",
            "aac",
            "-shortest", clip.path,
        ])
        try ffmpeg([
            "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000:duration=1.2", "-af",
            "volume=6dB,adelay=300,apad=whole_dur=3", voice.path,
        ])
        func tone(audio: Bool) async throws -> (ducked: Double, free: Double, voice: Double) {
            let output = fixtures.directory.appendingPathComponent("sound-\(audio).mp4")
            let composition = VideoComposition(
                shots: [.init(clip: .init(file: clip, audio: audio), duration: 3)], voice: voice)
            let composer = VideoComposer(ffmpeg: ffmpegTool, frameRenderer: FlatRenderer())
            _ = try await composer.render(composition, settings: Self.settings, to: output)
            let raw = fixtures.directory.appendingPathComponent("sound-\(audio).f32")
            try ffmpeg(["-i", output.path, "-ac", "1", "-ar", "48000", "-f", "f32le", raw.path])
            let samples = try Data(contentsOf: raw).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            func level(_ frequency: Double, _ from: Double, _ to: Double) -> Double {
                let slice = Array(samples[Int(from * 48000)..<min(samples.count, Int(to * 48000))])
                return goertzelDecibels(slice, frequency: frequency, sampleRate: 48000)
            }
            return (level(1000, 0.6, 1.4), level(1000, 2.2, 2.9), level(440, 0.6, 1.4))
        }
        let muted = try await tone(audio: false)
        let mixed = try await tone(audio: true)
        // Muted: the clip's tone is nowhere, far under the voice.
        #expect(muted.voice - max(muted.ducked, muted.free) > 50, "\(muted)")
        // Mixed: present, and at least 6 dB lower while the voice speaks than after it.
        #expect(mixed.free > mixed.voice - 20, "\(mixed)")
        #expect(mixed.free - mixed.ducked >= 6, "\(mixed)")
    }
}

/// The level of one frequency in a block of samples, dB relative to a full-scale sine (Goertzel's algorithm over a
/// Hann window, whose side lobes keep a tone 500 Hz away more than 90 dB down).
func goertzelDecibels(_ samples: [Float], frequency: Double, sampleRate: Double) -> Double {
    guard samples.count > 1 else { return -200 }
    let coefficient = 2 * cos(2 * Double.pi * frequency / sampleRate)
    var (previous, beforePrevious) = (0.0, 0.0)
    var windowSum = 0.0
    for (index, sample) in samples.enumerated() {
        let window = 0.5 * (1 - cos(2 * Double.pi * Double(index) / Double(samples.count - 1)))
        windowSum += window
        let current = Double(sample) * window + coefficient * previous - beforePrevious
        beforePrevious = previous
        previous = current
    }
    let power = previous * previous + beforePrevious * beforePrevious - coefficient * previous * beforePrevious
    let amplitude = 2 * sqrt(max(power, 0)) / max(windowSum, 1e-9)
    return 20 * log10(max(amplitude, 1e-10))
}
