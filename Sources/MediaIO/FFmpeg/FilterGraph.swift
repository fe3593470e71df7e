/// A filter graph for `-filter_complex`, built from typed parts and escaped at both levels ffmpeg
/// parses: option values (`\`, `'`, `:`) and the graph description (`\`, `'`, `[`, `]`, `,`, `;`).
/// File names and text with any of those, `%` or non-ASCII characters go through intact.
///
/// ```swift
/// var graph = FilterGraph()
/// graph.chain(["0:v"], [Filter("scale", ["w": "1080", "h": "-2"]), Filter("subtitles", ["filename": path])], ["v"])
/// arguments += ["-filter_complex", graph.description, "-map", "[v]"]
/// ```
public struct FilterGraph: Sendable, Hashable, CustomStringConvertible {
    private var chains: [String] = []

    /// An empty graph.
    public init() {}

    /// Appends a chain: input pads, filters applied in order, output pads. Pad names are labels such
    /// as `0:v` or `voice` (letters, digits, `_`, `:` and `.` only).
    public mutating func chain(_ inputs: [String], _ filters: [Filter], _ outputs: [String]) {
        let chain =
            inputs.map { "[\($0)]" }.joined() + filters.map(\.description).joined(separator: ",")
            + outputs.map { "[\($0)]" }.joined()
        chains.append(chain)
    }

    /// Whether the graph has no chains.
    public var isEmpty: Bool { chains.isEmpty }

    /// The `-filter_complex` string.
    public var description: String { chains.joined(separator: ";") }

    /// Escapes a value for a filter option (first level): `\`, `'` and `:` get a backslash.
    public static func escapeOption(_ value: String) -> String {
        var out = ""
        for character in value {
            if character == "\\" || character == "'" || character == ":" { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// Escapes a filter description for the graph (second level): `\`, `'`, `[`, `]`, `,` and `;`
    /// get a backslash.
    public static func escapeGraph(_ value: String) -> String {
        var out = ""
        for character in value {
            if "\\'[],;".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}

/// One filter with named options, e.g. `Filter("scale", ["w": "1080", "h": "1920"])`.
public struct Filter: Sendable, Hashable, CustomStringConvertible {
    /// The filter's name (`scale`, `xfade`, `subtitles`).
    public var name: String
    /// Options in order; a nil key passes the value positionally.
    public var options: [(key: String?, value: String)] {
        get { zip(keys, values).map { ($0, $1) } }
        set {
            keys = newValue.map(\.key)
            values = newValue.map(\.value)
        }
    }
    private var keys: [String?]
    private var values: [String]

    /// A filter with options in the order given.
    public init(_ name: String, _ options: KeyValuePairs<String, String> = [:]) {
        self.name = name
        keys = options.map(\.key)
        values = options.map(\.value)
    }

    /// A filter with positional values (`Filter("setsar", positional: ["1"])`).
    public init(_ name: String, positional: [String]) {
        self.name = name
        keys = positional.map { _ in nil }
        values = positional
    }

    /// Compares name and options.
    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.name == rhs.name && lhs.keys == rhs.keys && lhs.values == rhs.values
    }

    /// Hashes name and options.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(name)
        hasher.combine(keys)
        hasher.combine(values)
    }

    /// The filter escaped for a graph: `name=key=value:key=value`.
    public var description: String {
        let arguments = zip(keys, values).map { key, value in
            (key.map { "\($0)=" } ?? "") + FilterGraph.escapeOption(value)
        }
        let body = arguments.isEmpty ? name : name + "=" + arguments.joined(separator: ":")
        return FilterGraph.escapeGraph(body)
    }
}
