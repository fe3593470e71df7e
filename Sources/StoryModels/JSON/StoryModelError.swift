/// An error from decoding or building a story model.
///
/// Decoding failures name the field that failed as a path into the JSON, in the JSON's own
/// snake_case spelling, e.g. `shots[2].duration: expected a number`.
public struct StoryModelError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure; compare with `==` (`error.code == .wrongType`). New codes may be added, so a `switch`
    /// over codes needs a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case malformedJSON, missingField, wrongType, invalidValue, invalidLineage
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The input is not JSON at all (or is truncated).
        public static let malformedJSON = Code(.malformedJSON)
        /// A required field is absent or `null`.
        public static let missingField = Code(.missingField)
        /// A field holds a value of the wrong JSON type.
        public static let wrongType = Code(.wrongType)
        /// A field has the right type but a value outside its domain.
        public static let invalidValue = Code(.invalidValue)
        /// A script version names a source that cannot precede it.
        public static let invalidLineage = Code(.invalidLineage)

        /// The code's name, e.g. `wrongType`.
        public var description: String { base.rawValue }
    }

    /// The kind of failure.
    public let code: Code

    /// The path of the failing field (`shots[2].duration`); empty for the document itself.
    public let path: String

    /// What went wrong at ``path``.
    public let message: String

    /// The error underneath (the JSON parser's own), when there is one; never compared.
    public let underlying: (any Error)?

    private init(code: Code, path: String, message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.path = path
        self.message = message
        self.underlying = underlying
    }

    /// The input is not JSON at all (or is truncated).
    public static func malformedJSON(_ detail: String, underlying: (any Error)? = nil) -> Self {
        .init(code: .malformedJSON, path: "", message: detail, underlying: underlying)
    }

    /// A required field is absent or `null`.
    public static func missingField(at path: String, _ detail: String = "missing") -> Self {
        .init(code: .missingField, path: path, message: detail)
    }

    /// A field holds a value of the wrong JSON type.
    public static func wrongType(at path: String, _ detail: String) -> Self {
        .init(code: .wrongType, path: path, message: detail)
    }

    /// A field has the right type but a value outside its domain.
    public static func invalidValue(at path: String, _ detail: String) -> Self {
        .init(code: .invalidValue, path: path, message: detail)
    }

    /// A script version names a source that cannot precede it.
    public static func invalidLineage(_ detail: String) -> Self {
        .init(code: .invalidLineage, path: "versions", message: detail)
    }

    /// Whether this is a ``missingField(at:_:)`` error.
    public var isMissingField: Bool { code == .missingField }

    /// Whether this is a ``wrongType(at:_:)`` error.
    public var isWrongType: Bool { code == .wrongType }

    /// Whether this is an ``invalidValue(at:_:)`` error.
    public var isInvalidValue: Bool { code == .invalidValue }

    /// Whether this is a ``malformedJSON(_:)`` error.
    public var isMalformedJSON: Bool { code == .malformedJSON }

    /// Whether this is an ``invalidLineage(_:)`` error.
    public var isInvalidLineage: Bool { code == .invalidLineage }

    /// Errors are equal when they have the same ``code``, whatever their paths, messages and underlying errors.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the ``code`` only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// `path: message`, or the message alone for the whole document.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}
