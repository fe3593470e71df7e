import Foundation

extension AudioBuffer {
    /// The audio with silence removed at both ends.
    ///
    /// A frame is silent when every channel is at or below `threshold` (dBFS, peak). `padding`
    /// seconds of the original audio are kept before the first and after the last loud frame, so
    /// consonants and breaths are not clipped. Audio that is silent throughout becomes empty.
    ///
    /// - Parameters:
    ///   - threshold: the level in dBFS at or below which a frame counts as silent (default −50).
    ///   - padding: seconds kept on each side of the sound (default 0.05).
    public func trimmingSilence(threshold: Double = -50, padding: Double = 0.05) -> AudioBuffer {
        frames(soundRange(threshold: threshold, padding: padding) ?? 0..<0)
    }

    /// The frames that ``trimmingSilence(threshold:padding:)`` keeps, or `nil` when the audio is silent
    /// throughout; its lower bound tells how much was cut from the start (to shift timings by).
    public func soundRange(threshold: Double = -50, padding: Double = 0.05) -> Range<Int>? {
        let limit = Float(pow(10, threshold / 20))
        let frames = frameCount
        let channels = channelCount
        func loud(_ frame: Int) -> Bool {
            for channel in 0..<channels where abs(samples[frame * channels + channel]) > limit { return true }
            return false
        }
        guard let first = (0..<frames).first(where: loud), let last = (0..<frames).reversed().first(where: loud)
        else { return nil }
        // Padding past the whole audio is the whole audio (and a NaN or huge one cannot trap Int(_:)).
        let pad = padding.isNaN ? 0 : Int(min(max(0, padding) * Double(sampleRate), Double(frames)).rounded())
        return max(0, first - pad)..<min(frames, last + 1 + pad)
    }
}
