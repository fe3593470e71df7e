/// The output format of a story video.
public struct RenderSettings: Codable, Hashable, Sendable {
    /// Width in pixels; 1080 by default.
    public var width: Int
    /// Height in pixels; 1920 by default (9:16, the vertical short-video format).
    public var height: Int
    /// Frames per second; 30 by default.
    public var framesPerSecond: Int
    /// Integrated loudness target in LUFS; −14 by default (the YouTube and TikTok playback target).
    public var targetLoudness: Double
    /// True-peak ceiling in dBTP; −1 by default (EBU R128 headroom for lossy encoding).
    public var truePeakCeiling: Double

    /// Creates settings; the defaults are 1080×1920 at 30 fps, −14 LUFS, −1 dBTP.
    public init(
        width: Int = 1080,
        height: Int = 1920,
        framesPerSecond: Int = 30,
        targetLoudness: Double = -14,
        truePeakCeiling: Double = -1
    ) {
        self.width = width
        self.height = height
        self.framesPerSecond = framesPerSecond
        self.targetLoudness = targetLoudness
        self.truePeakCeiling = truePeakCeiling
    }
}
