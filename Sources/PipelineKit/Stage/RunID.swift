import Foundation

/// The identifier of one run; it is how a run is resumed.
public struct RunID: Hashable, Sendable, Codable, CustomStringConvertible, ExpressibleByStringLiteral {
    /// The identifier's text.
    public let rawValue: String

    /// A fresh random identifier.
    public init() {
        self.rawValue = UUID().uuidString.lowercased()
    }

    /// An identifier chosen by the caller, for example a job id of the host application.
    public init(_ rawValue: String) {
        self.rawValue = rawValue
    }

    /// An identifier from a string literal.
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

    /// The identifier's text.
    public var description: String { rawValue }
}
