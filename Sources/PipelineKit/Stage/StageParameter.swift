public import StoryForgeCore

/// One parameter a stage reads from the `parameters` of its configuration, with its type and documented range.
///
/// A stage lists its parameters in ``PipelineStage/parameters``; the configuration is then checked against the
/// list before a run starts, so that `"width": 1e300` is an error naming `stages.keyframes.parameters.width`, not a
/// crash halfway through the run. Read the values back with ``StageParameters/number(_:)`` and
/// ``StageParameters/integer(_:)``, which apply the same checks.
///
/// ```swift
/// static let width = StageParameter.integer("width", in: 16...4096, unit: "pixels")
/// static let parameters: [StageParameter]? = [width, .string("style")]
/// // in run(_:context:)
/// let width = try context.configuration.integer(Self.width) ?? 540
/// ```
public struct StageParameter: Sendable, Hashable, CustomStringConvertible {
    private enum Kind: Hashable, Sendable {
        case number(ClosedRange<Double>)
        case integer(ClosedRange<Int>)
        case string(maxLength: Int)
        case bool
        case choice([String])
    }

    /// The key in the `parameters` object.
    public let name: String
    private let kind: Kind
    private let unit: String

    private init(name: String, kind: Kind, unit: String = "") {
        self.name = name
        self.kind = kind
        self.unit = unit
    }

    /// A finite number within `range`; `unit` (e.g. `"seconds"`) is named in error messages.
    public static func number(_ name: String, in range: ClosedRange<Double>, unit: String = "") -> Self {
        .init(name: name, kind: .number(range), unit: unit)
    }

    /// A whole number within `range` (`1.5`, `1e300` and `2^64` are errors, never truncated).
    public static func integer(_ name: String, in range: ClosedRange<Int>, unit: String = "") -> Self {
        .init(name: name, kind: .integer(range), unit: unit)
    }

    /// A string of at most `maxLength` characters (default 4,000: a long prompt, far below a size that hurts).
    public static func string(_ name: String, maxLength: Int = 4000) -> Self {
        .init(name: name, kind: .string(maxLength: maxLength))
    }

    /// `true` or `false`.
    public static func bool(_ name: String) -> Self {
        .init(name: name, kind: .bool)
    }

    /// One of the given strings.
    public static func oneOf(_ name: String, _ values: [String]) -> Self {
        .init(name: name, kind: .choice(values))
    }

    /// What the parameter accepts, e.g. `an integer in 16…4096 pixels`.
    public var expectation: String {
        let suffix = unit.isEmpty ? "" : " \(unit)"
        switch kind {
        case .number(let range):
            return "a number between \(Self.format(range.lowerBound)) and \(Self.format(range.upperBound))\(suffix)"
        case .integer(let range): return "an integer in \(range.lowerBound)…\(range.upperBound)\(suffix)"
        case .string(let maxLength): return "a string of at most \(maxLength) characters"
        case .bool: return "true or false"
        case .choice(let values): return "one of " + values.map { "\"\($0)\"" }.joined(separator: ", ")
        }
    }

    /// `name: expectation`.
    public var description: String { "\(name): \(expectation)" }

    /// What is wrong with `value` for this parameter, or `nil` when it is acceptable.
    public func problem(with value: JSONValue) -> String? {
        let expected = "must be \(expectation)"
        switch (kind, value) {
        case (.number(let range), .number(let number)):
            return number.isFinite && range.contains(number) ? nil : "\(expected), got \(Self.format(number))"
        case (.integer(let range), .number(let number)):
            guard let integer = Int(exactly: number), range.contains(integer) else {
                return "\(expected), got \(Self.format(number))"
            }
            return nil
        case (.string(let maxLength), .string(let text)):
            return text.count <= maxLength ? nil : "\(expected), got \(text.count)"
        case (.bool, .bool):
            return nil
        case (.choice(let values), .string(let text)):
            return values.contains(text) ? nil : "\(expected), got \"\(text.prefix(40))\""
        default:
            return "\(expected), got \(Self.describe(value))"
        }
    }

    /// `1e+300`, `0.5`, `4096`: whole numbers without a fraction, others as Swift prints them.
    static func format(_ value: Double) -> String {
        if let integer = Int(exactly: value) { return String(integer) }
        return String(value)
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool(let flag): return String(flag)
        case .number(let number): return format(number)
        case .string: return "a string"
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

extension StageParameters {
    /// The number for a declared parameter, or `nil` when it is absent.
    ///
    /// - Throws: ``PipelineError/Code/invalidConfiguration`` naming the parameter when the value is not a number in
    ///   the parameter's range (the runner checks this before a run; this guards direct calls).
    public func number(_ parameter: StageParameter) throws(PipelineError) -> Double? {
        guard let value = values[parameter.name] else { return nil }
        if let problem = parameter.problem(with: value) {
            throw PipelineError.invalidConfiguration("parameters.\(parameter.name): \(problem)")
        }
        guard case .number(let number) = value else { return nil }
        return number
    }

    /// The integer for a declared integer parameter, or `nil` when it is absent.
    ///
    /// - Throws: ``PipelineError/Code/invalidConfiguration`` naming the parameter when the value is not a whole
    ///   number in the parameter's range.
    public func integer(_ parameter: StageParameter) throws(PipelineError) -> Int? {
        guard let number = try number(parameter) else { return nil }
        guard let integer = Int(exactly: number) else {
            throw PipelineError.invalidConfiguration(
                "parameters.\(parameter.name): must be \(parameter.expectation), got \(StageParameter.format(number))")
        }
        return integer
    }

    /// The problems of these parameters against a stage's declared list: unknown keys and values out of range,
    /// with paths relative to the `parameters` object (`width`).
    public func issues(against declared: [StageParameter]) -> [ConfigurationIssue] {
        var issues: [ConfigurationIssue] = []
        let byName = Dictionary(declared.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        for (key, value) in values.sorted(by: { $0.key < $1.key }) {
            guard let parameter = byName[key] else {
                let known = declared.map(\.name).sorted()
                let list = known.isEmpty ? "the stage reads no parameters" : "known: " + known.joined(separator: ", ")
                issues.append(ConfigurationIssue(path: key, message: "unknown parameter (\(list))"))
                continue
            }
            if let problem = parameter.problem(with: value) {
                issues.append(ConfigurationIssue(path: key, message: problem))
            }
        }
        return issues
    }
}
