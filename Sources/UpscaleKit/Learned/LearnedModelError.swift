/// Why a learned super-resolution model could not be loaded or used.
///
/// ``Upscaler`` never throws these for ``Upscaler/Method/learned(_:)``: it falls back to Lanczos3 and
/// says why in ``UpscaleReport/fallback``. Loading a ``LearnedModel`` directly throws them.
public struct LearnedModelError: Error, Hashable, Sendable, CustomStringConvertible {
    fileprivate enum Code: Hashable, Sendable {
        case missingWeights
        case checksumMismatch
        case malformedWeights
        case unsupportedFactor
    }

    fileprivate let code: Code
    /// What went wrong, in words a person can act on.
    public let message: String

    private init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// The weights file (or the resource bundle holding it) is not there or cannot be read.
    public static func missingWeights(_ message: String) -> Self { Self(.missingWeights, message) }
    /// The weights' SHA-256 differs from the expected one: a damaged or substituted file.
    public static func checksumMismatch(_ message: String) -> Self { Self(.checksumMismatch, message) }
    /// The weights file is not a model this version understands (bad header, sizes or length).
    public static func malformedWeights(_ message: String) -> Self { Self(.malformedWeights, message) }
    /// No model, nor a cascade of models, produces the requested factor.
    public static func unsupportedFactor(_ message: String) -> Self { Self(.unsupportedFactor, message) }

    /// A missing-weights error, for pattern matching.
    public static let missingWeights = Self(.missingWeights, "")
    /// A checksum-mismatch error, for pattern matching.
    public static let checksumMismatch = Self(.checksumMismatch, "")
    /// A malformed-weights error, for pattern matching.
    public static let malformedWeights = Self(.malformedWeights, "")
    /// An unsupported-factor error, for pattern matching.
    public static let unsupportedFactor = Self(.unsupportedFactor, "")

    /// Errors are equal when they are of the same kind, whatever their messages.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the kind of error only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The kind of error and its message.
    public var description: String {
        switch code {
        case .missingWeights: "missing weights: \(message)"
        case .checksumMismatch: "weights checksum mismatch: \(message)"
        case .malformedWeights: "malformed weights: \(message)"
        case .unsupportedFactor: "unsupported factor: \(message)"
        }
    }
}

extension UpscaleReport.Fallback {
    /// The fallback a learned upscale takes when `error` stops its model.
    init(_ error: LearnedModelError) {
        let reason: Reason =
            switch error.code {
            case .missingWeights: .missingWeights
            case .checksumMismatch, .malformedWeights: .damagedWeights
            case .unsupportedFactor: .unsupportedFactor
            }
        self.init(reason: reason, message: error.message)
    }
}
