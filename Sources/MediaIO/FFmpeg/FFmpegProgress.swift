/// One progress report from ffmpeg's `-progress` output (sent about twice a second).
public struct FFmpegProgress: Sendable, Hashable {
    /// How much of the output is written, in seconds of media.
    public var outTime: Double
    /// Frames written so far (video outputs).
    public var frame: Int
    /// Encoding speed as a multiple of real time, when ffmpeg reports it.
    public var speed: Double?
    /// `outTime / expectedDuration` clamped to 0...1; nil without an expected duration.
    public var fraction: Double?
    /// True for ffmpeg's last report (`progress=end`).
    public var isFinished: Bool

    /// Creates a report.
    public init(outTime: Double, frame: Int, speed: Double?, fraction: Double?, isFinished: Bool) {
        self.outTime = outTime
        self.frame = frame
        self.speed = speed
        self.fraction = fraction
        self.isFinished = isFinished
    }
}
