public import Foundation
import MediaIO
public import PipelineKit
import ProviderKit
import StoryForgeCore
import StoryModels
import Synchronization

extension StoryStudio {
    /// A run that stopped for review after a stage, with the storyboard it wrote.
    public struct Stopped: Sendable {
        /// The run; ``StoryStudio/resume(runID:exportTo:exporter:)`` continues it, and
        /// ``StoryStudio/resume(runID:storyboard:exportTo:exporter:)`` continues it with the storyboard's edits.
        public var runID: RunID
        /// The stage it stopped after.
        public var stage: StageID
        /// The story so far.
        public var state: StoryState
        /// The storyboard written into ``outputDirectory``.
        public var storyboard: Storyboard
        /// Where `storyboard.json`, `storyboard.html` and `keyframes/` are.
        public var outputDirectory: URL
    }

    /// One thing a storyboard resume made again, and why.
    public struct Rerun: Sendable, Hashable, CustomStringConvertible {
        /// The stage, e.g. `keyframes`, `voice`, `assemble`.
        public var stage: String
        /// The shot concerned, for per-shot work.
        public var shot: Int?
        /// Why it ran again, in words.
        public var reason: String

        /// Creates an entry.
        public init(stage: String, shot: Int? = nil, reason: String) {
            self.stage = stage
            self.shot = shot
            self.reason = reason
        }

        /// `keyframes, shot 3: visual prompt edited`.
        public var description: String {
            "\(stage)\(shot.map { ", shot \($0)" } ?? ""): \(reason)"
        }
    }

    /// What a resume with a storyboard did.
    public struct StoryboardResult: Sendable {
        /// The finished story (its ``Result/runID`` is the re-render's run when anything changed).
        public var result: Result
        /// What the storyboard changed.
        public var edits: StoryboardEdits
        /// What ran again and why, in pipeline order; empty when the storyboard changed nothing.
        public var reruns: [Rerun]
        /// The stages that actually ran in this call (not restored from a checkpoint or the cache).
        public var stagesRun: [StageID]
    }

    /// The stage `name` stops after: `keyframes` means the end of the keyframe fan-out (`keyframe-collect`), and a
    /// fan-out or the last stage cannot be a stop.
    ///
    /// - Throws: ``StoryPipelineError`` with code `invalidConfiguration` naming the stages that can.
    public func stopStage(named name: String) throws(StoryPipelineError) -> StageID {
        let stages = pipeline().stages
        let stoppable = stages.dropLast().filter { $0.maxConcurrency == nil }.map(\.id)
        var wanted = StageID(name)
        if name == PaintKeyframe.id.rawValue, stoppable.contains(CollectKeyframes.id) { wanted = CollectKeyframes.id }
        guard stoppable.contains(wanted) else {
            throw .invalidConfiguration(
                "--stop-after \(name.prefix(60)): not a stage the run can stop after (one of "
                    + (["keyframes"] + stoppable.map(\.rawValue)).joined(separator: ", ") + ")")
        }
        return wanted
    }

    /// Runs `request` until `stage` has committed, then stops and writes the storyboard (`storyboard.json`,
    /// `storyboard.html` and the keyframes made so far) into `directory`.
    ///
    /// The run is left resumable: ``resume(runID:exportTo:exporter:)`` continues it from the next stage, and
    /// ``resume(runID:storyboard:exportTo:exporter:)`` continues it with the user's edits. Its record says
    /// `cancelled` ("stopped after … for review").
    ///
    /// - Throws: ``StoryRunError`` as ``run(_:runID:exportTo:exporter:)`` does; `invalidConfiguration` for a stage
    ///   that is not a stop (``stopStage(named:)``).
    public func run(
        _ request: StoryRequest, runID: RunID = RunID(), stoppingAfter stage: StageID, writeTo directory: URL
    ) async throws(StoryRunError) -> Stopped {
        do {
            try checkStop(stage, directory: directory, runID: runID)
            let lock = try RunLock.acquire(runID, in: store)
            defer { lock.release() }
            try saveConfiguration(of: runID)
            try await services.library?.runStarted(id: runID, topic: request.topic, seed: request.seed)
            return try await stopping(after: stage, runID: runID, directory: directory) { runner in
                try await runner.run(pipeline(), input: request, runID: runID)
            }
        } catch {
            throw StoryRunError(flattening: error)
        }
    }

    /// Continues a run until `stage` has committed, then stops and writes its storyboard into `directory`, as
    /// ``run(_:runID:stoppingAfter:writeTo:)`` does.
    public func resume(runID: RunID, stoppingAfter stage: StageID, writeTo directory: URL)
        async throws(StoryRunError) -> Stopped
    {
        do {
            guard let record = try await runner.store.run(runID) else {
                throw PipelineError.runNotFound("no run \(runID) in \(store.path)")
            }
            try checkStop(stage, directory: directory, runID: runID)
            let lock = try RunLock.acquire(runID, in: store)
            defer { lock.release() }
            let request = try? StoryJSON.decode(StoryRequest.self, from: record.input)
            try await services.library?.runStarted(id: runID, topic: request?.topic ?? "", seed: request?.seed ?? 0)
            return try await stopping(after: stage, runID: runID, directory: directory) { runner in
                try await runner.resume(pipeline(), runID: runID)
            }
        } catch {
            throw StoryRunError(flattening: error)
        }
    }

    /// Continues run `runID` with the edits of an edited storyboard and exports the story to `directory`,
    /// re-rendering only what the edits change:
    ///
    /// - a changed `visual_prompt` or `mood` repaints that shot's keyframe (every other keyframe is kept), then
    ///   upscales, assembles and checks the video again;
    /// - a changed `narration` makes a script version from the shots' narration, re-voices and re-times the story
    ///   (subtitles included), then assembles and checks the video again; keyframes are kept;
    /// - `user_media` puts the user's file (checked, then copied into the artifact store) in place of the shot's
    ///   picture, as a still or a clip (``ShotMedia`` with source `user`);
    /// - a storyboard that changes nothing reruns nothing: the run continues as a plain resume would (a finished
    ///   run is only exported again).
    ///
    /// The re-render is a run of its own (`<run>+sb-<hash of the edited state>`, pipeline `storyboard`) over the same
    /// store, so applying the same storyboard twice runs nothing the second time; its events go to the studio's
    /// event sinks.
    ///
    /// - Parameter userMediaFolder: where `user_media` files may be; `nil` lets a storyboard name any file this
    ///   process can read, which suits a person on their own machine. A host taking storyboards from others (a
    ///   server) passes the folder their uploads go to, so that a storyboard cannot make it read its own files.
    /// - Throws: ``StoryRunError``: `invalidConfiguration` for a storyboard that does not fit the run (another run's,
    ///   another version, shots added, removed or reordered, a read-only field changed); `file` or `media` for a
    ///   user file that is missing, outside `userMediaFolder` or does not decode; `runNotFound`; and a failed
    ///   stage's error.
    public func resume(
        runID: RunID, storyboard url: URL, exportTo directory: URL, exporter: StoryExporter = .init(),
        userMediaFolder: URL? = nil
    ) async throws(StoryRunError) -> StoryboardResult {
        do {
            return try await resumeWithStoryboard(
                runID: runID, storyboard: url, exportTo: directory, exporter: exporter,
                userMediaFolder: userMediaFolder)
        } catch {
            throw StoryRunError(flattening: error)
        }
    }

    private func resumeWithStoryboard(
        runID: RunID, storyboard url: URL, exportTo directory: URL, exporter: StoryExporter, userMediaFolder: URL?
    ) async throws -> StoryboardResult {
        guard let record = try await runner.store.run(runID) else {
            throw PipelineError.runNotFound("no run \(runID) in \(store.path)")
        }
        let data: Data
        do {
            data = try InputFile.read(url, maxByteCount: Storyboard.readLimit)
        } catch {
            throw StoryPipelineError.file("cannot read the storyboard \(url.path): \(error.message)", underlying: error)
        }
        let board = try Storyboard.decode(data, source: url.lastPathComponent)
        let base = try await latestState(of: record)
        let edits = try board.edits(against: base, runID: runID, relativeTo: url.deletingLastPathComponent())
        let root = Self.rootRun(of: runID)

        guard !edits.isEmpty else {
            let before = Set(try await runner.store.stages(of: runID).filter { $0.status != .failed }.map(\.index))
            // A stopped run continues, a finished one (a re-render included) is only exported again.
            let result = try await resumeUnflattened(runID: runID, exportTo: directory, exporter: exporter)
            let stages = pipeline().stages
            // Stages that ran now: new records with attempts (a stage restored from the cache has none).
            let ran = try await runner.store.stages(of: runID).filter { !before.contains($0.index) && $0.attempts > 0 }
                .sorted { $0.index < $1.index }.map(\.stageID)
            return StoryboardResult(
                result: result, edits: edits,
                reruns: ran.map { id in
                    Rerun(stage: id.rawValue, reason: "not run yet: the run had stopped before it")
                }.filter { rerun in stages.contains { $0.id.rawValue == rerun.stage } }, stagesRun: ran)
        }

        guard base.keyframes != nil else {
            throw StoryPipelineError.invalidConfiguration(
                "run \(runID) stopped before its keyframes were painted: edit the storyboard after --stop-after "
                    + "keyframes, or resume without --storyboard")
        }
        let shots = try base.required(\.shotlist).shots
        var imported: [Int: ImportedMedia] = [:]
        for (id, file) in edits.userMedia.sorted(by: { $0.key < $1.key }) {
            guard let shot = shots.first(where: { $0.id == id }) else { continue }
            if let folder = userMediaFolder {
                // Links resolved first: a link inside the folder to a file outside it is outside.
                let allowed = folder.standardizedFileURL.resolvingSymlinksInPath().path
                let path = file.standardizedFileURL.resolvingSymlinksInPath().path
                guard path.hasPrefix(allowed.hasSuffix("/") ? allowed : allowed + "/") else {
                    throw StoryPipelineError.file(
                        "shot \(id): user_media \(file.lastPathComponent) is outside the folder user files are "
                            + "taken from (\(folder.path))")
                }
            }
            imported[id] = try await ImportedMedia.load(
                file, shot: shot, artifacts: runner.artifacts, ffmpeg: services.ffmpeg,
                scratch: services.workDirectory)
        }
        var state = try base.applying(edits, imported: imported)
        let repaint = edits.prompts.keys.filter { imported[$0] == nil }.sorted()
        let pictures = !repaint.isEmpty || !imported.isEmpty
        if !pictures { state.upscaledKeyframes = base.upscaledKeyframes }
        let render = StoryboardRender(state: state, repaint: repaint, baseRun: runID.rawValue)
        let hash = HexDigest.sha256(try StoryJSON.encode(render)).prefix(12)
        let derived = RunID("\(root)+sb-\(hash)")

        let exporter =
            Storyboard.folder(directory, belongsTo: [runID.rawValue, root, derived.rawValue])
            ? StoryExporter(force: true) : exporter
        try exporter.check(directory, runID: derived)
        let baseLock = try RunLock.acquire(runID, in: store)
        defer { baseLock.release() }
        let lock = try RunLock.acquire(derived, in: store)
        defer { lock.release() }
        try saveConfiguration(of: derived)
        try await services.library?.runStarted(id: derived, topic: state.request.topic, seed: state.request.seed)

        let storyboardPipeline = Self.storyboardPipeline(services: services, for: render)
        let started = StartedStages(runID: derived)
        let rerunner = auxiliaryRunner(for: storyboardPipeline.stages, extraSinks: [started])
        let result = try await finish(runID: derived, exportTo: directory, exporter: exporter) {
            if try await rerunner.store.run(derived) != nil {
                return try await rerunner.resume(storyboardPipeline, runID: derived)
            }
            return try await rerunner.run(storyboardPipeline, input: render, runID: derived)
        }
        // Only what this call ran: a storyboard applied before comes back from its checkpoints.
        let ran = Set(started.stages.map(\.rawValue))
        let reruns = Self.reruns(edits: edits, repaint: repaint, imported: imported, stages: storyboardPipeline.stages)
            .filter { ran.contains($0.stage == PaintKeyframe.id.rawValue ? ApplyStoryboard.id.rawValue : $0.stage) }
        return StoryboardResult(result: result, edits: edits, reruns: reruns, stagesRun: started.stages)
    }

    /// The name of the re-render pipeline, stored with its runs.
    static let storyboardPipelineName = "storyboard"

    /// `a+sb-1` → `a`: the run a chain of re-renders started from.
    static func rootRun(of runID: RunID) -> String {
        runID.rawValue.components(separatedBy: "+sb-").first ?? runID.rawValue
    }

    /// The re-render of `render`: the storyboard's repaints, then (when the narration changed, so the voice is gone)
    /// voice and timing, then (when a picture changed, so the upscaled keyframes are gone) upscaling, then assembly
    /// and the quality gate, each as the default pipeline runs it. A function of the run's input, so that an
    /// interrupted re-render resumes with the same stages.
    static func storyboardPipeline(services: StoryServices, for render: StoryboardRender)
        -> Pipeline<StoryboardRender, StoryState>
    {
        let revoice = render.state.voice == nil
        let upscale = render.state.upscaledKeyframes == nil
        let providers = services.providers
        let apply = ApplyStoryboard(services: services).retry(providerRetry(for: providers.images))
        let voice = SynthesizeVoice(services: services).retry(providerRetry(for: providers.speech))
        let timing = TimeWords(services: services).retry(
            providers.transcriber.map { providerRetry(for: $0) } ?? providerRetry(for: providers.speech))
        let video = Pipeline<StoryState, StoryState>(storyboardPipelineName) {
            AssembleVideo(services: services)
            QualityCheck(services: services)
        }
        switch (revoice, upscale) {
        case (true, true):
            return Pipeline(storyboardPipelineName) {
                apply
                voice
                timing
                UpscaleKeyframes()
                video
            }
        case (true, false):
            return Pipeline(storyboardPipelineName) {
                apply
                voice
                timing
                video
            }
        case (false, true):
            return Pipeline(storyboardPipelineName) {
                apply
                UpscaleKeyframes()
                video
            }
        case (false, false):
            return Pipeline(storyboardPipelineName) {
                apply
                video
            }
        }
    }

    /// What the re-render makes again, and why, in pipeline order.
    static func reruns(
        edits: StoryboardEdits, repaint: [Int], imported: [Int: ImportedMedia], stages: [AnyPipelineStage]
    ) -> [Rerun] {
        func list(_ ids: some Sequence<Int>) -> String { ids.sorted().map(String.init).joined(separator: ", ") }
        var reruns = repaint.map {
            Rerun(stage: PaintKeyframe.id.rawValue, shot: $0, reason: "visual prompt or mood edited")
        }
        for (id, file) in imported {
            reruns.append(
                Rerun(
                    stage: PaintKeyframe.id.rawValue, shot: id,
                    reason: "replaced by the user's \(file.media.kind.rawValue) \(file.media.sourceItem ?? "")"))
        }
        reruns.sort { ($0.shot ?? 0) < ($1.shot ?? 0) }
        let ids = Set(stages.map(\.id))
        let narration = "narration of shot \(list(edits.narration.keys)) edited"
        if ids.contains(SynthesizeVoice.id) {
            reruns.append(Rerun(stage: SynthesizeVoice.id.rawValue, reason: narration))
            reruns.append(Rerun(stage: TimeWords.id.rawValue, reason: "the voice changed (\(narration))"))
        }
        let pictures = Set(repaint).union(imported.keys)
        if ids.contains(UpscaleKeyframes.id) {
            reruns.append(
                Rerun(
                    stage: UpscaleKeyframes.id.rawValue,
                    reason: pictures.isEmpty
                        ? "not run yet: the run had stopped before it"
                        : "the keyframe of shot \(list(pictures)) changed"))
        }
        var changed: [String] = []
        if !pictures.isEmpty { changed.append("the picture of shot \(list(pictures))") }
        if !edits.narration.isEmpty { changed.append("the voice and its timing") }
        reruns.append(
            Rerun(stage: AssembleVideo.id.rawValue, reason: changed.joined(separator: " and ") + " changed"))
        reruns.append(Rerun(stage: QualityCheck.id.rawValue, reason: "the video changed"))
        return reruns
    }

    /// The run's latest story: a finished run's output, else the output of its last committed stage that holds
    /// one (the keyframe fan-out's children do not).
    func latestState(of record: RunRecord) async throws -> StoryState {
        if record.status == .succeeded, let output = record.output,
            let state = try? JSONDecoder().decode(StoryState.self, from: output)
        {
            return state
        }
        let committed = try await runner.store.stages(of: record.id)
            .filter { $0.status != .failed }.sorted { $0.index > $1.index }
        for stage in committed {
            if let output = stage.output, let state = try? JSONDecoder().decode(StoryState.self, from: output) {
                return state
            }
        }
        throw StoryPipelineError.missingInput(
            "run \(record.id) has no story yet: resume it (it stopped before its first stage finished)")
    }

    private func checkStop(_ stage: StageID, directory: URL, runID: RunID) throws(StoryPipelineError) {
        _ = try stopStage(named: stage.rawValue)
        guard Storyboard.folder(directory, belongsTo: [runID.rawValue]) else {
            throw .file(
                "the output folder \(directory.path) is not empty and holds no storyboard or export of run \(runID): "
                    + "choose an empty or new folder")
        }
    }

    /// Runs `body` on a runner that cancels the run as soon as `stage` has committed (or was restored), then writes
    /// the storyboard; a cancellation from outside, or a failure, is passed on.
    private func stopping(
        after stage: StageID, runID: RunID, directory: URL,
        _ body: @escaping @Sendable (PipelineRunner) async throws -> StoryState
    ) async throws -> Stopped {
        let stages = pipeline().stages
        guard let index = stages.firstIndex(where: { $0.id == stage }) else {
            throw StoryPipelineError.invalidConfiguration("the pipeline has no stage \(stage)")
        }
        let stop = StopAfter(runID: runID, index: index)
        let stopRunner = auxiliaryRunner(for: stages, extraSinks: [stop])
        let task = Task { try await body(stopRunner) }
        stop.attach(task)
        do {
            _ = try await withTaskCancellationHandler {
                try await task.value
            } onCancel: {
                task.cancel()
            }
        } catch  where stop.reached && !Task.isCancelled {
            // The stop, not a failure.
        } catch {
            let cancelled = error is CancellationError || Task.isCancelled
            try? await services.library?.runEnded(
                id: runID, status: cancelled ? .cancelled : .failed, error: "\(error)")
            throw error
        }
        guard stop.reached, var record = try await runner.store.run(runID) else {
            // The last stage committed before the stop took effect: the run finished; it only needs its export.
            throw StoryPipelineError.invalidConfiguration(
                "run \(runID) did not stop after \(stage): it finished; resume it to export it")
        }
        let note = "stopped after \(stage) for review"
        record.error = note
        try await runner.store.commit(CheckpointBatch(run: record))
        try await services.library?.runEnded(id: runID, status: .cancelled, error: note)
        let state = try await latestState(of: record)
        let board = try await Storyboard.writeReview(
            state, runID: runID, stoppedAfter: stage, artifacts: runner.artifacts, to: directory)
        return Stopped(runID: runID, stage: stage, state: state, storyboard: board, outputDirectory: directory)
    }

    /// A runner over the studio's store and artifacts with the studio's settings for `stages` only (so that a
    /// pipeline of a few stages passes the configuration check), its event sinks and `extraSinks`. The storyboard
    /// stage takes the `keyframes` stage's settings, since it paints as that stage does.
    func auxiliaryRunner(for stages: [AnyPipelineStage], extraSinks: [any PipelineEventSink]) -> PipelineRunner {
        var configuration = runner.configuration
        let ids = Set(stages.map(\.id.rawValue))
        var settings = configuration.pipeline.stages.filter { ids.contains($0.key) }
        if ids.contains(ApplyStoryboard.id.rawValue),
            let paint = configuration.pipeline.stages[PaintKeyframe.id.rawValue]
        {
            settings[ApplyStoryboard.id.rawValue] = paint
        }
        configuration.pipeline.stages = settings
        configuration.eventSinks += extraSinks
        return PipelineRunner(store: runner.store, artifacts: runner.artifacts, configuration: configuration)
    }
}

/// Cancels a run's task once the stage at `index` has committed or been restored.
private final class StopAfter: PipelineEventSink {
    let runID: RunID
    let index: Int
    private let state = Mutex<(task: Task<StoryState, any Error>?, reached: Bool)>((nil, false))

    init(runID: RunID, index: Int) {
        self.runID = runID
        self.index = index
    }

    var reached: Bool { state.withLock { $0.reached } }

    func attach(_ task: Task<StoryState, any Error>) {
        let reached = state.withLock { value in
            value.task = task
            return value.reached
        }
        if reached { task.cancel() }
    }

    func receive(_ event: PipelineEvent) {
        guard event.runID == runID, event.index == index,
            event.kind == .stageFinished || event.kind == .cacheHit || event.kind == .stageSkipped
        else { return }
        // Cancelled from inside the run's own task, before the runner moves on: the next stage never starts.
        let task = state.withLock { value in
            value.reached = true
            return value.task
        }
        task?.cancel()
    }
}

/// The stages that started in one run.
private final class StartedStages: PipelineEventSink {
    let runID: RunID
    private let started = Mutex<[StageID]>([])

    init(runID: RunID) { self.runID = runID }

    var stages: [StageID] { started.withLock { $0 } }

    func receive(_ event: PipelineEvent) {
        guard event.runID == runID, event.kind == .stageStarted, let stage = event.stage else { return }
        started.withLock { $0.append(stage) }
    }
}
