import Foundation
public import MediaIO

/// Draws a ``MediaIO/VideoTimeline`` of stills and clips frame by frame for ``MediaIO/VideoComposer``:
/// each still placed by its Ken Burns motion at fractional position and zoom, resampled once per frame
/// from the full-resolution image; each clip decoded by an ffmpeg child of its own (``MediaIO/ClipDecoder``:
/// fitted, scaled to fill, at the output's size and rate), started a little ahead of its shot; crossfades
/// between any two blended in fixed point, straight into yuv420p BT.709 limited range.
///
/// ```swift
/// let source = try await StillFrameRenderer().prepare(timeline)
/// var frame = try YUV420Frame(width: timeline.width, height: timeline.height)
/// try source.render(frame: 0, into: &frame)
/// ```
///
/// Each still is converted once, when its shot's first frame is asked for, to full-resolution planes
/// (luma at its size, Cb and Cr at half width and height); every frame then resamples the luma plane
/// to the frame's size and the chroma planes to half of it from the motion's crop rectangle
/// (``MediaIO/VideoComposition/Motion/crop(progress:easing:amount:sourceWidth:sourceHeight:outputWidth:outputHeight:)``),
/// with the crop's fractional edges, no prescale and no whole-pixel snapping. The filter is Lanczos-3
/// by default for enlarging and reducing alike (stretched over the reduction so that it low-passes),
/// as Pillow's `LANCZOS` and UpscaleKit's upscaler use it. The arithmetic is integer (Q14 weights,
/// a 14-bit intermediate, one rounding per pass), so a frame's bytes depend only on its index: the
/// same at any thread count and with any of the SIMD levels (portable C, AVX2, AVX-512).
public struct StillFrameRenderer: VideoFrameRenderer {
    /// How to render.
    public struct Configuration: Sendable {
        /// The resampling filter (default ``ResamplingKernel/lanczos3``).
        public var kernel: ResamplingKernel
        /// Decodes the stills; its limits apply (default: at most 8192 × 8192 pixels, the largest side
        /// of a ``MediaIO/YUV420Frame``, about 100 MB of planes).
        public var decoder: ImageDecoder
        /// How many frames behind the newest frame asked for keep their shots' stills decoded (default
        /// 16: more than the composer keeps in flight). Earlier stills are let go, so memory does not
        /// grow with the number of shots; a frame asked for later than that still renders, after
        /// decoding its still again. Clamped to 0...4096.
        public var retainedFrames: Int
        /// The ffmpeg that decodes clip shots; `nil` finds one on PATH when a timeline has clips
        /// (``prepare(_:)``).
        public var ffmpeg: FFmpeg?
        /// How many frames before a clip shot's first frame its decoder starts (default 15, half a second at
        /// 30 fps: ffmpeg takes a few tenths of a second to open a clip, so its first frames are ready when
        /// drawn). Clamped to 0...600.
        public var clipLeadFrames: Int
        /// Frames each clip decoder keeps decoded ahead of the drawing threads (default 4; see
        /// ``MediaIO/ClipDecoder/framesAhead``).
        public var clipFramesAhead: Int
        /// Whether a shot's first frame starts decoding the next shot's still on another thread (default `true`),
        /// so the next shot's first frame does not wait for its decode; one more still is then held. The pixels
        /// are the same either way.
        public var lookAhead: Bool

        /// Creates a configuration; every parameter has a default.
        public init(
            kernel: ResamplingKernel = .lanczos3,
            decoder: ImageDecoder = ImageDecoder(configuration: .init(maxPixelCount: 8192 * 8192)),
            retainedFrames: Int = 16, ffmpeg: FFmpeg? = nil, clipLeadFrames: Int = 15, clipFramesAhead: Int = 4,
            lookAhead: Bool = true
        ) {
            self.kernel = kernel
            self.decoder = decoder
            self.retainedFrames = retainedFrames
            self.ffmpeg = ffmpeg
            self.clipLeadFrames = clipLeadFrames
            self.clipFramesAhead = clipFramesAhead
            self.lookAhead = lookAhead
        }
    }

    /// How this renderer renders.
    public var configuration: Configuration

    /// Creates a renderer.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
    }

    /// `UpscaleKit.StillFrameRenderer kernel=lanczos3`: the resampling filter is the one setting that changes the
    /// pixels (the retention window and the decoder's limits do not).
    public var identity: String { "UpscaleKit.StillFrameRenderer kernel=\(configuration.kernel.rawValue)" }

    /// Checks `timeline` (sizes, frames, and each still's header: a file that is missing or not an
    /// image fails here, before any encoding starts) and returns its frames. A timeline with clip shots
    /// gets a source whose ``StillFrameSource/run()`` runs their decoders (ffmpeg from the configuration,
    /// or found on PATH).
    ///
    /// - Throws: ``UpscaleError/invalidConfiguration(_:underlying:)`` for a timeline that cannot be
    ///   drawn; ``MediaIO/ImageCodecError`` naming the file for a still that cannot be opened;
    ///   ``MediaIO/FFmpegError`` when clips need an ffmpeg that cannot be found.
    public func prepare(_ timeline: VideoTimeline) async throws -> any VideoFrameSource {
        var ffmpeg = configuration.ffmpeg
        if ffmpeg == nil, timeline.shots.contains(where: { $0.clip != nil }) { ffmpeg = try await FFmpeg.locate() }
        return try StillFrameSource(timeline: timeline, configuration: configuration, ffmpeg: ffmpeg)
    }

    /// ``prepare(_:)`` without the `async`, returning the concrete source (with its statistics); clips are
    /// decoded by the configuration's ``Configuration/ffmpeg``.
    public func makeSource(_ timeline: VideoTimeline) throws -> StillFrameSource {
        try StillFrameSource(timeline: timeline, configuration: configuration, ffmpeg: configuration.ffmpeg)
    }
}
