import Foundation
import Logging

/// One run (or resume, or plan) of a pipeline: walks the erased stages, reusing committed and cached results,
/// running the rest with retries and timeouts, and committing each result before moving on.
struct RunExecution: Sendable {
    let pipelineName: String
    let stages: [AnyPipelineStage]
    let record: RunRecord?
    /// Whether this execution continues an earlier one (then committed fan-out children are looked up).
    let resumed: Bool
    let store: any CheckpointStore
    let artifacts: any ArtifactStore
    let configuration: PipelineRunner.Configuration
    let hub: EventHub
    /// The artifacts already verified in this execution.
    let artifactCheck = ArtifactCheck()

    /// A stage's effective settings: its options with the configuration file applied.
    private struct Settings {
        let options: StageOptions
        let enabled: Bool
        let parameters: StageParameters
        let parametersData: Data
    }

    private var runID: RunID { record?.id ?? RunID("plan") }

    private var durability: Durability { configuration.pipeline.durability ?? configuration.durability }

    private func settings(for stage: AnyPipelineStage) throws -> Settings {
        let stageConfiguration = configuration.pipeline.stages[stage.id.rawValue]
        let parameters = stageConfiguration?.parameters ?? StageParameters()
        return Settings(
            options: stageConfiguration?.applied(to: stage.options) ?? stage.options,
            enabled: stageConfiguration?.enabled ?? true,
            parameters: parameters,
            parametersData: parameters.values.isEmpty ? Data() : try CanonicalJSON.encode(parameters)
        )
    }

    // MARK: - Running

    func run(input: any Sendable, committed: [Int: StageRecord]) async throws -> any Sendable {
        guard var record else { throw PipelineError.runNotFound("no run record") }
        var logger = configuration.logger
        logger[metadataKey: "pipeline.run_id"] = "\(record.id)"
        logger[metadataKey: "pipeline.name"] = "\(pipelineName)"
        let writer = CheckpointWriter(store: store, durability: durability)
        let started = ContinuousClock.now
        hub.emit(.runStarted(runID: record.id, pipeline: pipelineName, resumed: resumed))
        logger.info("run started", metadata: ["pipeline.resumed": "\(resumed)"])
        do {
            let output = try await runStages(input: input, committed: committed, writer: writer, logger: logger)
            try await writer.flush()
            record.status = .succeeded
            record.output = try stages.last.map { try $0.encodeStageOutput(output) } ?? record.input
            try await finish(&record, started: started, logger: logger)
            return output
        } catch {
            let cancelled = error is CancellationError || Task.isCancelled
            record.status = cancelled ? .cancelled : .failed
            record.error = cancelled ? "cancelled" : "\(error)"
            // The run is over either way; its end is recorded outside the (possibly cancelled) task so the store
            // says "cancelled" or "failed" rather than "running".
            let endRecord = record
            let finishing = Task { [writer] in
                var endRecord = endRecord
                try? await writer.flush()
                try await finish(&endRecord, started: started, logger: logger)
            }
            try? await finishing.value
            throw error
        }
    }

    private func finish(_ record: inout RunRecord, started: ContinuousClock.Instant, logger: Logger) async throws {
        let now = Date()
        record.updatedAt = now
        record.finishedAt = now
        try await store.commit(CheckpointBatch(run: record))
        let duration = ContinuousClock.now - started
        StageMetrics.countRun(outcome: record.status)
        hub.emit(.runFinished(runID: record.id, status: record.status, duration: duration))
        logger.info(
            "run finished",
            metadata: ["pipeline.status": "\(record.status.rawValue)", "pipeline.duration_s": "\(duration.seconds)"]
        )
    }

    private func runStages(
        input: any Sendable,
        committed: [Int: StageRecord],
        writer: CheckpointWriter,
        logger runLogger: Logger
    ) async throws -> any Sendable {
        var current = StageValue.decoded(input)
        var upstreamKey = ""
        for (index, stage) in stages.enumerated() {
            try Task.checkCancellation()
            let settings = try settings(for: stage)
            let key = CacheKey.make(
                stage: stage.id,
                version: stage.version,
                input: try current.encoded(for: stage),
                parameters: settings.parametersData,
                upstream: upstreamKey
            )
            defer { upstreamKey = key }

            // Durability: a committed stage of this run never runs again.
            if let done = committed[index], done.inputHash == key, done.status != .failed, let output = done.output,
                await reusable(output, stage: stage, index: index, source: "checkpoint", logger: runLogger)
            {
                current = .encoded(output, producer: stage)
                hub.emit(.cacheHit(runID: runID, stage: stage.id, index: index, source: .checkpoint))
                runLogger.debug(
                    "stage restored from checkpoint",
                    metadata: ["stage.id": "\(stage.id)", "stage.index": "\(index)"]
                )
                continue
            }

            // Decoded and logged only for stages that do something: restoring a long run stays cheap.
            let value = try current.decoded()
            var logger = runLogger
            logger[metadataKey: "stage.id"] = "\(stage.id)"
            logger[metadataKey: "stage.index"] = "\(index)"

            let started = ContinuousClock.now
            if !settings.enabled {
                guard let fallback = try stage.fallbackOutput(for: value) else {
                    throw PipelineError.invalidConfiguration("stages.\(stage.id).enabled: stage has no fallback output")
                }
                try await writer.commit(
                    CheckpointBatch(stages: [
                        stageRecord(
                            stage, index, key, .skipped, try stage.encodeStageOutput(fallback), attempts: 0, started)
                    ])
                )
                current = .decoded(fallback)
                StageMetrics.recordStage(stage.id, outcome: .skipped, duration: ContinuousClock.now - started)
                hub.emit(.stageSkipped(runID: runID, stage: stage.id, index: index))
                logger.info("stage skipped by configuration")
                continue
            }

            if stage.fanOut == nil, settings.options.cache.readsCache,
                let entry = try await store.cacheEntries(forKeys: [key])[key], isFresh(entry, settings.options.cache),
                await reusable(entry.output, stage: stage, index: index, source: "cache", logger: logger)
            {
                try await writer.commit(
                    CheckpointBatch(stages: [
                        stageRecord(stage, index, key, .committed, entry.output, attempts: 0, started)
                    ])
                )
                current = .encoded(entry.output, producer: stage)
                StageMetrics.recordStage(stage.id, outcome: .cached, duration: ContinuousClock.now - started)
                hub.emit(.cacheHit(runID: runID, stage: stage.id, index: index, source: .cache))
                logger.debug("stage result taken from cache")
                continue
            }

            hub.emit(.stageStarted(runID: runID, stage: stage.id, index: index))
            logger.debug("stage started")
            let context = StageContext(
                runID: runID,
                stageID: stage.id,
                stageIndex: index,
                logger: logger,
                artifacts: artifacts,
                clock: configuration.clock,
                configuration: settings.parameters,
                progress: { [hub, runID] fraction, detail in
                    hub.emit(.progress(runID: runID, stage: stage.id, index: index, fraction: fraction, detail: detail))
                }
            )
            do {
                let output: any Sendable
                let attempts: Int
                if let fanOut = stage.fanOut {
                    (output, attempts) = try await runFanOut(
                        stage,
                        fanOut,
                        input: value,
                        settings: settings,
                        context: context,
                        upstreamKey: upstreamKey,
                        resuming: resumed,
                        writer: writer
                    )
                } else {
                    (output, attempts) = try await runUnit(stage.unit, input: value, options: settings.options, context)
                }
                let encoded = try stage.encodeStageOutput(output)
                var batch = CheckpointBatch(
                    stages: [stageRecord(stage, index, key, .committed, encoded, attempts: attempts, started)]
                )
                if stage.fanOut == nil, settings.options.cache.writesCache {
                    batch.cacheEntries = [
                        CacheEntry(
                            key: key, stageID: stage.id, version: stage.version, output: encoded, createdAt: Date())
                    ]
                }
                try await writer.commit(batch)
                let duration = ContinuousClock.now - started
                StageMetrics.recordStage(stage.id, outcome: .success, duration: duration)
                hub.emit(
                    .stageFinished(runID: runID, stage: stage.id, index: index, duration: duration, attempts: attempts))
                logger.debug("stage finished", metadata: ["stage.attempts": "\(attempts)"])
                current = .decoded(output)
            } catch {
                if error is CancellationError || Task.isCancelled { throw error }
                let duration = ContinuousClock.now - started
                let reason = "\((error as? PipelineError)?.message ?? "\(error)")"
                if settings.options.continueOnError, let fallback = try? stage.fallbackOutput(for: value) {
                    var record = stageRecord(
                        stage, index, key, .recovered, try stage.encodeStageOutput(fallback), attempts: 0, started)
                    record.error = reason
                    try await writer.commit(CheckpointBatch(stages: [record]))
                    StageMetrics.recordStage(stage.id, outcome: .recovered, duration: duration)
                    hub.emit(
                        .stageFailed(runID: runID, stage: stage.id, index: index, error: reason, willContinue: true))
                    logger.warning(
                        "stage failed; continuing with its fallback output", metadata: ["error": "\(reason)"])
                    current = .decoded(fallback)
                    continue
                }
                var record = stageRecord(stage, index, key, .failed, nil, attempts: 0, started)
                record.error = reason
                try? await writer.commit(CheckpointBatch(stages: [record]))
                StageMetrics.recordStage(stage.id, outcome: .failure, duration: duration)
                hub.emit(.stageFailed(runID: runID, stage: stage.id, index: index, error: reason, willContinue: false))
                logger.error("stage failed", metadata: ["error": "\(reason)"])
                if let pipelineError = error as? PipelineError, pipelineError.code == .stageFailed { throw error }
                throw PipelineError.stageFailed(stage.id, underlying: error)
            }
        }
        return try current.decoded()
    }

    private func stageRecord(
        _ stage: AnyPipelineStage,
        _ index: Int,
        _ key: String,
        _ status: StageStatus,
        _ output: Data?,
        attempts: Int,
        _ started: ContinuousClock.Instant
    ) -> StageRecord {
        StageRecord(
            runID: runID,
            index: index,
            stageID: stage.id,
            version: stage.version,
            inputHash: key,
            status: status,
            output: output,
            attempts: attempts,
            duration: (ContinuousClock.now - started).seconds,
            finishedAt: Date()
        )
    }

    /// Whether a checkpointed or cached output can be reused: every artifact it refers to is intact. A damaged one
    /// makes it a miss (logged as a warning), so the stage runs again and stores the artifact anew.
    private func reusable(
        _ output: Data, stage: AnyPipelineStage, index: Int, source: String, logger: Logger
    ) async -> Bool {
        guard let damaged = await artifactCheck.firstDamaged(in: output, store: artifacts) else { return true }
        logger.warning(
            "artifact missing or damaged; running the stage again",
            metadata: [
                "stage.id": "\(stage.id)", "stage.index": "\(index)", "artifact.path": "\(damaged.path)",
                "reuse.source": "\(source)",
            ])
        return false
    }

    private func isFresh(_ entry: CacheEntry, _ policy: CachePolicy) -> Bool {
        guard let maxAge = policy.maxAge else { return true }
        return Date().timeIntervalSince(entry.createdAt) <= maxAge.seconds
    }

    // MARK: - Attempts

    /// Runs one unit with its retry policy and timeouts; returns the output and the number of attempts.
    private func runUnit(
        _ unit: StageUnit,
        input: any Sendable,
        options: StageOptions,
        _ context: StageContext
    ) async throws -> (any Sendable, Int) {
        let clock = configuration.clock
        let hub = self.hub
        let attempts: @Sendable () async throws -> (any Sendable, Int) = {
            var attempt = 1
            while true {
                StageMetrics.countAttempt(context.stageID)
                var logger = context.logger
                logger[metadataKey: "stage.attempt"] = "\(attempt)"
                let attemptContext = context.with(attempt: attempt, logger: logger)
                do {
                    let output = try await withTimeout(
                        options.attemptTimeout,
                        clock: clock,
                        timeoutError: PipelineError.attemptTimedOut(
                            context.stageID, after: options.attemptTimeout ?? .zero)
                    ) {
                        try await unit.run(input, attemptContext)
                    }
                    return (output, attempt)
                } catch {
                    // Never retry cancellation, whatever error it surfaced as.
                    if error is CancellationError || Task.isCancelled { throw error }
                    guard let delay = options.retry.strategy.delay(afterAttempt: attempt, error: error) else {
                        throw error
                    }
                    StageMetrics.countRetry(context.stageID)
                    hub.emit(
                        .retrying(
                            runID: context.runID,
                            stage: context.stageID,
                            index: context.stageIndex,
                            attempt: attempt,
                            delay: delay,
                            error: "\(error)"
                        )
                    )
                    logger.warning(
                        "attempt failed; retrying",
                        metadata: ["error": "\(error)", "retry.delay_s": "\(delay.seconds)"])
                    try await sleep(on: clock, for: delay)
                    attempt += 1
                }
            }
        }
        return try await withTimeout(
            options.totalTimeout,
            clock: clock,
            timeoutError: PipelineError.totalTimedOut(context.stageID, after: options.totalTimeout ?? .zero),
            operation: attempts
        )
    }

    // MARK: - Fan-out

    /// Runs a fan-out: reuses committed and cached children, runs the rest at most `maxConcurrency` at a time,
    /// committing each child as it finishes.
    private func runFanOut(
        _ stage: AnyPipelineStage,
        _ shape: FanOutShape,
        input: any Sendable,
        settings: Settings,
        context: StageContext,
        upstreamKey: String,
        resuming: Bool,
        writer: CheckpointWriter
    ) async throws -> (any Sendable, Int) {
        let unit = stage.unit
        let elements = try shape.split(input)
        let keys = try elements.map { element in
            CacheKey.make(
                stage: stage.id,
                version: stage.version,
                input: try unit.encodeInput(element),
                parameters: settings.parametersData,
                upstream: upstreamKey
            )
        }
        var results = [(any Sendable)?](repeating: nil, count: elements.count)
        var done = 0
        if resuming {
            for child in try await store.children(of: runID, stageIndex: context.stageIndex)
            where child.childIndex < keys.count && keys[child.childIndex] == child.inputHash {
                guard
                    await reusable(
                        child.output, stage: stage, index: context.stageIndex, source: "checkpoint",
                        logger: context.logger)
                else { continue }
                results[child.childIndex] = try unit.decodeOutput(child.output)
                done += 1
            }
        }
        if settings.options.cache.readsCache {
            let wanted = keys.indices.filter { results[$0] == nil }.map { keys[$0] }
            let entries = try await store.cacheEntries(forKeys: Array(Set(wanted)))
            var restored = CheckpointBatch()
            for index in keys.indices where results[index] == nil {
                guard let entry = entries[keys[index]], isFresh(entry, settings.options.cache),
                    await reusable(
                        entry.output, stage: stage, index: context.stageIndex, source: "cache", logger: context.logger)
                else { continue }
                results[index] = try unit.decodeOutput(entry.output)
                restored.children.append(
                    ChildRecord(
                        runID: runID,
                        stageIndex: context.stageIndex,
                        childIndex: index,
                        inputHash: keys[index],
                        output: entry.output,
                        attempts: 0,
                        duration: 0,
                        finishedAt: Date()
                    )
                )
                done += 1
            }
            if !restored.children.isEmpty {
                await writer.commitChild(restored)
                hub.emit(.cacheHit(runID: runID, stage: stage.id, index: context.stageIndex, source: .cache))
            }
        }

        let pending = keys.indices.filter { results[$0] == nil }
        let total = elements.count
        var attemptsTotal = 0
        let runID = self.runID
        let hub = self.hub
        let writesCache = settings.options.cache.writesCache
        let options = settings.options
        do {
            try await withThrowingTaskGroup(of: (Int, any Sendable, Int).self) { group in
                var next = 0
                func startChild() {
                    let index = pending[next]
                    next += 1
                    let element = elements[index]
                    let key = keys[index]
                    var logger = context.logger
                    logger[metadataKey: "stage.child"] = "\(index)"
                    let childContext = context.with(childIndex: index, logger: logger)
                    group.addTask {
                        let started = ContinuousClock.now
                        let output: any Sendable
                        let attempts: Int
                        do {
                            (output, attempts) = try await runUnit(unit, input: element, options: options, childContext)
                        } catch {
                            if error is CancellationError || Task.isCancelled { throw error }
                            guard options.continueOnError, let fallback = unit.fallback else { throw error }
                            logger.warning(
                                "child failed; continuing with its fallback output", metadata: ["error": "\(error)"])
                            (output, attempts) = (try fallback(element), 0)
                        }
                        let encoded = try unit.encodeOutput(output)
                        let now = Date()
                        var batch = CheckpointBatch(children: [
                            ChildRecord(
                                runID: runID,
                                stageIndex: childContext.stageIndex,
                                childIndex: index,
                                inputHash: key,
                                output: encoded,
                                attempts: attempts,
                                duration: (ContinuousClock.now - started).seconds,
                                finishedAt: now
                            )
                        ])
                        if writesCache, attempts > 0 {
                            batch.cacheEntries = [
                                CacheEntry(
                                    key: key, stageID: stage.id, version: stage.version, output: encoded, createdAt: now
                                )
                            ]
                        }
                        await writer.commitChild(batch)
                        return (index, output, attempts)
                    }
                }
                while next < min(shape.maxConcurrency, pending.count) { startChild() }
                while let (index, output, attempts) = try await group.next() {
                    results[index] = output
                    attemptsTotal += attempts
                    done += 1
                    hub.emit(
                        .progress(
                            runID: runID,
                            stage: stage.id,
                            index: context.stageIndex,
                            fraction: Double(done) / Double(max(total, 1)),
                            detail: "\(done)/\(total) children"
                        )
                    )
                    if next < pending.count { startChild() }
                }
            }
        } catch {
            // Whatever finished is written before the failure is reported: those children will not rerun.
            try? await writer.drainChildren()
            throw error
        }
        try await writer.drainChildren()
        let outputs = try results.enumerated().map { index, result in
            guard let result else {
                throw PipelineError.typeMismatch("fan-out child \(index) of \(stage.id) has no output")
            }
            return result
        }
        return (try shape.join(outputs), attemptsTotal)
    }

    // MARK: - Planning

    func plan(input: any Sendable) async throws -> PipelinePlan {
        var steps: [PipelinePlan.Step] = []
        var value: (any Sendable)? = input
        var upstreamKey = ""
        for (index, stage) in stages.enumerated() {
            let settings = try settings(for: stage)
            func step(_ action: PipelinePlan.Action) -> PipelinePlan.Step {
                PipelinePlan.Step(index: index, stage: stage.id, version: stage.version, action: action)
            }
            guard let known = value else {
                steps.append(step(settings.enabled ? .runsAfterUpstream : .skipped))
                continue
            }
            let key = CacheKey.make(
                stage: stage.id,
                version: stage.version,
                input: try stage.encodeStageInput(known),
                parameters: settings.parametersData,
                upstream: upstreamKey
            )
            defer { upstreamKey = key }
            if !settings.enabled {
                steps.append(step(.skipped))
                value = try stage.fallbackOutput(for: known)
                continue
            }
            if let shape = stage.fanOut {
                let keys = try shape.split(known).map {
                    CacheKey.make(
                        stage: stage.id,
                        version: stage.version,
                        input: try stage.unit.encodeInput($0),
                        parameters: settings.parametersData,
                        upstream: upstreamKey
                    )
                }
                var cached = 0
                if settings.options.cache.readsCache {
                    let entries = try await store.cacheEntries(forKeys: Array(Set(keys)))
                    cached =
                        keys.filter { key in entries[key].map { isFresh($0, settings.options.cache) } ?? false }.count
                }
                steps.append(step(.fanOut(cached: cached, total: keys.count)))
                value = nil
                continue
            }
            if settings.options.cache.readsCache, let entry = try await store.cacheEntries(forKeys: [key])[key],
                isFresh(entry, settings.options.cache)
            {
                steps.append(step(.cached))
                value = try stage.decodeStageOutput(entry.output)
            } else {
                steps.append(step(.runs))
                value = nil
            }
        }
        return PipelinePlan(pipeline: pipelineName, steps: steps)
    }
}

/// The value flowing between stages: decoded, or still as the checkpointed JSON of the stage that produced it.
///
/// Restoring a committed stage keeps its output encoded: the next stage's key is computed from those very bytes
/// (the canonical encoding the producer wrote), and the value is decoded only when a stage actually needs it.
private enum StageValue {
    case decoded(any Sendable)
    case encoded(Data, producer: AnyPipelineStage)

    func encoded(for consumer: AnyPipelineStage) throws -> Data {
        switch self {
        case .decoded(let value): return try consumer.encodeStageInput(value)
        case .encoded(let data, _): return data
        }
    }

    func decoded() throws -> any Sendable {
        switch self {
        case .decoded(let value): return value
        case .encoded(let data, let producer): return try producer.decodeStageOutput(data)
        }
    }
}
