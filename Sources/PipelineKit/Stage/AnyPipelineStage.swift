import Foundation

/// A type-erased stage, as a ``Pipeline`` holds its steps (like GRDB's `AnyDatabaseWriter`).
///
/// The typed composition happens in ``PipelineBuilder``; once checked, the steps are stored erased so the runner can
/// walk, checkpoint and resume them without knowing their types.
public struct AnyPipelineStage: Sendable, CustomStringConvertible {
    /// The stage's identifier.
    public let id: StageID
    /// The stage's version.
    public let version: Int
    /// The policies the runner applies (for a fan-out: to each child).
    public internal(set) var options: StageOptions
    /// For a fan-out (``ForEach``), the most children in flight at once; `nil` for a single stage.
    public var maxConcurrency: Int? { fanOut?.maxConcurrency }
    /// Whether the stage can be skipped by configuration or survive a failure with `continueOnError`:
    /// it has a fallback output (the identity when `Input == Output`, or one given with `.fallback(_:)`).
    public var hasFallback: Bool { unit.fallback != nil || stageFallback != nil }

    /// The parameters the stage declares (``PipelineStage/parameters``); `nil` when undeclared.
    public let declaredParameters: [StageParameter]?
    /// The stage's own checks across parameters (``PipelineStage/parameterIssues(_:)``).
    let crossParameterIssues: @Sendable (StageParameters) -> [ConfigurationIssue]

    /// How one unit of work (a single stage, or one child of a fan-out) is encoded and run.
    var unit: StageUnit
    /// The shape of a fan-out; `nil` for a single stage.
    let fanOut: FanOutShape?
    /// A fallback for the whole stage's input, set by `.fallback(_:)` on a fan-out (whose `unit` is the child's).
    var stageFallback: (@Sendable (any Sendable) throws -> any Sendable)?

    /// Erases a stage.
    public init<S: PipelineStage>(_ stage: S) {
        if let erasable = stage as? any ErasableStage {
            self = erasable.makeErased()
        } else {
            self.init(
                id: S.id, version: S.version, options: stage.options, unit: StageUnit(stage), fanOut: nil,
                declaredParameters: S.parameters, crossParameterIssues: { S.parameterIssues($0) })
        }
    }

    init(
        id: StageID, version: Int, options: StageOptions, unit: StageUnit, fanOut: FanOutShape?,
        declaredParameters: [StageParameter]?,
        crossParameterIssues: @escaping @Sendable (StageParameters) -> [ConfigurationIssue]
    ) {
        self.id = id
        self.version = version
        self.options = options
        self.unit = unit
        self.fanOut = fanOut
        self.declaredParameters = declaredParameters
        self.crossParameterIssues = crossParameterIssues
    }

    /// The problems of configured `parameters` for this stage, with paths relative to the `parameters` object:
    /// unknown keys and values out of range when the stage declares its parameters, then the stage's own
    /// checks across them.
    public func parameterIssues(_ parameters: StageParameters) -> [ConfigurationIssue] {
        guard let declaredParameters else { return crossParameterIssues(parameters) }
        let single = parameters.issues(against: declaredParameters)
        // Cross checks read the values as numbers: only run them once each value is in its own range.
        return single.isEmpty ? crossParameterIssues(parameters) : single
    }

    /// `id@version`, with `[fan-out ×N]` for a fan-out.
    public var description: String {
        if let fanOut { return "\(id)@\(version) [fan-out ×\(fanOut.maxConcurrency)]" }
        return "\(id)@\(version)"
    }

    /// The canonical encoding of the stage's whole input (for a fan-out, the array).
    func encodeStageInput(_ value: any Sendable) throws -> Data {
        if let fanOut { return try fanOut.encodeInput(value) }
        return try unit.encodeInput(value)
    }

    /// The encoding of the stage's whole output.
    func encodeStageOutput(_ value: any Sendable) throws -> Data {
        if let fanOut { return try fanOut.encodeOutput(value) }
        return try unit.encodeOutput(value)
    }

    /// Decodes the stage's whole output from a checkpoint.
    func decodeStageOutput(_ data: Data) throws -> any Sendable {
        if let fanOut { return try fanOut.decodeOutput(data) }
        return try unit.decodeOutput(data)
    }

    /// The output used when the stage is skipped or fails with `continueOnError`.
    func fallbackOutput(for input: any Sendable) throws -> (any Sendable)? {
        if let stageFallback { return try stageFallback(input) }
        guard let fallback = unit.fallback else { return nil }
        if let fanOut {
            return try fanOut.join(try fanOut.split(input).map { try fallback($0) })
        }
        return try fallback(input)
    }
}

/// A stage that knows how to erase itself (fan-outs and configured stages).
protocol ErasableStage {
    func makeErased() -> AnyPipelineStage
}

/// One unit of work, erased: a single stage, or one child of a fan-out.
struct StageUnit: Sendable {
    let encodeInput: @Sendable (any Sendable) throws -> Data
    let encodeOutput: @Sendable (any Sendable) throws -> Data
    let decodeOutput: @Sendable (Data) throws -> any Sendable
    let run: @Sendable (any Sendable, StageContext) async throws -> any Sendable
    var fallback: (@Sendable (any Sendable) throws -> any Sendable)?

    init<S: PipelineStage>(_ stage: S) {
        encodeInput = { try CanonicalJSON.encode(try cast($0, to: S.Input.self, stage: S.id)) }
        encodeOutput = { try CanonicalJSON.encode(try cast($0, to: S.Output.self, stage: S.id)) }
        decodeOutput = { try CanonicalJSON.decode(S.Output.self, from: $0) }
        run = { input, context in try await stage.run(try cast(input, to: S.Input.self, stage: S.id), context: context)
        }
        if S.Input.self == S.Output.self {
            fallback = { $0 }
        } else {
            fallback = nil
        }
    }
}

/// How a fan-out splits its input array and joins its children's outputs.
struct FanOutShape: Sendable {
    let maxConcurrency: Int
    let split: @Sendable (any Sendable) throws -> [any Sendable]
    let join: @Sendable ([any Sendable]) throws -> any Sendable
    let encodeInput: @Sendable (any Sendable) throws -> Data
    let encodeOutput: @Sendable (any Sendable) throws -> Data
    let decodeOutput: @Sendable (Data) throws -> any Sendable
}

/// Casts an erased value back to the type a stage expects; a mismatch means a checkpoint or pipeline bug.
func cast<T>(_ value: any Sendable, to type: T.Type, stage: StageID) throws -> T {
    guard let typed = value as? T else {
        throw PipelineError.typeMismatch("stage \(stage) expected \(T.self), got \(Swift.type(of: value))")
    }
    return typed
}

/// The canonical JSON encoding used for cache keys and checkpoints: sorted keys, unescaped slashes.
enum CanonicalJSON {
    // Shared: making a coder costs more than a small encode. Both are safe to share once configured.
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
    private static let decoder = JSONDecoder()

    static func encode<T: Encodable>(_ value: T) throws -> Data {
        try encoder.encode(value)
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        do {
            return try decoder.decode(T.self, from: data)
        } catch {
            throw PipelineError.checkpointCorrupt("cannot decode \(T.self): \(error)", underlying: error)
        }
    }
}
