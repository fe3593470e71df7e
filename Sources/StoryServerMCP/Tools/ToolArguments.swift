import Foundation
import MCP
import StoryForgeCore
import StoryServer

/// A tool's arguments, read as strictly as the REST API decodes its JSON: an argument the tool does not take, one of
/// the wrong type, or a missing required one is a ``StoryServerError/invalidRequest(_:)`` that names it, never a
/// crash. `null` counts as absent, as it does for the REST API's optional fields.
struct ToolArguments {
    let tool: String
    private let values: [String: Value]

    /// Checks that every argument is one of `allowed`.
    init(tool: String, arguments: [String: Value]?, allowed: [String]) throws(StoryServerError) {
        self.tool = tool
        self.values = arguments ?? [:]
        let unknown = values.keys.filter { !allowed.contains($0) }.sorted()
        if let first = unknown.first {
            let takes = allowed.isEmpty ? "no arguments" : allowed.map { "`\($0)`" }.joined(separator: ", ")
            throw .invalidRequest("unknown argument `\(first)`: \(tool) takes \(takes)")
        }
    }

    /// A string argument.
    ///
    /// The SDK's `Value` decodes a JSON string that reads as a data URL (`data:<type>,<text>`, RFC 2397) as `.data`;
    /// its text comes back as `data:<type>,<text>`, which is the string that was sent unless it held a percent
    /// escape (the SDK decoded it) or named no type (the SDK says `text/plain`). Binary data is refused.
    func string(_ name: String) throws(StoryServerError) -> String? {
        guard let value = present(name) else { return nil }
        switch value {
        case .string(let text): return text
        case .data(let mimeType, let data):
            guard let text = String(validating: data, as: UTF8.self) else {
                throw .invalidRequest("argument `\(name)` must be text, not a data URL of binary data")
            }
            return "data:\(mimeType ?? "text/plain"),\(text)"
        default: throw wrongType(name, "a string", value)
        }
    }

    /// A required string argument.
    func requiredString(_ name: String) throws(StoryServerError) -> String {
        guard let text = try string(name) else { throw .invalidRequest("missing argument `\(name)` (a string)") }
        return text
    }

    /// An integer argument: a JSON integer, or a number with no fraction that fits in `Int` (`1e3`); never a
    /// truncated `Int(someDouble)`.
    func integer(_ name: String) throws(StoryServerError) -> Int? {
        guard let value = present(name) else { return nil }
        switch value {
        case .int(let number): return number
        case .double(let number):
            guard number.isFinite, let exact = Int(exactly: number) else {
                throw .invalidRequest("argument `\(name)` must be an integer (\(Int.min)...\(Int.max)), not \(number)")
            }
            return exact
        default: throw wrongType(name, "an integer", value)
        }
    }

    /// A number argument, finite.
    func number(_ name: String) throws(StoryServerError) -> Double? {
        guard let value = present(name) else { return nil }
        switch value {
        case .int(let number): return Double(number)
        case .double(let number):
            guard number.isFinite else { throw .invalidRequest("argument `\(name)` must be a finite number") }
            return number
        default: throw wrongType(name, "a number", value)
        }
    }

    /// An object argument, as StoryForge's `JSONValue` members.
    func object(_ name: String) throws(StoryServerError) -> [String: JSONValue]? {
        guard let value = present(name) else { return nil }
        guard case .object = value else { throw wrongType(name, "an object", value) }
        // Value → JSON → JSONValue: the configuration's own decoder, so numbers and data URLs come out as a file's.
        do {
            return try JSONDecoder().decode([String: JSONValue].self, from: JSONEncoder().encode(value))
        } catch {
            throw .invalidRequest("argument `\(name)` is not a JSON object")
        }
    }

    private func present(_ name: String) -> Value? {
        guard let value = values[name], value != .null else { return nil }
        return value
    }

    private func wrongType(_ name: String, _ expected: String, _ value: Value) -> StoryServerError {
        .invalidRequest("argument `\(name)` must be \(expected), not \(Self.kind(of: value))")
    }

    private static func kind(of value: Value) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string, .data: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
