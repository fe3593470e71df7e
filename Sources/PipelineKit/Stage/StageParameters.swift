import Foundation
public import StoryForgeCore

/// The free parameters of one stage, from the `parameters` object of its configuration.
///
/// They are part of the stage's cache key: changing one reruns the stage.
public struct StageParameters: Hashable, Sendable, Codable {
    /// The parameters by name.
    public var values: [String: JSONValue]

    /// Creates parameters from a dictionary.
    public init(_ values: [String: JSONValue] = [:]) {
        self.values = values
    }

    /// Decodes parameters from a JSON object.
    public init(from decoder: any Decoder) throws {
        self.values = try decoder.singleValueContainer().decode([String: JSONValue].self)
    }

    /// Encodes the parameters as a JSON object.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }

    /// The value for `key`, if any.
    public subscript(key: String) -> JSONValue? { values[key] }

    /// The string for `key`, if it is one.
    public func string(_ key: String) -> String? {
        if case .string(let value) = values[key] { return value }
        return nil
    }

    /// The number for `key`, if it is one.
    public func number(_ key: String) -> Double? {
        if case .number(let value) = values[key] { return value }
        return nil
    }

    /// The boolean for `key`, if it is one.
    public func bool(_ key: String) -> Bool? {
        if case .bool(let value) = values[key] { return value }
        return nil
    }

    /// Decodes all parameters as a `Decodable` type of the stage's own, for typed access.
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(values))
    }
}
