import CStoryForgeResample
import Foundation
public import MediaIO
import Synchronization

/// The frames of one timeline, drawn by ``StillFrameRenderer``; safe to call from several threads at
/// once for different frames. A clip shot's frames come from its ``MediaIO/ClipDecoder``, run by
/// ``run()``; each is drawn once (the decoder streams, it does not seek).
///
/// A shot's still is decoded when a frame first needs it and let go once the newest frame asked for
/// is more than ``StillFrameRenderer/Configuration/retainedFrames`` past the shot's last frame, so at
/// most the shots of that window (two during a crossfade) and the next shot's, decoded ahead
/// (``StillFrameRenderer/Configuration/lookAhead``), are in memory, whatever the number of shots. Per-frame working memory (tap tables, the 16-bit row, the crossfade's second picture) comes
/// from a pool with one entry per thread drawing at the same time, reused frame after frame.
public final class StillFrameSource: VideoFrameSource {
    /// What the source has done so far.
    public struct Statistics: Sendable, Hashable {
        /// Stills decoded (a still needed again after it was let go counts again).
        public var decodes: Int
        /// Shots whose stills are held now.
        public var decodedShots: Int
        /// The most shots held at once.
        public var peakDecodedShots: Int
        /// Clip decoders started so far.
        public var clipDecodersStarted: Int = 0
    }

    /// The timeline drawn.
    public let timeline: VideoTimeline
    private let configuration: StillFrameRenderer.Configuration
    private let retainedFrames: Int
    private let table: KernelTable
    private let state = Mutex(CacheState())
    private let pool = Mutex([FrameScratch]())
    /// Clip shots' decoders by shot index.
    private let decoders: [Int: ClipDecoder]
    /// Clip shots in the order their decoders start, and the next to start.
    private let clipOrder: [Int]
    private let nextClip = Mutex(0)
    private let clipLead: Int
    private let starts: AsyncStream<Int>
    private let startRequests: AsyncStream<Int>.Continuation

    init(timeline: VideoTimeline, configuration: StillFrameRenderer.Configuration, ffmpeg: FFmpeg?) throws {
        try Self.check(timeline)
        var decoders = [Int: ClipDecoder]()
        for (index, shot) in timeline.shots.enumerated() {
            guard let clip = shot.clip else { continue }
            guard let ffmpeg else {
                throw UpscaleError.invalidConfiguration(
                    "shot \(index) plays the clip \(clip.file.lastPathComponent): set the renderer's configuration's "
                        + "ffmpeg (or use prepare, which finds one)")
            }
            decoders[index] = ClipDecoder(
                ffmpeg: ffmpeg, clip: clip, frameCount: shot.frameCount, width: timeline.width,
                height: timeline.height, frameRate: timeline.frameRate, framesAhead: configuration.clipFramesAhead)
        }
        self.decoders = decoders
        clipOrder = decoders.keys.sorted()
        clipLead = min(max(configuration.clipLeadFrames, 0), 600)
        (starts, startRequests) = AsyncStream.makeStream(of: Int.self)
        for shot in timeline.shots where shot.clip == nil {
            do {
                // The header only: a missing file or one that is not an image fails before any frame.
                _ = try configuration.decoder.rowReader(contentsOf: shot.image).info
            } catch let error as ImageCodecError {
                throw error.naming(shot.image)
            }
        }
        self.timeline = timeline
        self.configuration = configuration
        self.retainedFrames = min(max(configuration.retainedFrames, 0), 4096)
        self.table = KernelTable(configuration.kernel)
    }

    private static func check(_ timeline: VideoTimeline) throws {
        let side = YUV420Frame.maximumSide
        guard timeline.width > 0, timeline.height > 0, timeline.width % 2 == 0, timeline.height % 2 == 0,
            timeline.width <= side, timeline.height <= side
        else {
            throw UpscaleError.invalidConfiguration(
                "a \(timeline.width)×\(timeline.height) timeline: frames need even sides from 2 to \(side)")
        }
        guard timeline.totalFrames >= 0, timeline.totalFrames == 0 || !timeline.shots.isEmpty else {
            throw UpscaleError.invalidConfiguration(
                "a timeline of \(timeline.totalFrames) frames needs at least one shot (it has \(timeline.shots.count))")
        }
        var previousStart = 0
        for (index, shot) in timeline.shots.enumerated() {
            guard shot.frameCount > 0, shot.startFrame >= previousStart else {
                throw UpscaleError.invalidConfiguration(
                    "shot \(index) (\(shot.image.lastPathComponent)) starts at frame \(shot.startFrame) for "
                        + "\(shot.frameCount) frames: shots need at least one frame, in order")
            }
            previousStart = shot.startFrame
        }
    }

    /// What the source has done so far.
    public var statistics: Statistics {
        let started = nextClip.withLock { $0 }
        return state.withLock {
            Statistics(
                decodes: $0.decodes, decodedShots: $0.slots.count, peakDecodedShots: $0.peak,
                clipDecodersStarted: started)
        }
    }

    /// Runs the clip shots' decoders, each from a little before its shot's first frame is drawn
    /// (``StillFrameRenderer/Configuration/clipLeadFrames``) until it has given all its frames, until
    /// ``finish()``; returns at once for a timeline without clips. Frames of a clip shot wait for it: run it
    /// alongside the frames asked for, once (``MediaIO/VideoComposer`` does).
    /// - Throws: a decoder's ``MediaIO/FFmpegError`` (the frames waiting for it get the same error).
    public func run() async throws {
        guard !decoders.isEmpty else { return }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for await index in starts {
                guard let decoder = decoders[index] else { continue }
                group.addTask { try await decoder.run() }
            }
            // finish(): decoders still running are ended (those closed return quietly).
            group.cancelAll()
            var failure: (any Error)?
            while let result = await group.nextResult() {
                if case .failure(let error) = result, !(error is CancellationError), failure == nil { failure = error }
            }
            if let failure { throw failure }
        }
    }

    /// Ends ``run()`` and every clip decoder: frames still waiting for one throw `CancellationError`.
    public func finish() {
        startRequests.finish()
        for decoder in decoders.values { decoder.close() }
    }

    deinit { finish() }

    /// Asks ``run()`` to start the decoders of clip shots that begin by frame `index` + the lead.
    private func startClips(near index: Int) {
        guard !clipOrder.isEmpty else { return }
        let horizon = index > Int.max - clipLead ? Int.max : index + clipLead
        nextClip.withLock { next in
            while next < clipOrder.count, timeline.shots[clipOrder[next]].startFrame <= horizon {
                startRequests.yield(clipOrder[next])
                next += 1
            }
        }
    }

    /// Draws frame `index` into `frame` (which has the timeline's size).
    ///
    /// - Throws: ``MediaIO/ImageCodecError`` naming the file when a still cannot be decoded;
    ///   ``UpscaleError`` for a frame of the wrong size or a crop the filter cannot reach (a reduction
    ///   of more than about 20×).
    public func render(frame index: Int, into frame: inout YUV420Frame) throws {
        guard frame.width == timeline.width, frame.height == timeline.height,
            frame.bytes.count == frame.lumaCount + 2 * frame.chromaCount, index >= 0, !timeline.shots.isEmpty
        else {
            throw UpscaleError.invalidConfiguration(
                "frame \(index) into a \(frame.width)×\(frame.height) buffer of \(frame.bytes.count) bytes: the timeline draws "
                    + "\(timeline.width)×\(timeline.height) frames from 0 (and has \(timeline.shots.count) shots)")
        }
        startClips(near: index)
        let scratch = pool.withLock { $0.popLast() } ?? FrameScratch()
        defer { pool.withLock { $0.append(scratch) } }
        let count = frame.bytes.count
        switch timeline.picture(at: index) {
        case .single(let layer):
            try frame.bytes.withUnsafeMutableBufferPointer { bytes in
                try draw(layer, frame: index, into: bytes.baseAddress!, count: count, scratch)
            }
        case .crossfade(let outgoing, let incoming, let step, let steps):
            let layer = scratch.layer(count)
            try draw(incoming, frame: index, into: layer, count: count, scratch)
            // The incoming share in Q16, rounded: step / steps within 2⁻¹⁷, so each sample lands within
            // 0.502 of the exact blend of the two pictures.
            let weight = UInt32((step * 65536 + steps / 2) / max(steps, 1))
            try frame.bytes.withUnsafeMutableBufferPointer { bytes in
                try draw(outgoing, frame: index, into: bytes.baseAddress!, count: count, scratch)
                sf_frame_blend_u8(bytes.baseAddress!, layer, count, weight)
            }
        }
    }

    /// Draws one shot's picture at one of its frames: a clip's decoded frame, or the still moved.
    private func draw(
        _ layer: VideoTimeline.Layer, frame index: Int, into out: UnsafeMutablePointer<UInt8>, count: Int,
        _ scratch: FrameScratch
    ) throws {
        if let decoder = decoders[layer.shot] {
            try decoder.frame(layer.localFrame, into: UnsafeMutableRawBufferPointer(start: out, count: count))
        } else {
            try draw(try still(shot: layer.shot, frame: index), layer, into: out, scratch)
        }
    }

    // MARK: Stills

    private struct CacheState {
        var slots: [Int: ShotSlot] = [:]
        var newest = -1
        var decodes = 0
        var peak = 0
    }

    /// One shot's still, decoded by the first thread that needs it while the others wait.
    private final class ShotSlot: Sendable {
        let value = Mutex<Result<YCbCrStill, any Error>?>(nil)
    }

    private func still(shot: Int, frame: Int) throws -> YCbCrStill {
        let (slot, next) = state.withLock { state -> (ShotSlot, (Int, ShotSlot)?) in
            if frame > state.newest {
                state.newest = frame
                let horizon = frame - retainedFrames
                for key in Array(state.slots.keys) {
                    let old = timeline.shots[key]
                    if old.startFrame + old.frameCount - 1 < horizon { state.slots[key] = nil }
                }
            }
            let slot = state.slots[shot] ?? ShotSlot()
            state.slots[shot] = slot
            // While a shot is drawn, the next shot's still is decoded beside its frames, so the next shot's first
            // frame does not stall the pipe for the decode (100–430 ms for a 2160×3840 PNG). Not for a shot that
            // has already left the window (a late frame of an old shot).
            var next: (Int, ShotSlot)?
            if configuration.lookAhead, shot + 1 < timeline.shots.count, state.slots[shot + 1] == nil {
                let following = timeline.shots[shot + 1]
                if following.startFrame + following.frameCount - 1 >= state.newest - retainedFrames {
                    let ahead = ShotSlot()
                    state.slots[shot + 1] = ahead
                    next = (shot + 1, ahead)
                }
            }
            state.peak = max(state.peak, state.slots.count)
            return (slot, next)
        }
        if let (ahead, aheadSlot) = next {
            DispatchQueue.global(qos: .userInitiated).async { _ = try? self.decode(shot: ahead, into: aheadSlot) }
        }
        return try decode(shot: shot, into: slot)
    }

    /// The slot's still, decoded here unless another thread (a frame's or the look-ahead's) has or is doing it.
    private func decode(shot: Int, into slot: ShotSlot) throws -> YCbCrStill {
        let url = timeline.shots[shot].image
        let decoder = configuration.decoder
        return try slot.value.withLock { value in
            if let value { return try value.get() }
            let result = Result { try YCbCrStill.decode(url, decoder: decoder) }
            state.withLock { $0.decodes += 1 }
            value = result
            return try result.get()
        }
    }

    // MARK: Drawing

    private func draw(
        _ still: YCbCrStill, _ layer: VideoTimeline.Layer, into out: UnsafeMutablePointer<UInt8>,
        _ scratch: FrameScratch
    ) throws {
        let shot = timeline.shots[layer.shot]
        let (width, height) = (timeline.width, timeline.height)
        let crop = shot.motion.crop(
            progress: shot.progress(atLocalFrame: layer.localFrame), easing: timeline.easing,
            amount: timeline.zoomAmount, sourceWidth: still.width, sourceHeight: still.height, outputWidth: width,
            outputHeight: height)
        try resample(still.luma, still.width, still.height, crop, into: out, width, height, scratch)
        // The chroma planes cover the same picture at half the resolution on both sides.
        let half = CropRect(x: crop.x / 2, y: crop.y / 2, width: crop.width / 2, height: crop.height / 2)
        let chroma = (width / 2) * (height / 2)
        try resample(
            still.cb, still.chromaWidth, still.chromaHeight, half, into: out + width * height, width / 2, height / 2,
            scratch)
        try resample(
            still.cr, still.chromaWidth, still.chromaHeight, half, into: out + width * height + chroma, width / 2,
            height / 2, scratch, tapsReady: true)
    }

    private func resample(
        _ plane: [UInt8], _ sourceWidth: Int, _ sourceHeight: Int, _ crop: CropRect,
        into out: UnsafeMutablePointer<UInt8>, _ width: Int, _ height: Int, _ scratch: FrameScratch,
        tapsReady: Bool = false
    ) throws {
        let nearest: Int32 = configuration.kernel == .nearest ? 1 : 0
        let support = table.support
        let horizontalTaps = Int(sf_frame_tap_count(support, crop.width, Int32(width), nearest))
        let verticalTaps = Int(sf_frame_tap_count(support, crop.height, Int32(height), nearest))
        let horizontalPadded = horizontalTaps <= 8 ? 8 : (horizontalTaps + 15) / 16 * 16
        let verticalPadded = (verticalTaps + 1) / 2 * 2
        guard horizontalTaps > 0, verticalTaps > 0, horizontalPadded <= 128, verticalPadded <= 128 else {
            throw UpscaleError.tooLarge(
                "a \(crop.width)×\(crop.height) crop drawn at \(width)×\(height) needs more than 128 filter taps "
                    + "(a reduction of more than about 20×): use a smaller still")
        }
        let taps = scratch.taps(width: width, horizontal: horizontalPadded, height: height, vertical: verticalPadded)
        // Cr reuses the taps Cb just made: same crop, same sizes.
        if !tapsReady {
            let made = table.values.withUnsafeBufferPointer { values in
                sf_frame_axis_taps(
                    values.baseAddress, Int32(KernelTable.perUnit), support, crop.x, crop.width, Int32(width),
                    Int32(horizontalTaps), Int32(horizontalPadded), taps.hFirst, taps.hWeights) == 0
                    && sf_frame_axis_taps(
                        values.baseAddress, Int32(KernelTable.perUnit), support, crop.y, crop.height, Int32(height),
                        Int32(verticalTaps), Int32(verticalPadded), taps.vFirst, taps.vWeights) == 0
            }
            guard made else {
                throw UpscaleError.invalidConfiguration(
                    "cannot place a \(crop.width)×\(crop.height) crop at (\(crop.x), \(crop.y)) on a "
                        + "\(sourceWidth)×\(sourceHeight) still")
            }
        }
        let count = sf_frame_scratch_count(taps.hFirst, Int32(width), Int32(horizontalPadded))
        let row = scratch.row(count)
        let status = plane.withUnsafeBufferPointer { source in
            sf_frame_resample_plane(
                source.baseAddress, sourceWidth, Int32(sourceWidth), Int32(sourceHeight), taps.vFirst, taps.vWeights,
                Int32(verticalPadded), taps.hFirst, taps.hWeights, Int32(horizontalPadded), out, width, Int32(width),
                Int32(height), row, count)
        }
        guard status == 0 else {
            throw UpscaleError.invalidConfiguration(
                "cannot resample a \(sourceWidth)×\(sourceHeight) plane to \(width)×\(height)")
        }
    }
}

/// The filter sampled finely once per source, for the per-frame tap tables: a frame needs tens of
/// thousands of weights, and evaluating Lanczos' two sines for each cost more than the resampling.
struct KernelTable: Sendable {
    /// Samples per source pixel; linear interpolation between them is within 10⁻⁶ of Lanczos-3,
    /// far below the Q14 weights' step of 6·10⁻⁵.
    static let perUnit = 4096
    let support: Double
    let values: [Float]

    init(_ kernel: ResamplingKernel) {
        support = kernel.support
        let count = Int(kernel.support * Double(Self.perUnit)) + 2
        values = (0..<count).map { Float(kernel.weight(Double($0) / Double(Self.perUnit))) }
    }
}

/// Working memory of one drawing thread, grown on demand and reused frame after frame.
///
/// `@unchecked Sendable`: it is used by one thread at a time, handed between threads only through the
/// source's pool, whose lock orders the accesses.
final class FrameScratch: @unchecked Sendable {
    struct Taps {
        let hFirst: UnsafeMutablePointer<Int32>
        let hWeights: UnsafeMutablePointer<Int16>
        let vFirst: UnsafeMutablePointer<Int32>
        let vWeights: UnsafeMutablePointer<Int16>
    }

    private var hFirst = Buffer<Int32>()
    private var hWeights = Buffer<Int16>()
    private var vFirst = Buffer<Int32>()
    private var vWeights = Buffer<Int16>()
    private var rowBuffer = Buffer<Int16>()
    private var layerBuffer = Buffer<UInt8>()

    func taps(width: Int, horizontal: Int, height: Int, vertical: Int) -> Taps {
        Taps(
            hFirst: hFirst.reserve(width), hWeights: hWeights.reserve(width * horizontal),
            vFirst: vFirst.reserve(height), vWeights: vWeights.reserve(height * vertical))
    }

    func row(_ count: Int) -> UnsafeMutablePointer<Int16> { rowBuffer.reserve(count) }

    func layer(_ count: Int) -> UnsafeMutablePointer<UInt8> { layerBuffer.reserve(count) }

    /// A 64-byte aligned, zero-filled allocation that only grows.
    struct Buffer<Element> {
        private var pointer: UnsafeMutablePointer<Element>?
        private var capacity = 0

        mutating func reserve(_ count: Int) -> UnsafeMutablePointer<Element> {
            if let pointer, capacity >= count { return pointer }
            pointer?.deallocate()
            let bytes = max(count, 1) * MemoryLayout<Element>.stride
            let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            let fresh = raw.bindMemory(to: Element.self, capacity: max(count, 1))
            pointer = fresh
            capacity = count
            return fresh
        }

        func free() { pointer?.deallocate() }
    }

    deinit {
        hFirst.free()
        hWeights.free()
        vFirst.free()
        vWeights.free()
        rowBuffer.free()
        layerBuffer.free()
    }
}
