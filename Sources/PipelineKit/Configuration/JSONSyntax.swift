package import Foundation

/// Where a JSON document first breaks the grammar, as a person editing the file needs it: line, column and the
/// path of the value being read.
///
/// Foundation on Linux says only "The data is not in the correct format" (or "around character 17"); configuration
/// readers check the text with ``JSONSyntax/firstError(in:)`` first and report this instead.
package struct JSONSyntaxError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The line, from 1.
    package let line: Int
    /// The column in characters (Unicode scalars), from 1.
    package let column: Int
    /// The dotted path of the value being read (`stages.voice.timeout`, `shots[2]`); empty at the top level.
    package let path: String
    /// What is wrong, e.g. `expected a value, found '}'`.
    package let message: String

    /// `line 3, column 12: expected a value, found '}'`, without the path.
    package var located: String { "line \(line), column \(column): \(message)" }

    /// `stages.voice.timeout: line 3, column 12: expected a value, found '}'`.
    package var description: String { path.isEmpty ? located : "\(path): \(located)" }
}

/// A strict check of JSON text (RFC 8259), reporting the first error with its line, column and path.
package enum JSONSyntax {
    /// The deepest nesting accepted; configuration files need a handful of levels, and the limit keeps a hostile
    /// file of a million `[` from exhausting the stack.
    package static let maximumDepth = 128

    /// The first error in `data`, or `nil` when it is one well-formed JSON value whose numbers all fit a `Double`
    /// and whose objects have no duplicate keys.
    ///
    /// A trailing comma before `}` or `]` is accepted, as Foundation's parser accepts it.
    package static func firstError(in data: Data) -> JSONSyntaxError? {
        var scanner = Scanner(bytes: [UInt8](data))
        do {
            try scanner.document()
            return nil
        } catch {
            return error
        }
    }
}

private enum PathComponent {
    case key(String)
    case index(Int)
}

private struct Scanner {
    let bytes: [UInt8]
    var index = 0
    var line = 1
    var column = 1

    init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    mutating func document() throws(JSONSyntaxError) {
        // A UTF-8 byte order mark, as some editors write it.
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { index = 3 }
        try value(path: [], depth: 0)
        skipWhitespace()
        if index < bytes.count {
            throw error("unexpected text after the end of the JSON value, found \(found)", path: [])
        }
    }

    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    var found: String {
        guard let byte = current else { return "the end of the file" }
        if byte == UInt8(ascii: "'") { return "\"'\"" }
        if (0x21...0x7E).contains(byte) { return "'\(Character(Unicode.Scalar(byte)))'" }
        if byte == 0x0A || byte == 0x0D { return "the end of the line" }
        if byte < 0x20 || byte == 0x7F { return "a control character" }
        if byte == 0x20 { return "a space" }
        return "a non-ASCII character"
    }

    mutating func advance() {
        guard let byte = current else { return }
        index += 1
        if byte == 0x0A {
            line += 1
            column = 1
        } else if byte & 0xC0 != 0x80 {
            // Continuation bytes of a UTF-8 sequence belong to the character already counted.
            column += 1
        }
    }

    mutating func skipWhitespace() {
        while let byte = current, byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D {
            advance()
        }
    }

    func error(_ message: String, path: [PathComponent]) -> JSONSyntaxError {
        JSONSyntaxError(line: line, column: column, path: Self.render(path), message: message)
    }

    static func render(_ path: [PathComponent]) -> String {
        var result = ""
        for component in path {
            switch component {
            case .key(let key): result += result.isEmpty ? key : ".\(key)"
            case .index(let index): result += "[\(index)]"
            }
        }
        return result
    }

    mutating func value(path: [PathComponent], depth: Int) throws(JSONSyntaxError) {
        skipWhitespace()
        guard let byte = current else { throw error("expected a value, found the end of the file", path: path) }
        switch byte {
        case UInt8(ascii: "{"): try object(path: path, depth: depth + 1)
        case UInt8(ascii: "["): try array(path: path, depth: depth + 1)
        case UInt8(ascii: "\""): _ = try string(path: path)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): try number(path: path)
        case UInt8(ascii: "t"): try literal("true", path: path)
        case UInt8(ascii: "f"): try literal("false", path: path)
        case UInt8(ascii: "n"): try literal("null", path: path)
        default:
            let hint = byte == UInt8(ascii: "'") ? " (strings take double quotes)" : ""
            throw error("expected a value, found \(found)\(hint)", path: path)
        }
    }

    mutating func object(path: [PathComponent], depth: Int) throws(JSONSyntaxError) {
        guard depth <= JSONSyntax.maximumDepth else {
            throw error("nested deeper than \(JSONSyntax.maximumDepth) levels", path: path)
        }
        advance()
        var keys: Set<String> = []
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            advance()
            return
        }
        while true {
            skipWhitespace()
            guard current == UInt8(ascii: "\"") else {
                throw error("expected a key in double quotes, found \(found)", path: path)
            }
            let keyLine = line
            let keyColumn = column
            let key = try string(path: path)
            guard keys.insert(key).inserted else {
                throw JSONSyntaxError(
                    line: keyLine, column: keyColumn, path: Self.render(path + [.key(key)]),
                    message: "duplicate key \"\(key)\"")
            }
            skipWhitespace()
            guard current == UInt8(ascii: ":") else {
                throw error("expected ':' after the key \"\(key)\", found \(found)", path: path + [.key(key)])
            }
            advance()
            try value(path: path + [.key(key)], depth: depth)
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                advance()
                skipWhitespace()
                if current == UInt8(ascii: "}") {
                    advance()
                    return
                }
            } else if current == UInt8(ascii: "}") {
                advance()
                return
            } else {
                throw error(
                    "expected ',' or '}' after the value of \"\(key)\", found \(found)", path: path + [.key(key)])
            }
        }
    }

    mutating func array(path: [PathComponent], depth: Int) throws(JSONSyntaxError) {
        guard depth <= JSONSyntax.maximumDepth else {
            throw error("nested deeper than \(JSONSyntax.maximumDepth) levels", path: path)
        }
        advance()
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            advance()
            return
        }
        var element = 0
        while true {
            try value(path: path + [.index(element)], depth: depth)
            skipWhitespace()
            if current == UInt8(ascii: ",") {
                advance()
                skipWhitespace()
                if current == UInt8(ascii: "]") {
                    advance()
                    return
                }
                element += 1
            } else if current == UInt8(ascii: "]") {
                advance()
                return
            } else {
                throw error("expected ',' or ']' after an element, found \(found)", path: path + [.index(element)])
            }
        }
    }

    /// Reads a string and returns its text (escapes decoded), for keys.
    mutating func string(path: [PathComponent]) throws(JSONSyntaxError) -> String {
        advance()
        var text: [UInt8] = []
        while true {
            guard let byte = current else {
                throw error("the string is not closed: expected '\"', found the end of the file", path: path)
            }
            switch byte {
            case UInt8(ascii: "\""):
                advance()
                return String(decoding: text, as: UTF8.self)
            case UInt8(ascii: "\\"):
                advance()
                guard let escaped = current else {
                    throw error("the string is not closed: expected '\"', found the end of the file", path: path)
                }
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"):
                    text.append(escaped)
                    advance()
                case UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                    text.append(UInt8(ascii: " "))
                    advance()
                case UInt8(ascii: "u"):
                    advance()
                    var scalar: UInt32 = 0
                    for _ in 0..<4 {
                        guard let digit = current, let value = Self.hexValue(digit) else {
                            throw error("\\u must be followed by four hexadecimal digits, found \(found)", path: path)
                        }
                        scalar = scalar << 4 | value
                        advance()
                    }
                    // Surrogate halves stand for themselves here: the text is only used to name a key.
                    text += Array(String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
                default:
                    throw error("unknown escape '\\\(Character(Unicode.Scalar(escaped)))' in a string", path: path)
                }
            case 0x00..<0x20:
                throw error(
                    "a string cannot hold \(found): write it as an escape (\\n, \\t) or close the string", path: path)
            default:
                text.append(byte)
                advance()
            }
        }
    }

    static func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    mutating func digits(path: [PathComponent]) throws(JSONSyntaxError) {
        guard let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else {
            throw error("expected a digit in the number, found \(found)", path: path)
        }
        while let byte = current, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) { advance() }
    }

    mutating func number(path: [PathComponent]) throws(JSONSyntaxError) {
        let start = index
        let startLine = line
        let startColumn = column
        if current == UInt8(ascii: "-") { advance() }
        if current == UInt8(ascii: "0") {
            advance()
        } else {
            try digits(path: path)
        }
        if current == UInt8(ascii: ".") {
            advance()
            try digits(path: path)
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            advance()
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { advance() }
            try digits(path: path)
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else {
            let shown = text.count > 40 ? "\(text.prefix(20))… (\(text.count) characters)" : text
            throw JSONSyntaxError(
                line: startLine, column: startColumn, path: Self.render(path),
                message: "the number \(shown) is out of range (beyond ±1.8e308, the largest double)")
        }
    }

    mutating func literal(_ word: String, path: [PathComponent]) throws(JSONSyntaxError) {
        for expected in word.utf8 {
            guard current == expected else {
                throw error("expected a value (\(word)?), found \(found)", path: path)
            }
            advance()
        }
    }
}
