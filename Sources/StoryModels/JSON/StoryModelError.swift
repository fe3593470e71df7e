/// An error from decoding or building a story model.
///
/// Decoding failures name the field that failed as a path into the JSON, in the JSON's own
/// snake_case spelling, e.g. `shots[2].duration: expected a number`.
public struct StoryModelError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case malformedJSON
        case missingField
        case wrongType
        case invalidValue
        case invalidLineage
    }

    private let code: Code

    /// The path of the failing field (`shots[2].duration`); empty for the document itself.
    public let path: String

    /// What went wrong at ``path``.
    public let message: String

    private init(code: Code, path: String, message: String) {
        self.code = code
        self.path = path
        self.message = message
    }

    /// The input is not JSON at all (or is truncated).
    public static func malformedJSON(_ detail: String) -> Self {
        .init(code: .malformedJSON, path: "", message: detail)
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

    /// `path: message`, or the message alone for the whole document.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}
