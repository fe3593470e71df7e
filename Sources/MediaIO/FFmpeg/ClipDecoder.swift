public import Foundation
import StoryForgeCore

/// Decodes one clip shot's frames with an ffmpeg child, streamed: the clip fitted to its shot (trimmed, looped or
/// slowed, see ``VideoTimeline/Clip``), resampled to the output's frame rate (a variable frame rate becomes a constant
/// one), scaled to fill the frame and centre-cropped, as raw BT.709 limited-range yuv420p, ``frameCount`` frames: a
/// clip that ends before its shot (trimmed or slowed, ``VideoTimeline/Clip/playedFrames``) holds its last frame; one
/// that ends well before its probed length said (truncated, corrupt) is an error.
///
/// ffmpeg writes the frames into a pipe that ``run()`` reads into a small pool of frame buffers; ``frame(_:into:)``
/// hands them to the threads drawing the video, each frame once, in any order within the window the composer keeps
/// in flight. At most ``framesAhead`` frames wait decoded (more only while a drawing thread waits for a later one, so
/// the composer's threads can never deadlock on it); ffmpeg blocks on the full pipe otherwise, so memory stays flat
/// whatever the clip's length.
///
/// ```swift
/// let decoder = ClipDecoder(ffmpeg: ffmpeg, clip: shot.clip!, frameCount: shot.frameCount, width: 1080, height: 1920,
///     frameRate: 30)
/// async let decoding: Void = decoder.run()
/// var frame = try YUV420Frame(width: 1080, height: 1920)
/// try frame.bytes.withUnsafeMutableBytes { try decoder.frame(0, into: $0) }
/// ```
///
/// `@unchecked Sendable`: every mutable property but `current` and `filled` is guarded by `condition`; those two
/// belong to the one thread that reads ffmpeg's output.
public final class ClipDecoder: @unchecked Sendable {
    /// The clip and how it is fitted.
    public let clip: VideoTimeline.Clip
    /// Frames decoded (the shot's frames).
    public let frameCount: Int
    /// Frame width (even).
    public let width: Int
    /// Frame height (even).
    public let height: Int
    /// Frames per second of the output.
    public let frameRate: Int
    /// Frames decoded ahead of the drawing threads at most (while none waits for a later one).
    public let framesAhead: Int
    /// How long a drawing thread waits for a frame before failing (120 s: a decoder that far behind has stalled).
    public static let frameTimeout: TimeInterval = 120

    private let ffmpeg: FFmpeg
    private let frameBytes: Int
    private let condition = NSCondition()
    private var ready: [Int: [UInt8]] = [:]
    private var free: [[UInt8]] = []
    private var produced = 0
    private var taken = 0
    private var highestWanted = -1
    private var exited = false
    private var closed = false
    private var failure: (any Error)?
    /// The clip ended before ``frameCount`` as planned: later frames repeat the last one.
    private var holding = false
    /// The taken frame with the highest index, kept for a hold (its buffer is not reused).
    private var lastTaken: (index: Int, bytes: [UInt8])?
    // The reader thread's own.
    private var current: [UInt8]?
    private var filled = 0

    /// Creates a decoder; nothing runs until ``run()``.
    /// - Parameters:
    ///   - frameCount: the shot's frames, at least 1.
    ///   - framesAhead: clamped to 1...64.
    public init(
        ffmpeg: FFmpeg, clip: VideoTimeline.Clip, frameCount: Int, width: Int, height: Int, frameRate: Int,
        framesAhead: Int = 4
    ) {
        self.ffmpeg = ffmpeg
        self.clip = clip
        self.frameCount = max(1, frameCount)
        self.width = width
        self.height = height
        self.frameRate = max(1, frameRate)
        self.framesAhead = min(64, max(1, framesAhead))
        self.frameBytes = width * height + 2 * ((width / 2) * (height / 2))
    }

    /// The ffmpeg arguments of the decode.
    public var arguments: [String] {
        // Warnings too: a clip that breaks off mid-way says why there (a truncated file, a damaged packet).
        var arguments = ["-hide_banner", "-nostdin", "-nostats", "-loglevel", "warning"]
        if clip.fit == .loop { arguments += ["-stream_loop", "-1"] }
        arguments += ["-i", "file:" + clip.file.path, "-map", "0:v:0", "-an", "-sn", "-dn"]
        let speed = clip.speed.isFinite ? min(VideoComposition.ClipFit.maximumSlowdown, max(1, clip.speed)) : 1
        // Untagged clips are taken as BT.709, as players take HD video (swscale would assume BT.601 and convert,
        // which also darkens grays by two levels); a clip tagged otherwise (SD's smpte170m) is converted.
        let tag = clip.colorSpace ?? "unknown"
        let matrix = ["bt709", "unknown", "reserved", ""].contains(tag) ? "bt709" : "auto"
        let filters = [
            // Slowing stretches the timestamps; the fps filter then repeats frames at the output rate.
            Filter("setpts", positional: [speed == 1 ? "PTS-STARTPTS" : "\(format(speed))*(PTS-STARTPTS)"]),
            // Constant frame rate from any input, variable ones too: each output tick takes the nearest frame.
            Filter("fps", ["fps": "\(frameRate)", "round": "near"]),
            // Fill the frame: the centred crop of the output's aspect first, then the scale to its size, so swscale
            // makes only the output's pixels (a 16:9 clip scaled to fill 9:16 first would make 3.2 times as many).
            Filter("crop", ["w": "min(iw,ih*\(width)/\(height))", "h": "min(ih,iw*\(height)/\(width))"]),
            Filter(
                "scale",
                [
                    "w": "\(width)", "h": "\(height)", "flags": "lanczos", "in_color_matrix": matrix,
                    "out_color_matrix": "bt709", "out_range": "tv",
                ]),
            Filter("setsar", positional: ["1"]),
            Filter("format", ["pix_fmts": "yuv420p"]),
        ]
        arguments += ["-vf", filters.map(\.description).joined(separator: ",")]
        return arguments + ["-frames:v", "\(frameCount)", "-f", "rawvideo", "-pix_fmt", "yuv420p", "pipe:1"]
    }

    /// Runs ffmpeg until it has written every frame (the drawing threads taking them), ``close()`` or cancellation.
    /// - Throws: ``FFmpegError/failed`` naming the clip, how many frames it gave and ffmpeg's stderr tail when the
    ///   decode fails or ends early (the threads waiting for frames get the same error); `CancellationError`.
    public func run() async throws {
        let tool = ffmpeg.ffmpegURL
        let arguments = self.arguments
        let result: SubprocessResult
        do {
            result = try await FFmpegProcess.runStreaming(tool, arguments) { [self] bytes in consume(bytes) }
        } catch {
            fail(error)
            if isClosed { return }
            throw error
        }
        if isClosed { return }
        // A few frames short of the probed length is rounding (the fps filter places the last frames by their
        // timestamps): 3 frames and 2 % of those planned.
        let planned = min(frameCount, max(1, clip.playedFrames))
        let enough = max(1, planned - 3 - planned / 50)
        let done = condition.withLock {
            exited = true
            if result.status == 0, produced < frameCount, produced >= enough { holding = true }
            condition.broadcast()
            return produced
        }
        if result.status != 0 || done < enough {
            let base = ffmpeg.failure(tool: tool, arguments: arguments, result: result)
            let error = FFmpegError.failed(
                "decoding the clip \(clip.file.lastPathComponent) failed after \(done) of \(frameCount) frames: "
                    + base.message,
                commandLine: base.commandLine, stderrTail: base.stderrTail, exitStatus: result.status)
            fail(error)
            throw error
        }
    }

    /// Copies the shot's frame `index` into `destination` (at least a frame's bytes), waiting for the decoder.
    /// Each frame can be taken once.
    /// - Throws: the decoder's error; ``FFmpegError/invalidArgument(_:underlying:)`` for a frame out of range, taken
    ///   before, or a buffer too small, or after ``frameTimeout`` with no frame; `CancellationError` after ``close()``.
    public func frame(_ index: Int, into destination: UnsafeMutableRawBufferPointer) throws {
        let name = clip.file.lastPathComponent
        guard index >= 0, index < frameCount, destination.count >= frameBytes else {
            throw FFmpegError.invalidArgument(
                "frame \(index) of the clip \(name) into \(destination.count) bytes: it has \(frameCount) frames "
                    + "of \(frameBytes) bytes")
        }
        condition.lock()
        if index > highestWanted {
            highestWanted = index
            condition.broadcast()
        }
        var deadline = Date(timeIntervalSinceNow: Self.frameTimeout)
        var seen = produced
        while ready[index] == nil {
            if holding, index >= produced, produced > 0 {
                let last = ready[produced - 1] ?? (lastTaken?.index == produced - 1 ? lastTaken?.bytes : nil)
                condition.unlock()
                guard let last else {
                    throw FFmpegError.invalidArgument(
                        "frame \(produced - 1) of the clip \(name) is gone: a clip's frames are drawn once each")
                }
                last.withUnsafeBytes { source in
                    destination.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: frameBytes)
                }
                return
            }
            if let failure {
                condition.unlock()
                throw failure
            }
            if closed {
                condition.unlock()
                throw CancellationError()
            }
            if index < produced {
                condition.unlock()
                throw FFmpegError.invalidArgument(
                    "frame \(index) of the clip \(name) was taken already: a clip's frames are drawn once each")
            }
            if !condition.wait(until: deadline) {
                if produced == seen {
                    condition.unlock()
                    throw FFmpegError.invalidArgument(
                        "the decoder of the clip \(name) gave no frame for \(Int(Self.frameTimeout)) s; is the frame "
                            + "source's run() running?")
                }
                seen = produced
                deadline = Date(timeIntervalSinceNow: Self.frameTimeout)
            }
        }
        let bytes = ready.removeValue(forKey: index)!
        condition.unlock()
        bytes.withUnsafeBytes { source in
            destination.baseAddress!.copyMemory(from: source.baseAddress!, byteCount: frameBytes)
        }
        condition.withLock {
            taken += 1
            var spare: [UInt8]? = bytes
            if index > lastTaken?.index ?? -1 {
                spare = lastTaken?.bytes
                lastTaken = (index, bytes)
            }
            if let spare, taken < frameCount { free.append(spare) }
            if taken >= frameCount { free.removeAll() }
            condition.broadcast()
        }
    }

    /// Stops the decode: waiting threads throw `CancellationError`, buffers go, the rest of ffmpeg's output is
    /// dropped (cancel the task running ``run()`` to end the process).
    public func close() {
        condition.withLock {
            closed = true
            ready.removeAll()
            free.removeAll()
            lastTaken = nil
            condition.broadcast()
        }
    }

    /// How many frames ffmpeg has delivered so far.
    public var framesDecoded: Int { condition.withLock { produced } }

    private var isClosed: Bool { condition.withLock { closed } }

    private func fail(_ error: any Error) {
        condition.withLock {
            if failure == nil, !closed { failure = error }
            condition.broadcast()
        }
    }

    /// Called by the reader thread with each piece of ffmpeg's output.
    private func consume(_ bytes: UnsafeRawBufferPointer) {
        var offset = 0
        while offset < bytes.count {
            if current == nil {
                condition.lock()
                // Room for another frame: fewer than `framesAhead` wait, or a thread waits for one not read yet.
                while !closed && ready.count >= framesAhead && highestWanted < produced { condition.wait() }
                if closed || produced >= frameCount {
                    condition.unlock()
                    return
                }
                current = free.popLast() ?? [UInt8](repeating: 0, count: frameBytes)
                condition.unlock()
                filled = 0
            }
            let count = min(frameBytes - filled, bytes.count - offset)
            current!.withUnsafeMutableBytes { target in
                (target.baseAddress! + filled).copyMemory(from: bytes.baseAddress! + offset, byteCount: count)
            }
            filled += count
            offset += count
            if filled == frameBytes, let frame = current.take() {
                condition.withLock {
                    if !closed { ready[produced] = frame }
                    produced += 1
                    condition.broadcast()
                }
            }
        }
    }
}
