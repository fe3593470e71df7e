/// The stable name of a stage, used as its key in checkpoints, caches, logs and configuration files.
///
/// Choose an identifier once and keep it: renaming a stage orphans its cached results.
public struct StageID: Hashable, Sendable, Codable, Comparable, ExpressibleByStringLiteral, CustomStringConvertible {
    /// The identifier as written, for example `"voice"`.
    public let rawValue: String

    /// Creates an identifier from its string form.
    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// Creates an identifier from a string literal.
    public init(stringLiteral value: String) {
        self.rawValue = value
    }

    /// Decodes an identifier from a single JSON string.
    public init(from decoder: any Decoder) throws {
        self.rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Encodes the identifier as a single JSON string.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The identifier as written.
    public var description: String { rawValue }

    /// Orders identifiers by their string form.
    public static func < (lhs: StageID, rhs: StageID) -> Bool { lhs.rawValue < rhs.rawValue }
}
