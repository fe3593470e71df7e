public import Foundation

/// How a Ken Burns motion advances over its shot.
public enum MotionEasing: String, Sendable, Hashable, CaseIterable, Codable {
    /// Constant speed from the first frame to the last.
    case linear
    /// Starts and ends at rest: `(1 − cos(π t)) / 2`, the half-cosine curve, which has no jerk at the ends.
    case easeInOut

    /// The eased progress for a linear progress `t` in 0...1 (values outside are clamped; NaN gives 0).
    public func callAsFunction(_ t: Double) -> Double {
        let clamped = t.isNaN ? 0 : min(1, max(0, t))
        switch self {
        case .linear: return clamped
        case .easeInOut: return (1 - cos(Double.pi * clamped)) / 2
        }
    }
}

/// A rectangle in a source image's pixel coordinates, with fractional edges: the part of the still that
/// fills the output frame.
public struct CropRect: Sendable, Hashable {
    /// Left edge, in source pixels from the image's left.
    public var x: Double
    /// Top edge, in source pixels from the image's top.
    public var y: Double
    /// Width in source pixels.
    public var width: Double
    /// Height in source pixels.
    public var height: Double

    /// Creates a rectangle.
    public init(x: Double, y: Double, width: Double, height: Double) {
        self.x = x
        self.y = y
        self.width = width
        self.height = height
    }
}

extension VideoComposition.Motion {
    /// The crop of a `sourceWidth × sourceHeight` still that fills a `outputWidth × outputHeight` frame at
    /// `progress` (0 at the shot's first frame, 1 at its last), after `easing`.
    ///
    /// The still is first cropped to fill the output's aspect, centred (the largest such rectangle, never
    /// stretched); zoom `z` shrinks that rectangle by `1/z` (zoom-in goes from 1 to `1 + amount`, zoom-out
    /// back, pans stay at `1 + amount`); a pan travels across the margin the zoom leaves, centred on the
    /// other axis, as ffmpeg's `zoompan` expressions did, but with fractional positions.
    public func crop(
        progress: Double, easing: MotionEasing, amount: Double, sourceWidth: Int, sourceHeight: Int,
        outputWidth: Int, outputHeight: Int
    ) -> CropRect {
        let (sourceW, sourceH) = (Double(max(1, sourceWidth)), Double(max(1, sourceHeight)))
        let (outputW, outputH) = (Double(max(1, outputWidth)), Double(max(1, outputHeight)))
        let scale = max(outputW / sourceW, outputH / sourceH)
        let baseW = min(sourceW, outputW / scale)
        let baseH = min(sourceH, outputH / scale)
        let baseX = (sourceW - baseW) / 2
        let baseY = (sourceH - baseH) / 2
        let amount = amount.isFinite ? max(0, amount) : 0
        let eased = easing(progress)
        let zoom: Double
        switch self {
        case .still: zoom = 1
        case .zoomIn: zoom = 1 + amount * eased
        case .zoomOut: zoom = 1 + amount * (1 - eased)
        case .pan: zoom = 1 + amount
        }
        let (width, height) = (baseW / zoom, baseH / zoom)
        let (slackX, slackY) = (baseW - width, baseH - height)
        var (fractionX, fractionY) = (0.5, 0.5)
        if case .pan(let direction) = self {
            switch direction {
            case .left, .upLeft, .downLeft: fractionX = 1 - eased
            case .right, .upRight, .downRight: fractionX = eased
            case .up, .down: break
            }
            switch direction {
            case .up, .upLeft, .upRight: fractionY = 1 - eased
            case .down, .downLeft, .downRight: fractionY = eased
            case .left, .right: break
            }
        }
        return CropRect(x: baseX + slackX * fractionX, y: baseY + slackY * fractionY, width: width, height: height)
    }
}

/// A picture in planar yuv420p, BT.709 limited range, the layout ffmpeg's `rawvideo` reads: the full-size
/// luma plane (`width × height` bytes), then the Cb plane and the Cr plane (`width/2 × height/2` each),
/// rows tightly packed.
public struct YUV420Frame: Sendable {
    /// The largest side accepted, in pixels (8192: beyond any encoder level the composer targets).
    public static let maximumSide = 8192

    /// Width in pixels (even).
    public let width: Int
    /// Height in pixels (even).
    public let height: Int
    /// The three planes, one after the other.
    public var bytes: [UInt8]

    /// Bytes in the luma plane.
    public var lumaCount: Int { width * height }
    /// Width of each chroma plane.
    public var chromaWidth: Int { width / 2 }
    /// Height of each chroma plane.
    public var chromaHeight: Int { height / 2 }
    /// Bytes in each chroma plane.
    public var chromaCount: Int { chromaWidth * chromaHeight }
    /// Where the Cb plane starts in ``bytes``.
    public var cbOffset: Int { lumaCount }
    /// Where the Cr plane starts in ``bytes``.
    public var crOffset: Int { lumaCount + chromaCount }

    /// Creates a black frame (Y 16, Cb and Cr 128).
    /// - Throws: ``FFmpegError`` when a side is not positive, odd, or over ``maximumSide``.
    public init(width: Int, height: Int) throws {
        guard width > 0, height > 0, width % 2 == 0, height % 2 == 0, width <= Self.maximumSide,
            height <= Self.maximumSide
        else {
            throw FFmpegError.invalidArgument(
                "\(width)×\(height): a yuv420p frame needs even sides from 2 to \(Self.maximumSide)")
        }
        self.width = width
        self.height = height
        let luma = width * height
        bytes = [UInt8](repeating: 16, count: luma) + [UInt8](repeating: 128, count: luma / 2)
    }
}

/// The pictures of a composition in whole frames, as the composer hands them to a ``VideoFrameRenderer``.
///
/// Shot `k` is on screen from ``Shot/startFrame`` for ``Shot/frameCount`` frames; when a crossfade joins it
/// to shot `k + 1`, the two overlap by the crossfade's frames and ``picture(at:)`` says how to blend them.
public struct VideoTimeline: Sendable, Hashable {
    /// One still on screen.
    public struct Shot: Sendable, Hashable {
        /// The image file.
        public var image: URL
        /// How the camera moves over it.
        public var motion: VideoComposition.Motion
        /// The first output frame that shows it.
        public var startFrame: Int
        /// How many frames show it (including crossfade overlaps).
        public var frameCount: Int
        /// The clip it plays instead of the still, already fitted to ``frameCount``; `nil` for a still.
        public var clip: Clip?

        /// Creates a shot.
        public init(
            image: URL, motion: VideoComposition.Motion, startFrame: Int, frameCount: Int, clip: Clip? = nil
        ) {
            self.image = image
            self.motion = motion
            self.startFrame = startFrame
            self.frameCount = frameCount
            self.clip = clip
        }

        /// The motion's progress at `localFrame` (0 at the first frame, 1 at the last).
        public func progress(atLocalFrame localFrame: Int) -> Double {
            frameCount > 1 ? Double(min(max(0, localFrame), frameCount - 1)) / Double(frameCount - 1) : 0
        }
    }

    /// A clip shot's playback, fitted to its shot: the shot's frame `k < playedFrames` shows the clip at
    /// `k / (frameRate × speed)` seconds from its start (modulo its length when ``fit`` is loop), later frames hold the
    /// last one played.
    public struct Clip: Sendable, Hashable {
        /// The clip's file.
        public var file: URL
        /// The fit used: ``VideoComposition/ClipFit/trim``, ``VideoComposition/ClipFit/loop`` or
        /// ``VideoComposition/ClipFit/slow`` (never automatic).
        public var fit: VideoComposition.ClipFit
        /// How much slower than real time the clip plays (1, or up to ``VideoComposition/ClipFit/maximumSlowdown``
        /// when slowed).
        public var speed: Double
        /// Frames of the shot that show the clip moving; the rest (``frameCount`` − this) hold its last frame.
        public var playedFrames: Int
        /// The clip's length in seconds, as ffprobe measured it.
        public var duration: Double
        /// Whether the clip's sound is mixed in.
        public var audio: Bool
        /// Whether the clip has a sound track at all.
        public var hasAudio: Bool
        /// The clip's colour matrix tag as ffprobe gives it (`bt709`, `smpte170m`), `nil` when untagged.
        public var colorSpace: String?

        /// Creates a clip's playback.
        public init(
            file: URL, fit: VideoComposition.ClipFit, speed: Double, playedFrames: Int, duration: Double, audio: Bool,
            hasAudio: Bool, colorSpace: String? = nil
        ) {
            self.colorSpace = colorSpace
            self.file = file
            self.fit = fit
            self.speed = speed
            self.playedFrames = playedFrames
            self.duration = duration
            self.audio = audio
            self.hasAudio = hasAudio
        }
    }

    /// One shot at one of its frames.
    public struct Layer: Sendable, Hashable {
        /// The shot's index in ``VideoTimeline/shots``.
        public var shot: Int
        /// The frame within the shot, from 0.
        public var localFrame: Int
    }

    /// What one output frame shows.
    public enum Picture: Sendable, Hashable {
        /// One shot.
        case single(Layer)
        /// A crossfade: `incoming` weighs `step / steps` and `outgoing` the rest, with `0 < step < steps`.
        /// Over an overlap of `n` frames the steps are `1…n` of `n + 1`, so no crossfade frame equals either shot.
        case crossfade(outgoing: Layer, incoming: Layer, step: Int, steps: Int)
    }

    /// The shots in order.
    public var shots: [Shot]
    /// Frames in the video.
    public var totalFrames: Int
    /// Output width (even).
    public var width: Int
    /// Output height (even).
    public var height: Int
    /// Frames per second.
    public var frameRate: Int
    /// How far motions zoom (``RenderSettings/zoomAmount``).
    public var zoomAmount: Double
    /// How motions advance (``RenderSettings/motionEasing``).
    public var easing: MotionEasing

    /// Creates a timeline.
    public init(
        shots: [Shot], totalFrames: Int, width: Int, height: Int, frameRate: Int, zoomAmount: Double,
        easing: MotionEasing
    ) {
        self.shots = shots
        self.totalFrames = totalFrames
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.zoomAmount = zoomAmount
        self.easing = easing
    }

    /// What frame `index` shows; frames past the end show the last shot's last frame.
    public func picture(at index: Int) -> Picture {
        guard !shots.isEmpty else { return .single(Layer(shot: 0, localFrame: 0)) }
        let index = max(0, index)
        // The last shot whose start is at or before the frame.
        var low = 0
        var high = shots.count - 1
        while low < high {
            let middle = (low + high + 1) / 2
            if shots[middle].startFrame <= index { low = middle } else { high = middle - 1 }
        }
        let current = shots[low]
        let local = min(index - current.startFrame, current.frameCount - 1)
        if low > 0 {
            let previous = shots[low - 1]
            let previousEnd = previous.startFrame + previous.frameCount
            if index < previousEnd {
                let overlap = previousEnd - current.startFrame
                return .crossfade(
                    outgoing: Layer(shot: low - 1, localFrame: index - previous.startFrame),
                    incoming: Layer(shot: low, localFrame: local), step: index - current.startFrame + 1,
                    steps: overlap + 1)
            }
        }
        return .single(Layer(shot: low, localFrame: local))
    }
}

/// Draws a video's pictures frame by frame, for ``VideoComposer`` to stream into the encoder.
///
/// UpscaleKit's `StillFrameRenderer` is the one StoryForge ships (stills and clips); a host may bring its own (a
/// title card). The composer keeps the audio, subtitles and encoding.
public protocol VideoFrameRenderer: Sendable {
    /// What this renderer draws, for cache keys (StoryPipeline's `StoryServices.fingerprint`): change it when the
    /// same timeline would give other pixels. The default is the type's full name.
    var identity: String { get }

    /// Prepares to draw `timeline` (checks and opens its images); called once per render.
    func prepare(_ timeline: VideoTimeline) async throws -> any VideoFrameSource
}

/// The frames of one prepared timeline.
///
/// The composer asks for frames in increasing order with a few in flight at once (on different threads,
/// into different buffers), so a source may decode a shot's still when first asked for it and let it go
/// once its last frame is drawn. A frame's bytes depend only on its index: the same timeline gives the
/// same bytes whatever the thread count.
public protocol VideoFrameSource: Sendable {
    /// Draws frame `index` (`0..<totalFrames`) into `frame`, which has the timeline's size.
    func render(frame index: Int, into frame: inout YUV420Frame) throws

    /// Does the source's background work (a clip source runs its decoders here) until ``finish()``; the composer
    /// runs it alongside the frames it asks for. A source without such work returns at once (the default).
    func run() async throws

    /// Ends ``run()`` and anything it started (decoder processes); called once the frames are written, or when the
    /// render fails or is cancelled. The default does nothing.
    func finish()
}

extension VideoFrameSource {
    /// Nothing to do: returns at once.
    public func run() async throws {}

    /// Nothing to end.
    public func finish() {}
}
