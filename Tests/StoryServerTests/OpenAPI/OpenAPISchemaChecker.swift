import Foundation

/// Checks JSON values against the schemas of an OpenAPI 3.1 document: the subset of JSON Schema the document uses
/// (`type` and type lists, `required`, `properties`, `additionalProperties: false`, `enum`, `items`, `$ref`,
/// `oneOf`, `minimum`/`maximum`). Returns what does not conform, as paths and reasons; empty is conforming.
struct OpenAPISchemaChecker {
    let document: [String: Any]

    init(json: String) throws {
        guard let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else {
            throw CheckerError("the document is not a JSON object")
        }
        document = object
    }

    struct CheckerError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// The object at a `#/a/b/c` reference, or `nil`.
    func resolve(_ reference: String) -> [String: Any]? {
        guard reference.hasPrefix("#/") else { return nil }
        var node: Any = document
        for key in reference.dropFirst(2).split(separator: "/") {
            guard let object = node as? [String: Any], let next = object[String(key)] else { return nil }
            node = next
        }
        return node as? [String: Any]
    }

    /// Every `$ref` in the document, with where it is.
    func references() -> [String] {
        var found: [String] = []
        func walk(_ node: Any) {
            if let object = node as? [String: Any] {
                if let reference = object["$ref"] as? String { found.append(reference) }
                object.values.forEach(walk)
            } else if let array = node as? [Any] {
                array.forEach(walk)
            }
        }
        walk(document)
        return found
    }

    /// The schema of a component by name.
    func schema(_ name: String) -> [String: Any]? { resolve("#/components/schemas/\(name)") }

    /// What in `value` (parsed JSON) breaks `schema`.
    func problems(_ value: Any, against schema: [String: Any], at path: String = "$") -> [String] {
        if let reference = schema["$ref"] as? String {
            guard let target = resolve(reference) else { return ["\(path): unresolved \(reference)"] }
            return problems(value, against: target, at: path)
        }
        if let choices = schema["oneOf"] as? [[String: Any]] {
            let matching = choices.filter { problems(value, against: $0, at: path).isEmpty }
            return matching.count == 1 ? [] : ["\(path): matches \(matching.count) of oneOf's \(choices.count)"]
        }
        var found: [String] = []
        if let types = (schema["type"] as? [String]) ?? (schema["type"] as? String).map({ [$0] }) {
            guard types.contains(where: { Self.has(value, type: $0) }) else {
                return ["\(path): \(Self.typeName(value)) is not \(types.joined(separator: " or "))"]
            }
        }
        if let options = schema["enum"] as? [Any] {
            if !options.contains(where: { "\($0)" == "\(value)" }) { found.append("\(path): \(value) not in enum") }
        }
        if let number = value as? NSNumber {
            if let minimum = schema["minimum"] as? Double, number.doubleValue < minimum {
                found.append("\(path): \(number) < \(minimum)")
            }
            if let maximum = schema["maximum"] as? Double, number.doubleValue > maximum {
                found.append("\(path): \(number) > \(maximum)")
            }
        }
        if let object = value as? [String: Any] {
            let properties = schema["properties"] as? [String: [String: Any]] ?? [:]
            for key in schema["required"] as? [String] ?? [] where object[key] == nil {
                found.append("\(path): required \(key) missing")
            }
            for (key, item) in object {
                if let property = properties[key] {
                    found += problems(item, against: property, at: "\(path).\(key)")
                } else if schema["additionalProperties"] as? Bool == false {
                    found.append("\(path): \(key) is not a property")
                }
            }
        }
        if let array = value as? [Any], let items = schema["items"] as? [String: Any] {
            for (index, item) in array.enumerated() { found += problems(item, against: items, at: "\(path)[\(index)]") }
        }
        return found
    }

    /// What in a JSON text breaks the named component schema.
    func problems(json: Data, against name: String) throws -> [String] {
        guard let schema = schema(name) else { return ["no schema \(name)"] }
        return problems(try JSONSerialization.jsonObject(with: json, options: [.fragmentsAllowed]), against: schema)
    }

    private static func has(_ value: Any, type: String) -> Bool {
        switch type {
        case "null": return value is NSNull
        case "object": return value is [String: Any]
        case "array": return value is [Any]
        case "string": return value is String
        // The document has no boolean fields, so a number is never taken for one (Foundation boxes both alike).
        case "boolean": return value is Bool
        case "integer":
            guard let number = value as? NSNumber else { return false }
            return number.doubleValue.rounded() == number.doubleValue
        case "number": return value is NSNumber
        default: return false
        }
    }

    private static func typeName(_ value: Any) -> String {
        if value is NSNull { return "null" }
        if value is [String: Any] { return "object" }
        if value is [Any] { return "array" }
        if value is String { return "string" }
        return "number \(value)"
    }
}
