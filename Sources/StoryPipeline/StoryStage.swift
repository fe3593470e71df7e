import Foundation
public import PipelineKit
public import StoryModels

/// The typed parameters of a ``StoryStage``, decoded from the `parameters` object of the stage's configuration.
///
/// Decoding is strict: a key not in ``declarations``, a value of the wrong type or out of its range is an error naming
/// its path (`stages.script.parameters.max_words`), found before the run starts. Read the values in
/// `init(from:)` with a ``StageParameterReader``, which applies each declaration's checks:
///
/// ```swift
/// struct Parameters: StoryStageParameters {
///     static let maxWords = StageParameter.integer("max_words", in: 1...6000, unit: "words")
///     static let declarations = [maxWords]
///     var maxWords: Int?
///     init(from decoder: any Decoder) throws {
///         maxWords = try StageParameterReader(decoder).integer(Self.maxWords)
///     }
/// }
/// ```
public protocol StoryStageParameters: Decodable, Sendable {
    /// Every key the parameters read, with its type and range; a configured key not listed is an error.
    static var declarations: [StageParameter] { get }
}

/// The parameters of a stage that reads none: any key is an error.
public struct NoStageParameters: StoryStageParameters {
    /// None.
    public static var declarations: [StageParameter] { [] }
    /// Nothing to read.
    public init() {}
    /// Nothing to read; unknown keys are refused before decoding (``StoryStage/decodeParameters(_:)``).
    public init(from decoder: any Decoder) throws {}
}

/// Reads declared parameters in a ``StoryStageParameters``' `init(from:)`, with each declaration's type and range
/// checks; a value that fails them throws an error naming the parameter.
public struct StageParameterReader {
    private let values: StageParameters

    /// A reader over the `parameters` object `decoder` holds.
    public init(_ decoder: any Decoder) throws {
        values = try StageParameters(from: decoder)
    }

    /// A reader over `values`.
    public init(_ values: StageParameters) {
        self.values = values
    }

    /// The number for `parameter`, or `nil` when absent.
    public func number(_ parameter: StageParameter) throws -> Double? {
        try check(parameter)
        return values.number(parameter.name)
    }

    /// The whole number for `parameter`, or `nil` when absent (`1.5` and `1e300` are errors, never truncated).
    public func integer(_ parameter: StageParameter) throws -> Int? {
        try check(parameter)
        return values.number(parameter.name).flatMap { Int(exactly: $0) }
    }

    /// The string for `parameter`, or `nil` when absent.
    public func string(_ parameter: StageParameter) throws -> String? {
        try check(parameter)
        return values.string(parameter.name)
    }

    /// The boolean for `parameter`, or `nil` when absent.
    public func bool(_ parameter: StageParameter) throws -> Bool? {
        try check(parameter)
        return values.bool(parameter.name)
    }

    private func check(_ parameter: StageParameter) throws {
        guard let value = values[parameter.name] else { return }
        if let problem = parameter.problem(with: value) { throw StageParameterProblem(path: parameter.name, problem) }
    }
}

/// A parameter that cannot be used, with its path relative to the `parameters` object; throw it from a
/// ``StoryStageParameters``' `init(from:)` for checks across parameters (`max_seconds` below `min_seconds`).
public struct StageParameterProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The parameter's key, e.g. `max_seconds`.
    public let path: String
    /// What is wrong, e.g. `must be at least min_seconds (3)`.
    public let message: String

    /// Creates a problem.
    public init(path: String, _ message: String) {
        self.path = path
        self.message = message
    }

    /// `path: message`.
    public var description: String { "\(path): \(message)" }
}

/// What a stage used, for its manifest record (``ExportManifest/StageRecord``); the adapter adds the stage's id and
/// the time it took.
public struct StoryStageReport: Sendable, Hashable {
    /// The provider that did the work (``StoryProviders/Record/provider``), or a name for work that called none.
    public var provider: String
    /// Its model.
    public var model: String
    /// The tokens it used, when it reports them.
    public var usage: ExportManifest.TokenUsage?
    /// What it cost in US dollars, by the price table.
    public var costUsd: Double?

    /// Creates a report.
    public init(provider: String, model: String, usage: ExportManifest.TokenUsage? = nil, costUsd: Double? = nil) {
        self.provider = provider
        self.model = model
        self.usage = usage
        self.costUsd = costUsd
    }

    /// A report for work done by the provider `record` names.
    public init(_ record: StoryProviders.Record, usage: ExportManifest.TokenUsage? = nil, costUsd: Double? = nil) {
        self.init(provider: record.provider, model: record.model, usage: usage, costUsd: costUsd)
    }
}

/// A stage of a story pipeline: it reads the ``StoryState`` earlier stages filled, fills in its own part, and reads
/// typed ``Parameters`` from its configuration (like Hummingbird's `RouterMiddleware` refining
/// `MiddlewareProtocol` for one input and output type).
///
/// The adapter (this protocol's `run(_:context:)`) decodes the parameters strictly, runs the stage on a copy of the
/// state, and records the stage's ``StoryStageReport`` with the time it took in ``StoryState/stageRecords``.
///
/// ```swift
/// struct Watermark: StoryStage {
///     static let id: StageID = "watermark"
///     static let version = 1
///     struct Parameters: StoryStageParameters {
///         static let text = StageParameter.string("text", maxLength: 40)
///         static let declarations = [text]
///         var text = "made with StoryForge"
///         init(from decoder: any Decoder) throws {
///             text = try StageParameterReader(decoder).string(Self.text) ?? text
///         }
///     }
///     func run(_ state: inout StoryState, parameters: Parameters, context: StageContext) async throws
///         -> StoryStageReport?
///     {
///         let video = try state.required(\.video)
///         // … draw `parameters.text` over `video`, store the result, set `state.video` …
///         return StoryStageReport(provider: "ffmpeg", model: "drawtext")
///     }
/// }
/// ```
public protocol StoryStage: PipelineStage where Input == StoryState, Output == StoryState {
    /// The stage's parameters; ``NoStageParameters`` when it reads none.
    associatedtype Parameters: StoryStageParameters = NoStageParameters

    /// Does the stage's work on `state`; returns what it used for the manifest, or `nil` to record nothing.
    func run(_ state: inout StoryState, parameters: Parameters, context: StageContext) async throws
        -> StoryStageReport?
}

extension StoryStage {
    /// ``StoryStageParameters/declarations``: the runner checks every configured key against them before the run.
    public static var parameters: [StageParameter]? { Parameters.declarations }

    /// Decodes the parameters (the runner calls this before the run, once each value is in its declared range), so
    /// checks across parameters in `init(from:)` are found before anything runs too.
    public static func parameterIssues(_ parameters: StageParameters) -> [ConfigurationIssue] {
        switch decode(parameters) {
        case .success: return []
        case .failure(let problem): return [ConfigurationIssue(path: problem.path, message: problem.message)]
        }
    }

    /// The parameters decoded from `parameters`, strictly.
    ///
    /// - Throws: ``StoryPipelineError`` with code `invalidConfiguration` naming `stages.<id>.parameters.<key>` for an
    ///   unknown key, a wrong type or a value out of range.
    public static func decodeParameters(_ parameters: StageParameters) throws(StoryPipelineError) -> Parameters {
        switch decode(parameters) {
        case .success(let decoded): return decoded
        case .failure(let problem):
            throw .invalidConfiguration("stages.\(id).parameters.\(problem.path): \(problem.message)")
        }
    }

    private static func decode(_ parameters: StageParameters) -> Result<Parameters, StageParameterProblem> {
        Parameters.decode(parameters)
    }

    /// The adapter: decodes the parameters, runs ``run(_:parameters:context:)`` and records its report with the
    /// stage's id and duration.
    public func run(_ input: StoryState, context: StageContext) async throws -> StoryState {
        let stopwatch = StageStopwatch()
        let parameters = try Self.decodeParameters(context.configuration)
        var state = input
        let routes = StageRouteLog()
        let report = try await StageRouteLog.$current.withValue(routes) {
            try await run(&state, parameters: parameters, context: context)
        }
        if let report {
            state.record(
                .init(
                    stage: Self.id.rawValue, provider: report.provider, model: report.model,
                    duration: stopwatch.seconds, usage: report.usage, costUsd: report.costUsd, routes: routes.records))
        }
        return state
    }
}

extension StoryStageParameters {
    /// Decodes `parameters` strictly: an unknown key, a wrong type or a value out of range is a problem naming it.
    static func decode(_ parameters: StageParameters) -> Result<Self, StageParameterProblem> {
        let known = Set(declarations.map(\.name))
        if let unknown = parameters.values.keys.sorted().first(where: { !known.contains($0) }) {
            let list =
                known.isEmpty ? "the stage reads no parameters" : "known: " + known.sorted().joined(separator: ", ")
            return .failure(StageParameterProblem(path: unknown, "unknown parameter (\(list))"))
        }
        do {
            // Through the JSON encoding, so every standard decoding rule applies as to the configuration file.
            return .success(try JSONDecoder().decode(Self.self, from: JSONEncoder().encode(parameters)))
        } catch let problem as StageParameterProblem {
            return .failure(problem)
        } catch let error as DecodingError {
            return .failure(StageParameterProblem(decoding: error))
        } catch {
            return .failure(StageParameterProblem(path: "", "\(error)"))
        }
    }
}

extension StageContext {
    /// This stage's configured parameters as `type`, decoded strictly, for a stage that is not a ``StoryStage``
    /// (a fan-out child, say): `let parameters = try context.parameters(Parameters.self, of: Self.id)`.
    ///
    /// - Throws: ``StoryPipelineError`` with code `invalidConfiguration` naming `stages.<id>.parameters.<key>`.
    public func parameters<P: StoryStageParameters>(_ type: P.Type, of stage: StageID) throws(StoryPipelineError)
        -> P
    {
        switch P.decode(configuration) {
        case .success(let decoded): return decoded
        case .failure(let problem):
            throw .invalidConfiguration("stages.\(stage).parameters.\(problem.path): \(problem.message)")
        }
    }
}

extension StageParameterProblem {
    /// A problem for a decoding error: its coding path and what it says.
    fileprivate init(decoding error: DecodingError) {
        func dotted(_ path: [any CodingKey]) -> String { path.map(\.stringValue).joined(separator: ".") }
        switch error {
        case .typeMismatch(let type, let context):
            self.init(path: dotted(context.codingPath), "must be \(type): \(context.debugDescription)")
        case .valueNotFound(_, let context), .dataCorrupted(let context):
            self.init(path: dotted(context.codingPath), context.debugDescription)
        case .keyNotFound(let key, let context):
            self.init(path: dotted(context.codingPath + [key]), "is required")
        @unknown default:
            self.init(path: "", "\(error)")
        }
    }
}
