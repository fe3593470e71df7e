extension Pipeline {
    /// The pipeline with the stage of type `old` replaced by `stage`, which takes and gives the same types.
    ///
    /// ```swift
    /// let pipeline = try StoryStudio.defaultPipeline(services: services)
    ///     .replacing(SynthesizeVoice.self, with: MyVoice(services: services))
    /// ```
    ///
    /// The replacement runs under the replaced stage's policies (retry, timeouts, cache, continue on error), so an
    /// edited pipeline keeps what the original promised; pass `keepingOptions: false` to use the replacement's own.
    /// Inside a fan-out (``ForEach``), the replacement becomes the new child, with the same concurrency.
    ///
    /// - Throws: ``PipelineError/Code/invalidConfiguration`` when the pipeline has no stage with `old`'s id, or
    ///   when the replacement's id is already used by another stage (checkpoints are keyed by stage id).
    public func replacing<Old: PipelineStage, New: PipelineStage>(
        _ old: Old.Type, with stage: New, keepingOptions: Bool = true
    ) throws(PipelineError) -> Pipeline where New.Input == Old.Input, New.Output == Old.Output {
        let index = try position(of: Old.id)
        if New.id != Old.id, stages.contains(where: { $0.id == New.id }) {
            throw PipelineError.invalidConfiguration(
                "pipeline \(name): cannot replace \(Old.id) with \(New.id): a stage \(New.id) is already in it")
        }
        let current = stages[index]
        let erased = AnyPipelineStage(stage)
        var replacement = AnyPipelineStage(
            id: erased.id, version: erased.version, options: keepingOptions ? current.options : erased.options,
            unit: erased.unit, fanOut: current.fanOut, declaredParameters: erased.declaredParameters,
            crossParameterIssues: erased.crossParameterIssues)
        replacement.stageFallback = erased.stageFallback
        var edited = stages
        edited[index] = replacement
        return Pipeline(name: name, stages: edited)
    }

    /// The pipeline without the stage of type `stage`; only a stage whose input and output types are the same can
    /// go, so that the stages around it still fit.
    ///
    /// - Throws: ``PipelineError/Code/invalidConfiguration`` when the pipeline has no such stage.
    public func removing<S: PipelineStage>(_ stage: S.Type) throws(PipelineError) -> Pipeline
    where S.Input == S.Output {
        let index = try position(of: S.id)
        var edited = stages
        edited.remove(at: index)
        return Pipeline(name: name, stages: edited)
    }

    /// The pipeline with `stage` added right after the stage of type `earlier`; `stage` takes and gives what
    /// `earlier` gives, so the stages around it still fit.
    ///
    /// - Throws: ``PipelineError/Code/invalidConfiguration`` when the pipeline has no stage `earlier`, or already
    ///   has one with `stage`'s id.
    public func inserting<New: PipelineStage, Earlier: PipelineStage>(
        _ stage: New, after earlier: Earlier.Type
    ) throws(PipelineError) -> Pipeline where New.Input == Earlier.Output, New.Output == Earlier.Output {
        let index = try position(of: Earlier.id)
        guard !stages.contains(where: { $0.id == New.id }) else {
            throw PipelineError.invalidConfiguration(
                "pipeline \(name): cannot insert \(New.id): a stage \(New.id) is already in it")
        }
        if stages[index].fanOut != nil {
            throw PipelineError.invalidConfiguration(
                "pipeline \(name): cannot insert \(New.id) after the fan-out \(Earlier.id): its output is a list")
        }
        var edited = stages
        edited.insert(AnyPipelineStage(stage), at: index + 1)
        return Pipeline(name: name, stages: edited)
    }

    private func position(of id: StageID) throws(PipelineError) -> Int {
        guard let index = stages.firstIndex(where: { $0.id == id }) else {
            let known = stages.map(\.id.rawValue).joined(separator: ", ")
            throw PipelineError.invalidConfiguration("pipeline \(name) has no stage \(id) (its stages: \(known))")
        }
        return index
    }

    private init(name: String, stages: [AnyPipelineStage]) {
        self.name = name
        self.stages = stages
    }
}
