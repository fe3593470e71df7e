/// Fan-out: runs a stage over every element of an array, at most `maxConcurrency` at a time.
///
/// Under the runner each child is checkpointed on its own, so resuming an interrupted fan-out reruns only the
/// children that had not committed. Options (retry, timeouts, `continueOnError`) apply to each child.
///
/// ```swift
/// Pipeline {
///     PlanShots()                              // Script -> [Shot]
///     ForEach(RenderKeyframe(), maxConcurrency: 4)  // [Shot] -> [Keyframe]
/// }
/// ```
public struct ForEach<Child: PipelineStage>: PipelineStage {
    /// An array of the child's inputs.
    public typealias Input = [Child.Input]
    /// The child's outputs, in input order.
    public typealias Output = [Child.Output]

    /// The child's identifier.
    public static var id: StageID { Child.id }
    /// The child's version.
    public static var version: Int { Child.version }
    /// The child's parameters (each child reads the same ones).
    public static var parameters: [StageParameter]? { Child.parameters }

    /// The child's checks across parameters.
    public static func parameterIssues(_ parameters: StageParameters) -> [ConfigurationIssue] {
        Child.parameterIssues(parameters)
    }

    /// The stage run for each element.
    public let child: Child
    /// The most children in flight at once.
    public let maxConcurrency: Int

    /// Creates a fan-out; `maxConcurrency` below 1 is treated as 1.
    public init(_ child: Child, maxConcurrency: Int = 4) {
        self.child = child
        self.maxConcurrency = max(1, maxConcurrency)
    }

    /// The child's options, applied per child.
    public var options: StageOptions { child.options }

    /// Runs the children without checkpoints (the runner does not call this; it checkpoints each child).
    public func run(_ input: [Child.Input], context: StageContext) async throws -> [Child.Output] {
        try await withThrowingTaskGroup(of: (Int, Child.Output).self) { group in
            var results = [Child.Output?](repeating: nil, count: input.count)
            var next = 0
            while next < min(maxConcurrency, input.count) {
                let index = next
                group.addTask { (index, try await child.run(input[index], context: context.with(childIndex: index))) }
                next += 1
            }
            while let (index, output) = try await group.next() {
                results[index] = output
                if next < input.count {
                    let index = next
                    group.addTask {
                        (index, try await child.run(input[index], context: context.with(childIndex: index)))
                    }
                    next += 1
                }
            }
            return results.compactMap { $0 }
        }
    }
}

extension ForEach: ErasableStage {
    func makeErased() -> AnyPipelineStage {
        let childStage = AnyPipelineStage(child)
        let shape = FanOutShape(
            maxConcurrency: maxConcurrency,
            split: { try cast($0, to: [Child.Input].self, stage: Child.id) },
            join: { outputs in try outputs.map { try cast($0, to: Child.Output.self, stage: Child.id) } },
            encodeInput: { try CanonicalJSON.encode(try cast($0, to: [Child.Input].self, stage: Child.id)) },
            encodeOutput: { try CanonicalJSON.encode(try cast($0, to: [Child.Output].self, stage: Child.id)) },
            decodeOutput: { try CanonicalJSON.decode([Child.Output].self, from: $0) }
        )
        return AnyPipelineStage(
            id: Child.id,
            version: Child.version,
            options: childStage.options,
            unit: childStage.unit,
            fanOut: shape,
            declaredParameters: childStage.declaredParameters,
            crossParameterIssues: childStage.crossParameterIssues
        )
    }
}
