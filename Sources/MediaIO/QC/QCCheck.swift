/// One check of a ``QCReport``: what was measured, what was expected, and whether it passed.
public struct QCCheck: Sendable, Hashable, Codable {
    /// Which property of the video a check looks at.
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Video codec, profile and pixel format.
        case videoFormat
        /// Width, height and aspect ratio.
        case resolution
        /// Frames per second.
        case frameRate
        /// Audio codec and sample rate.
        case audioFormat
        /// Video and audio durations agree.
        case avSync
        /// Integrated loudness near the target.
        case loudness
        /// True peak under the ceiling.
        case truePeak
        /// No long black stretch.
        case blackFrames
        /// No long frozen stretch.
        case frozenFrames
        /// Subtitles cover the speech and stay inside the video.
        case subtitles
        /// File size and bit rate within bounds.
        case size
    }

    /// Which property this check looks at.
    public var kind: Kind
    /// Whether the video passed.
    public var passed: Bool
    /// What was measured, in words ("1080×1920", "−14.2 LUFS").
    public var measured: String
    /// What was expected ("1080×1920", "−14 ± 1 LUFS").
    public var expected: String

    /// Creates a check result.
    public init(kind: Kind, passed: Bool, measured: String, expected: String) {
        self.kind = kind
        self.passed = passed
        self.measured = measured
        self.expected = expected
    }
}
