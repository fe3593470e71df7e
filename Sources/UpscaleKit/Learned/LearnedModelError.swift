/// Why a learned super-resolution model could not be loaded or used.
///
/// ``Upscaler`` never throws these for ``Upscaler/Method/learned(_:)``: it falls back to Lanczos3 and
/// says why in ``UpscaleReport/fallback``. Loading a ``LearnedModel`` directly throws them.
/// Compare ``code`` to act on a kind (`error.code == .checksumMismatch`).
public struct LearnedModelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure; compare with `==` (`error.code == .missingWeights`). New codes may be added, so a
    /// `switch` over codes needs a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case missingWeights, checksumMismatch, malformedWeights, unsupportedFactor
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The weights file is not there or cannot be read.
        public static let missingWeights = Code(.missingWeights)
        /// The weights' SHA-256 differs from the expected one.
        public static let checksumMismatch = Code(.checksumMismatch)
        /// The weights file is not a model this version understands.
        public static let malformedWeights = Code(.malformedWeights)
        /// No model, nor a cascade of models, produces the requested factor.
        public static let unsupportedFactor = Code(.unsupportedFactor)

        /// The kind in words, e.g. `missing weights`.
        public var description: String {
            switch base {
            case .missingWeights: "missing weights"
            case .checksumMismatch: "weights checksum mismatch"
            case .malformedWeights: "malformed weights"
            case .unsupportedFactor: "unsupported factor"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong, in words a person can act on.
    public let message: String
    /// The error underneath, when there is one (not part of equality).
    public let underlying: (any Error)?

    private init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// The weights file (or the resource bundle holding it) is not there or cannot be read.
    public static func missingWeights(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.missingWeights, message, underlying: underlying)
    }
    /// The weights' SHA-256 differs from the expected one: a damaged or substituted file.
    public static func checksumMismatch(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.checksumMismatch, message, underlying: underlying)
    }
    /// The weights file is not a model this version understands (bad header, sizes or length).
    public static func malformedWeights(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.malformedWeights, message, underlying: underlying)
    }
    /// No model, nor a cascade of models, produces the requested factor.
    public static func unsupportedFactor(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.unsupportedFactor, message, underlying: underlying)
    }

    /// Errors are equal when they have the same ``code``, whatever their messages and underlying errors.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the ``code`` only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The kind of error and its message, e.g. `unsupported factor: no model for ×3`.
    public var description: String { "\(code): \(message)" }
}

extension UpscaleReport.Fallback {
    /// The fallback a learned upscale takes when `error` stops its model.
    init(_ error: LearnedModelError) {
        let reason: Reason =
            switch error.code {
            case .missingWeights: .missingWeights
            case .unsupportedFactor: .unsupportedFactor
            // Checksum mismatch, malformed weights, and any code added later: the weights cannot be used.
            default: .damagedWeights
            }
        self.init(reason: reason, message: error.message)
    }
}
