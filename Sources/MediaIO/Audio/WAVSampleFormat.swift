/// How samples are stored in a WAV file.
public enum WAVSampleFormat: Sendable, Hashable, CaseIterable {
    /// Unsigned 8-bit integers (read only for old files; written as well).
    case pcm8
    /// Signed 16-bit integers: CD quality, what most TTS engines produce.
    case pcm16
    /// Signed 24-bit integers, packed in 3 bytes.
    case pcm24
    /// Signed 32-bit integers.
    case pcm32
    /// IEEE 754 32-bit floats in [−1, 1].
    case float32

    /// Bits per sample in the file.
    public var bitsPerSample: Int {
        switch self {
        case .pcm8: 8
        case .pcm16: 16
        case .pcm24: 24
        case .pcm32, .float32: 32
        }
    }
}
