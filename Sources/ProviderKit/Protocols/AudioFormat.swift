/// An encoded audio format.
public enum AudioFormat: String, Sendable, Hashable, Codable, CaseIterable {
    /// RIFF WAVE, 16-bit PCM.
    case wav
    /// MPEG-1 Layer III.
    case mp3
    /// Raw 16-bit little-endian PCM, mono.
    case pcm
    /// Opus in Ogg.
    case opus
    /// FLAC.
    case flac
    /// AAC in ADTS.
    case aac
}
