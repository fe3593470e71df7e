/// Output format and encoder choices for ``VideoComposer``.
public struct RenderSettings: Sendable, Hashable {
    /// Output width in pixels (even).
    public var width: Int
    /// Output height in pixels (even).
    public var height: Int
    /// Frames per second.
    public var frameRate: Int
    /// x264 preset. `veryfast` by default, to keep 1080×1920 renders practical on two cores (a 45 s
    /// video took 88 s there); `ultrafast` is faster but its output is Constrained Baseline, not High.
    public var preset: String
    /// x264 constant rate factor (18–23 is visually transparent to good for still-image video).
    public var crf: Int
    /// AAC bit rate in bits per second (192 000).
    public var audioBitRate: Int
    /// Integrated loudness target of the mix, LUFS (−14: the social-video target).
    public var loudnessTarget: Double
    /// True-peak ceiling of the mix, dBTP (−1).
    public var truePeakCeiling: Double
    /// Music level under the voice before ducking, dB (−14: music as a bed, not a rival).
    public var musicGain: Double
    /// How far Ken Burns motion zooms, as a fraction of the frame (0.12 = 12 %).
    public var zoomAmount: Double
    /// Images are scaled to this multiple of the output size before `zoompan`, whose crop positions
    /// are whole pixels: at 2× the rounding step is half an output pixel. Measured on a 4 s zoom, 1×
    /// left 10 of 119 frames without motion, 2× none, for 15 % more ffmpeg time (4×: 50 % more).
    public var motionPrescale: Int
    /// Worker threads for x264; 0 lets ffmpeg choose.
    public var threads: Int
    /// How Ken Burns motions advance when a ``VideoFrameRenderer`` draws the frames (`zoompan` is linear).
    public var motionEasing: MotionEasing
    /// The level of a clip's own sound (when its ``VideoComposition/Clip/audio`` is on) before the voice ducks it, dB
    /// (−6: the clip's sound as a presence under the narration, louder than a music bed).
    public var clipAudioGain: Double = -6

    /// Creates settings; the defaults make a 1080×1920, 30 fps social video.
    public init(
        width: Int = 1080, height: Int = 1920, frameRate: Int = 30, preset: String = "veryfast", crf: Int = 20,
        audioBitRate: Int = 192_000, loudnessTarget: Double = -14, truePeakCeiling: Double = -1,
        musicGain: Double = -14, zoomAmount: Double = 0.12, motionPrescale: Int = 2, threads: Int = 0,
        motionEasing: MotionEasing = .easeInOut
    ) {
        self.width = width
        self.height = height
        self.frameRate = frameRate
        self.preset = preset
        self.crf = crf
        self.audioBitRate = audioBitRate
        self.loudnessTarget = loudnessTarget
        self.truePeakCeiling = truePeakCeiling
        self.musicGain = musicGain
        self.zoomAmount = zoomAmount
        self.motionPrescale = motionPrescale
        self.threads = threads
        self.motionEasing = motionEasing
    }
}
