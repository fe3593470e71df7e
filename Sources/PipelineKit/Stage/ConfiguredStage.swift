/// A stage with policies set at the call site: `Voice().retry(.exponentialJitter()).timeout(.seconds(30))`.
public struct ConfiguredStage<Base: PipelineStage>: PipelineStage {
    /// The wrapped stage's input.
    public typealias Input = Base.Input
    /// The wrapped stage's output.
    public typealias Output = Base.Output

    /// The wrapped stage's identifier.
    public static var id: StageID { Base.id }
    /// The wrapped stage's version.
    public static var version: Int { Base.version }
    /// The wrapped stage's parameters.
    public static var parameters: [StageParameter]? { Base.parameters }

    /// The wrapped stage's checks across parameters.
    public static func parameterIssues(_ parameters: StageParameters) -> [ConfigurationIssue] {
        Base.parameterIssues(parameters)
    }

    /// The wrapped stage.
    public let base: Base
    /// The policies, starting from the wrapped stage's own.
    public var options: StageOptions
    /// The output used when the stage is skipped by configuration or fails with `continueOnError`.
    var fallback: (@Sendable (Base.Input) -> Base.Output)?

    /// Runs the wrapped stage.
    public func run(_ input: Base.Input, context: StageContext) async throws -> Base.Output {
        try await base.run(input, context: context)
    }
}

extension ConfiguredStage: ErasableStage {
    func makeErased() -> AnyPipelineStage {
        var erased = AnyPipelineStage(base)
        erased.options = options
        if let fallback {
            let whole: @Sendable (any Sendable) throws -> any Sendable = {
                fallback(try cast($0, to: Base.Input.self, stage: Base.id))
            }
            // A fan-out's unit is its child; a fallback given to the fan-out itself maps the whole array.
            if erased.fanOut == nil {
                erased.unit.fallback = whole
            } else {
                erased.stageFallback = whole
            }
        }
        return erased
    }
}

extension PipelineStage {
    private var configured: ConfiguredStage<Self> {
        ConfiguredStage(base: self, options: options, fallback: nil)
    }

    /// Retries failed attempts with `policy`, for example `.retry(.exponentialJitter(maxAttempts: 4))`.
    public func retry(_ policy: RetryPolicy) -> ConfiguredStage<Self> {
        configured.retry(policy)
    }

    /// Limits each attempt to `attempt`, and optionally all attempts with their delays to `total`.
    public func timeout(_ attempt: Duration?, total: Duration? = nil) -> ConfiguredStage<Self> {
        configured.timeout(attempt, total: total)
    }

    /// Sets the cache policy, for example `.cache(.ttl(.seconds(3600)))`.
    public func cache(_ policy: CachePolicy) -> ConfiguredStage<Self> {
        configured.cache(policy)
    }

    /// Lets the run go on with the fallback output when this stage fails for good.
    ///
    /// Stages whose `Input` equals their `Output` pass their input on; others need `.fallback(_:)` as well.
    public func continueOnError(_ enabled: Bool = true) -> ConfiguredStage<Self> {
        configured.continueOnError(enabled)
    }

    /// The output to use when the stage is skipped by configuration (`"enabled": false`) or fails with
    /// `continueOnError`.
    public func fallback(_ makeOutput: @escaping @Sendable (Input) -> Output) -> ConfiguredStage<Self> {
        configured.fallback(makeOutput)
    }
}

extension ConfiguredStage {
    /// Retries failed attempts with `policy`.
    public func retry(_ policy: RetryPolicy) -> ConfiguredStage<Base> {
        var copy = self
        copy.options.retry = policy
        return copy
    }

    /// Limits each attempt to `attempt`, and optionally all attempts with their delays to `total`.
    public func timeout(_ attempt: Duration?, total: Duration? = nil) -> ConfiguredStage<Base> {
        var copy = self
        copy.options.attemptTimeout = attempt
        copy.options.totalTimeout = total
        return copy
    }

    /// Sets the cache policy.
    public func cache(_ policy: CachePolicy) -> ConfiguredStage<Base> {
        var copy = self
        copy.options.cache = policy
        return copy
    }

    /// Lets the run go on with the fallback output when this stage fails for good.
    public func continueOnError(_ enabled: Bool = true) -> ConfiguredStage<Base> {
        var copy = self
        copy.options.continueOnError = enabled
        return copy
    }

    /// The output to use when the stage is skipped or fails with `continueOnError`.
    public func fallback(_ makeOutput: @escaping @Sendable (Base.Input) -> Base.Output) -> ConfiguredStage<Base> {
        var copy = self
        copy.fallback = makeOutput
        return copy
    }
}
