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

    /// Creates a report.
    public init(
        output: URL, frameCount: Int, duration: Double, loudness: LoudnessMeasurement, ffmpegSeconds: Double,
        totalSeconds: Double
    ) {
        self.output = output
        self.frameCount = frameCount
        self.duration = duration
        self.loudness = loudness
        self.ffmpegSeconds = ffmpegSeconds
        self.totalSeconds = totalSeconds
    }
}
