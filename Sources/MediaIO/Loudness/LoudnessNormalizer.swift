import Foundation

/// Brings audio to a loudness target with a true-peak ceiling, by a single gain.
///
/// The gain is `target − integrated`, lowered when the true peak would pass the ceiling, so the
/// result may end quieter than the target for very peaky audio (it is never limited or clipped).
///
/// ```swift
/// let (mastered, gain) = try LoudnessNormalizer().normalize(voice)  // −14 LUFS, −1 dBTP
/// ```
public struct LoudnessNormalizer: Sendable {
    /// The target and the ceiling.
    public struct Configuration: Sendable, Hashable {
        /// Integrated loudness to reach, LUFS. −14: the YouTube/TikTok/Spotify playback target.
        public var target: Double
        /// Highest allowed true peak, dBTP. −1: the EBU R128 / streaming-platform ceiling that
        /// leaves headroom for lossy encoders.
        public var truePeakCeiling: Double

        /// Creates a configuration; the defaults suit social video.
        public init(target: Double = -14, truePeakCeiling: Double = -1) {
            self.target = target
            self.truePeakCeiling = truePeakCeiling
        }
    }

    /// The target and ceiling in use.
    public var configuration: Configuration

    /// Creates a normaliser.
    public init(configuration: Configuration = .init()) {
        self.configuration = configuration
    }

    /// Returns the normalised audio and the gain applied in dB.
    /// - Throws: ``AudioError/invalidArgument`` when the audio is silent (no gain can reach a target).
    public func normalize(_ buffer: AudioBuffer) throws -> (audio: AudioBuffer, gain: Double) {
        let measured = try LoudnessMeter().measure(buffer)
        guard measured.integrated > -70, measured.truePeak.isFinite else {
            throw AudioError.invalidArgument("the audio is silent (below −70 LUFS); there is nothing to normalise")
        }
        var gain = configuration.target - measured.integrated
        if measured.truePeak + gain > configuration.truePeakCeiling {
            gain = configuration.truePeakCeiling - measured.truePeak
        }
        let scale = Float(pow(10, gain / 20))
        var out = buffer
        out.samples = buffer.samples.map { $0 * scale }
        return (out, gain)
    }
}
