/// One typed step of a pipeline: it turns an `Input` into an `Output`.
///
/// The stage boundary is the durability boundary: once `run(_:context:)` returns, the runner commits
/// the output to the checkpoint store before the next stage starts, so a crashed or cancelled run
/// never runs a committed stage again.
///
/// ```swift
/// struct Shout: PipelineStage {
///     static let id: StageID = "shout"
///     static let version = 1
///     func run(_ input: String, context: StageContext) async throws -> String {
///         input.uppercased()
///     }
/// }
/// ```
public protocol PipelineStage<Input, Output>: Sendable {
    /// What the stage consumes; its canonical JSON encoding is part of the cache key.
    associatedtype Input: Codable & Sendable
    /// What the stage produces; it is stored in the checkpoint, so keep it small (use `ArtifactRef` for blobs).
    associatedtype Output: Codable & Sendable

    /// The stable name used in checkpoints, caches, logs and configuration files.
    static var id: StageID { get }

    /// Bump when the stage's behaviour changes: it invalidates the stage's cached results and everything downstream.
    static var version: Int { get }

    /// The policies the runner applies to this stage (retry, timeouts, cache, continue on error).
    ///
    /// The default is ``StageOptions/init(retry:attemptTimeout:totalTimeout:cache:continueOnError:)`` with its
    /// defaults; use the modifiers (`.retry(_:)`, `.timeout(_:)`, `.cache(_:)`) to change it at the call site.
    var options: StageOptions { get }

    /// The parameters the stage reads from its configuration, each with its type and range; `nil` (the default)
    /// leaves them undeclared and unchecked.
    ///
    /// When declared, a configuration is checked against the list before the run starts: an unknown key or a value
    /// out of range is a ``ConfigurationIssue`` naming `stages.<id>.parameters.<name>`.
    static var parameters: [StageParameter]? { get }

    /// Problems between parameters that single ranges cannot express (`max_seconds ≥ 2 × min_seconds`), with paths
    /// relative to the `parameters` object; called before the run with the configured values. The default finds none.
    static func parameterIssues(_ parameters: StageParameters) -> [ConfigurationIssue]

    /// Does the work. Honour cancellation (`try context.checkCancellation()`) inside long loops.
    func run(_ input: Input, context: StageContext) async throws -> Output
}

extension PipelineStage {
    /// The default policies: no retry, no timeout, cache keyed by inputs and version.
    public var options: StageOptions { StageOptions() }

    /// Undeclared: any parameters are accepted, unchecked.
    public static var parameters: [StageParameter]? { nil }

    /// No checks across parameters.
    public static func parameterIssues(_ parameters: StageParameters) -> [ConfigurationIssue] { [] }
}
