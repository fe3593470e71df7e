public import Foundation

/// Which weights the learned model uses (``Upscaler/LearnedConfiguration/weights``).
public enum LearnedWeights: Sendable, Hashable {
    /// The models shipped in UpscaleKit's resource bundle (×2 and ×4; ×8 by cascade).
    case bundled
    /// One SFSR weights file, checked against `sha256`; its factor (read from the file) and its
    /// powers (by cascade) are the factors it serves.
    case file(URL, sha256: String)
}
