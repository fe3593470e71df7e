public import Foundation

/// The JSON conventions of every story model: snake_case keys, ISO-8601 dates, sorted keys.
///
/// ```swift
/// let data = try StoryJSON.encoder().encode(shotlist)
/// let back = try StoryJSON.decode(Shotlist.self, from: data)  // throws StoryModelError
/// ```
public enum StoryJSON {
    /// The schema version written by this release into every top-level document.
    ///
    /// Bumped only when a field changes meaning or is removed; added optional fields keep it.
    public static let schemaVersion = 1

    /// An encoder writing snake_case keys, ISO-8601 dates and sorted keys, pretty-printed.
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return encoder
    }

    /// A decoder reading snake_case keys and ISO-8601 dates.
    public static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }

    /// Encodes a value with ``encoder()``.
    public static func encode(_ value: some Encodable) throws -> Data {
        try encoder().encode(value)
    }

    /// Decodes a value with ``decoder()``, turning any `DecodingError` into a ``StoryModelError``
    /// that names the failing field's path.
    public static func decode<Value: Decodable>(_ type: Value.Type, from data: Data) throws(StoryModelError) -> Value {
        do {
            return try decoder().decode(type, from: data)
        } catch let error as DecodingError {
            throw StoryModelError(error)
        } catch let error as StoryModelError {
            throw error
        } catch {
            throw .malformedJSON(String(describing: error))
        }
    }
}

extension StoryModelError {
    /// Renders a `DecodingError` with its coding path, e.g. `shots[2].duration: expected a number`.
    init(_ error: DecodingError) {
        switch error {
        case .typeMismatch(let type, let context):
            self = .wrongType(at: Self.render(context.codingPath), "expected \(Self.describe(type))")
        case .valueNotFound(let type, let context):
            self = .missingField(at: Self.render(context.codingPath), "expected \(Self.describe(type)), found null")
        case .keyNotFound(let key, let context):
            self = .missingField(at: Self.render(context.codingPath + [key]))
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                self = .malformedJSON("not valid JSON: \(context.debugDescription)")
            } else {
                self = .invalidValue(at: Self.render(context.codingPath), context.debugDescription)
            }
        @unknown default:
            self = .malformedJSON(String(describing: error))
        }
    }

    /// `[shots, 2, duration]` → `shots[2].duration`, keys in the JSON's snake_case.
    static func render(_ path: [any CodingKey]) -> String {
        var rendered = ""
        for key in path {
            if let index = key.intValue {
                rendered += "[\(index)]"
            } else {
                if !rendered.isEmpty { rendered += "." }
                rendered += snakeCase(key.stringValue)
            }
        }
        return rendered
    }

    /// The same conversion as `JSONEncoder.KeyEncodingStrategy.convertToSnakeCase` for the
    /// lower-camel-case names the models use.
    static func snakeCase(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                if !result.isEmpty { result += "_" }
                result += character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Double.Type, is Float.Type, is Int.Type, is Int64.Type, is UInt64.Type, is UInt32.Type,
            is Int32.Type, is UInt.Type:
            return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") || name.hasPrefix("[") && !name.contains(":") { return "an array" }
            if name.hasPrefix("Dictionary") || name.contains(":") { return "an object" }
            return name
        }
    }
}
