public import Foundation

/// What ``VideoComposer`` made and how long it took.
public struct RenderReport: Sendable, Hashable {
    /// The finished MP4.
    public var output: URL
    /// Video frames written.
    public var frameCount: Int
    /// The programme length in seconds (`frameCount / frameRate`).
    public var duration: Double
    /// The mastered mix as measured by ``LoudnessMeter`` before AAC encoding.
    public var loudness: LoudnessMeasurement
    /// Wall time spent inside ffmpeg processes, seconds.
    public var ffmpegSeconds: Double
    /// Wall time of the whole render, seconds.
    public var totalSeconds: Double
    /// How each clip shot (by its index in the composition) was fitted: the fit used (trim, loop or slow), the speed,
    /// the frames it moved for.
    public var clips: [Int: VideoTimeline.Clip]
    /// Where the video holds one unmoving picture on purpose, in seconds: still shots without motion, clips holding
    /// their last frame. For ``QualityGate/check(_:subtitles:speechEnd:intendedHolds:)``.
    public var heldStretches: [ClosedRange<Double>]

    /// Creates a report.
    public init(
        output: URL, frameCount: Int, duration: Double, loudness: LoudnessMeasurement, ffmpegSeconds: Double,
        totalSeconds: Double, clips: [Int: VideoTimeline.Clip] = [:], heldStretches: [ClosedRange<Double>] = []
    ) {
        self.clips = clips
        self.heldStretches = heldStretches
        self.output = output
        self.frameCount = frameCount
        self.duration = duration
        self.loudness = loudness
        self.ffmpegSeconds = ffmpegSeconds
        self.totalSeconds = totalSeconds
    }
}
