package import Foundation
import Yams

/// YAML configuration text rewritten as the JSON text it stands for, so that a YAML file goes through the same strict
/// decoder as a JSON one: unknown keys, renamed keys, ranges and types are reported with the same paths.
///
/// Numbers are copied as written (`1e300` stays `1e300`, so the range checks see it as they would in JSON); the YAML
/// spellings that JSON has no number for (`.inf`, `.nan`, `0x1F`, `0o17`, `1_000`) are errors with their line and
/// column, as NaN is a syntax error in JSON. apple/swift-configuration's YAML provider is not used: it flattens a file
/// into dotted scalar keys, cannot hold an array of mappings (a router's `providers`), and has no way to list the
/// keys a file has, so an unknown or misspelt key could not be reported.
package enum ConfigurationYAML {
    /// 4 MiB, as ``maximumDepth`` below: anchors and aliases can make a small file stand for a huge document
    /// ("billion laughs"); the conversion stops there.
    package static let maximumJSONBytes = 4 << 20
    /// 64 levels: a configuration nests 5 deep at most; Yams composes a document recursively, so a file nested
    /// thousands of levels deep would exhaust the stack before any check ran.
    package static let maximumDepth = 64

    /// Whether `url` names a YAML file (`.yaml` or `.yml`, any case).
    package static func isYAML(_ url: URL) -> Bool {
        ["yaml", "yml"].contains(url.pathExtension.lowercased())
    }

    /// The JSON text `yaml` stands for, or an error with the line and column where the YAML is wrong.
    package static func json(fromYAML yaml: Data) throws(ConfigurationYAMLError) -> Data {
        guard let text = String(data: yaml, encoding: .utf8) else {
            throw ConfigurationYAMLError(line: nil, column: nil, message: "not UTF-8 text")
        }
        try checkDepth(text)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw ConfigurationYAMLError(error)
        } catch {
            throw ConfigurationYAMLError(line: nil, column: nil, message: "\(error)")
        }
        guard let root else { return Data("{}".utf8) }
        var writer = Writer()
        try writer.write(root, depth: 0)
        return Data(writer.output.utf8)
    }

    /// A bound on the nesting of `text`, checked before Yams composes it: each flow bracket still open, each column
    /// of indentation and each `- `, `? ` or `: ` indicator on a line opens at most one level, so their sum bounds the
    /// depth. Brackets inside quotes and comments are counted too: an over-count, never an under-count.
    private static func checkDepth(_ text: String) throws(ConfigurationYAMLError) {
        var flow = 0
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var indentation = 0
            var indicators = 0
            var atStart = true
            var previous: Character = " "
            for character in line {
                if atStart, character == " " {
                    indentation += 1
                    continue
                }
                atStart = false
                if character == "[" || character == "{" {
                    flow += 1
                } else if character == "]" || character == "}" {
                    flow = max(0, flow - 1)
                } else if character == " ", previous == "-" || previous == "?" || previous == ":" {
                    indicators += 1
                }
                previous = character
            }
            if previous == ":" || previous == "-" { indicators += 1 }
            if flow + indentation + indicators + 1 > maximumDepth {
                throw ConfigurationYAMLError(
                    line: index + 1, column: nil, message: "nested deeper than \(maximumDepth) levels")
            }
        }
    }

    private struct Writer {
        var output = ""

        mutating func write(_ node: Node, depth: Int) throws(ConfigurationYAMLError) {
            guard depth < ConfigurationYAML.maximumDepth else {
                throw .at(node.mark, "nested deeper than \(ConfigurationYAML.maximumDepth) levels")
            }
            guard output.utf8.count <= ConfigurationYAML.maximumJSONBytes else {
                throw .at(
                    node.mark,
                    "the document is larger than \(ConfigurationYAML.maximumJSONBytes) bytes once its aliases are "
                        + "expanded")
            }
            switch node {
            case .mapping(let mapping):
                output += "{"
                var seen: Set<String> = []
                for (index, pair) in mapping.enumerated() {
                    guard case .scalar(let key) = pair.key else {
                        throw .at(pair.key.mark, "a key must be a plain string")
                    }
                    guard seen.insert(key.string).inserted else {
                        throw .at(pair.key.mark, "\(key.string): duplicate key")
                    }
                    if index > 0 { output += "," }
                    output += Self.quoted(key.string) + ":"
                    try write(pair.value, depth: depth + 1)
                }
                output += "}"
            case .sequence(let sequence):
                output += "["
                for (index, element) in sequence.enumerated() {
                    if index > 0 { output += "," }
                    try write(element, depth: depth + 1)
                }
                output += "]"
            case .scalar(let scalar):
                // The node's tag is resolved (`7` is an int, `true` a bool); the scalar's own is as written.
                try write(scalar, tag: node.tag.description)
            case .alias(let alias):
                throw .at(alias.mark, "an alias (*name) is not supported in a configuration")
            }
        }

        private mutating func write(_ scalar: Node.Scalar, tag: String) throws(ConfigurationYAMLError) {
            let text = scalar.string
            // Tag's name is internal to Yams; its description is the tag ("tag:yaml.org,2002:int").
            switch tag {
            case Tag.Name.null.rawValue:
                output += "null"
            case Tag.Name.bool.rawValue:
                guard let value = Bool.construct(from: scalar) else { throw .at(scalar.mark, "\(text): not a boolean") }
                output += value ? "true" : "false"
            case Tag.Name.int.rawValue, Tag.Name.float.rawValue:
                let literal = text.hasPrefix("+") ? String(text.dropFirst()) : text
                guard Self.isJSONNumber(literal) else {
                    throw .at(
                        scalar.mark,
                        "\(text): not a number a configuration accepts (write it in decimal, e.g. 1000 or 1.5e3)")
                }
                // JSON has the syntax for 1e999 but no Double holds it: refused here, with where, as JSON refuses it.
                guard Double(literal)?.isFinite == true else {
                    throw .at(scalar.mark, "\(text): out of the range of a number")
                }
                output += literal
            default:
                output += Self.quoted(text)
            }
        }

        /// RFC 8259's number grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
        static func isJSONNumber(_ text: String) -> Bool {
            var bytes = Substring(text).utf8[...]
            func digits() -> Int {
                let count = bytes.prefix { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }.count
                bytes = bytes.dropFirst(count)
                return count
            }
            if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
            if bytes.first == UInt8(ascii: "0") {
                bytes = bytes.dropFirst()
            } else if digits() == 0 {
                return false
            }
            if bytes.first == UInt8(ascii: ".") {
                bytes = bytes.dropFirst()
                guard digits() > 0 else { return false }
            }
            if bytes.first == UInt8(ascii: "e") || bytes.first == UInt8(ascii: "E") {
                bytes = bytes.dropFirst()
                if bytes.first == UInt8(ascii: "+") || bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
                guard digits() > 0 else { return false }
            }
            return bytes.isEmpty
        }

        static func quoted(_ text: String) -> String {
            var result = "\""
            for scalar in text.unicodeScalars {
                switch scalar {
                case "\"": result += "\\\""
                case "\\": result += "\\\\"
                case "\n": result += "\\n"
                case "\r": result += "\\r"
                case "\t": result += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    result += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: result.unicodeScalars.append(scalar)
                }
            }
            return result + "\""
        }
    }
}

/// Why YAML text could not be read as a configuration: where (line and column from 1, when known) and what.
package struct ConfigurationYAMLError: Error, CustomStringConvertible {
    /// The line, from 1.
    package let line: Int?
    /// The column, from 1, in Unicode scalars.
    package let column: Int?
    /// What is wrong.
    package let message: String

    package init(line: Int?, column: Int?, message: String) {
        self.line = line
        self.column = column
        self.message = message
    }

    init(_ error: YamlError) {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            self.init(line: mark.line, column: mark.column, message: problem)
        case .duplicatedKeysInMapping(let duplicates, let context):
            self.init(
                line: context.mark.line, column: context.mark.column,
                message: "duplicate key \(duplicates.joined(separator: ", "))")
        default:
            self.init(line: nil, column: nil, message: "\(error)")
        }
    }

    static func at(_ mark: Mark?, _ message: String) -> Self {
        .init(line: mark?.line, column: mark?.column, message: message)
    }

    /// `line 3, column 12: found character that cannot start any token`.
    package var description: String {
        switch (line, column) {
        case (let line?, let column?): "line \(line), column \(column): \(message)"
        case (let line?, nil): "line \(line): \(message)"
        default: message
        }
    }
}
