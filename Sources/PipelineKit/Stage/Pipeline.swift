/// A typed chain of stages, checked by the compiler: each stage's `Output` must be the next one's `Input`.
///
/// ```swift
/// let pipeline = Pipeline("story") {
///     WriteScript()                         // Idea -> Script
///     PlanShots()                           // Script -> [Shot]
///     ForEach(RenderShot(), maxConcurrency: 4)  // [Shot] -> [Clip]
///     Assemble()                            // [Clip] -> Video
/// }
/// ```
public struct Pipeline<Input: Codable & Sendable, Output: Codable & Sendable>: Sendable {
    /// The pipeline's name, stored with each run; resuming checks it.
    public let name: String
    /// The steps in order, erased.
    public let stages: [AnyPipelineStage]

    /// Builds a pipeline from stages listed in order.
    public init(_ name: String = "pipeline", @PipelineBuilder _ content: () -> PipelineSteps<Input, Output>) {
        self.name = name
        self.stages = content().stages
    }
}

extension Pipeline where Input == Output {
    /// Chains stages that all map `Input` to `Input`, for pipelines whose length is known only at run time.
    public init<S: PipelineStage>(_ name: String = "pipeline", chain stages: [S])
    where S.Input == Input, S.Output == Input {
        self.name = name
        self.stages = stages.map { AnyPipelineStage($0) }
    }
}

/// A typed, checked sequence of erased stages; the intermediate value of ``PipelineBuilder``.
public struct PipelineSteps<Input, Output>: Sendable {
    /// The steps in order.
    public let stages: [AnyPipelineStage]
}

/// The result builder behind `Pipeline { A(); B(); C() }`.
@resultBuilder
public enum PipelineBuilder {
    /// A stage as a one-step sequence.
    public static func buildExpression<S: PipelineStage>(_ stage: S) -> PipelineSteps<S.Input, S.Output> {
        PipelineSteps(stages: [AnyPipelineStage(stage)])
    }

    /// A whole pipeline, inlined.
    public static func buildExpression<I, O>(_ pipeline: Pipeline<I, O>) -> PipelineSteps<I, O> {
        PipelineSteps(stages: pipeline.stages)
    }

    /// The first step.
    public static func buildPartialBlock<I, O>(first: PipelineSteps<I, O>) -> PipelineSteps<I, O> {
        first
    }

    /// Appends a step whose input is the output so far: where the types differ, the pipeline does not compile.
    public static func buildPartialBlock<I, M, O>(
        accumulated: PipelineSteps<I, M>,
        next: PipelineSteps<M, O>
    ) -> PipelineSteps<I, O> {
        PipelineSteps(stages: accumulated.stages + next.stages)
    }
}
