public import Foundation
public import Logging
public import MediaIO
public import PipelineKit
public import ProviderKit
public import StoryModels

/// The ready-made story-to-video run: the default pipeline over a store shared across runs, and the export.
///
/// ```swift
/// let studio = try await StoryStudio.make(store: storeURL, configuration: StoryConfiguration())
/// let request = studio.request(topic: "a lighthouse keeper's last night", seed: 7)
/// let result = try await studio.run(request, runID: RunID(), exportTo: outputURL)
/// print(result.manifest.title, result.outputDirectory.path)
/// ```
///
/// The store holds `checkpoints.sqlite` (every stage's output, and the cache shared by all runs), `artifacts/`
/// (audio, images, video by content hash), `library.sqlite` (the story library), `runs/` (each run's saved
/// configuration and its lock, held by the process running it) and `work/` (scratch space; what a killed process
/// left there is removed when the next studio opens the store). A rerun of the same request reuses every finished
/// stage; ``resume(runID:exportTo:exporter:)`` continues an interrupted run. A run never runs in two processes at
/// once: the second gets a ``StoryPipelineError`` with code `busy`.
public struct StoryStudio: Sendable {
    /// What the stages share.
    public let services: StoryServices
    /// The runner; subscribe to ``PipelineRunner/events()`` for progress.
    public let runner: PipelineRunner
    /// The store directory.
    public let store: URL
    /// The configuration.
    public let configuration: StoryConfiguration
    /// Built once from the `pipeline` closure: the services it is built from never change.
    private let builtPipeline: Pipeline<StoryRequest, StoryState>

    /// Creates a studio from parts.
    ///
    /// - Parameters:
    ///   - store: the directory shared across runs; created when missing.
    ///   - providers: the providers.
    ///   - ffmpeg: ffmpeg for the media stages (`nil` makes them fail with a clear error).
    ///   - logger: the logger for the runner and the stages.
    ///   - scorer: the critic of the revision stage; its identity is part of the cache key.
    ///   - pipeline: the pipeline to run; ``defaultPipeline(services:)`` when omitted, or an edit of it
    ///     (`StoryStudio.defaultPipeline(services: $0).replacing(SynthesizeVoice.self, with: MyVoice())`). The
    ///     configuration's stage settings are checked against its stages.
    ///
    /// This initialiser checks no provider; ``make(store:configuration:providers:logger:eventSinks:scorer:pipeline:)``
    /// does, before anything runs.
    public init(
        store: URL, configuration: StoryConfiguration = StoryConfiguration(), providers: StoryProviders,
        ffmpeg: FFmpeg?, logger: Logger = Logger(label: "storyforge.story"), eventSinks: [any PipelineEventSink] = [],
        scorer: any ScriptScorer = HeuristicScriptScorer(),
        pipeline: @escaping @Sendable (StoryServices) throws -> Pipeline<StoryRequest, StoryState> = StoryStudio
            .defaultPipeline
    ) throws {
        let fileManager = FileManager.default
        let work = store.appendingPathComponent("work", isDirectory: true)
        do {
            try fileManager.createDirectory(at: work, withIntermediateDirectories: true)
        } catch {
            throw StoryPipelineError.file(
                "cannot create the store directory \(store.path): \(FileNames.reason(error))", underlying: error)
        }
        // Scratch of stage attempts whose process died (kill -9, power loss): their owner's lock is gone.
        OwnedDirectory.removeStale(in: work, prefix: "")
        let library = try StoryLibrary(path: store.appendingPathComponent("library.sqlite").path)
        self.store = store
        self.configuration = configuration
        self.services = StoryServices(
            providers: providers, ffmpeg: ffmpeg, library: library, workDirectory: work, scorer: scorer)
        self.builtPipeline = try pipeline(services)
        let issues = configuration.effectivePipeline.issues(for: builtPipeline.stages)
        guard issues.isEmpty else {
            throw StoryPipelineError.invalidConfiguration(
                issues.map { "pipeline.\($0.description)" }.joined(separator: "; "))
        }
        self.runner = PipelineRunner(
            store: try SQLiteCheckpointStore(path: store.appendingPathComponent("checkpoints.sqlite").path),
            artifacts: try FileSystemArtifactStore(root: store.appendingPathComponent("artifacts", isDirectory: true)),
            configuration: .init(
                durability: configuration.pipeline.durability ?? .sync, logger: logger,
                pipeline: configuration.effectivePipeline, eventSinks: eventSinks)
        )
    }

    /// Creates a studio with the providers the configuration's `providers` section selects from `environment`
    /// (``StoryProviders/fromEnvironment(_:selection:)``), then checks them as
    /// ``make(store:configuration:providers:logger:eventSinks:scorer:pipeline:)`` does.
    ///
    /// - Returns: the studio and one line per provider choice, saying what was chosen and why.
    /// - Throws: ``StoryPipelineError`` with code `missingDependency` when ffmpeg (5.1+) or an offline provider's
    ///   program (espeak-ng) is missing, naming the package to install; `provider` when a remote provider does not
    ///   answer; `invalidConfiguration` for a bad selection.
    public static func make(
        store: URL, configuration: StoryConfiguration = StoryConfiguration(),
        environment: [String: String] = ProcessInfo.processInfo.environment,
        logger: Logger = Logger(label: "storyforge.story"), eventSinks: [any PipelineEventSink] = []
    ) async throws -> (studio: StoryStudio, notes: [String]) {
        let (providers, notes) = try await StoryProviders.fromEnvironment(
            environment, selection: configuration.providers, routing: configuration.routing,
            media: configuration.media)
        let studio = try await make(
            store: store, configuration: configuration, providers: providers, logger: logger, eventSinks: eventSinks)
        return (studio, notes)
    }

    /// Creates a studio with `providers` and ffmpeg found on `PATH`, after checking that every provider works, so
    /// that a missing program, a wrong address or a wrong key is one clear message before anything runs rather than
    /// a failed stage minutes later.
    ///
    /// - Throws: ``StoryPipelineError`` with code `missingDependency` when ffmpeg (5.1+) is missing or an offline
    ///   provider cannot run (espeak-ng not installed), `provider` when a remote provider does not answer.
    public static func make(
        store: URL, configuration: StoryConfiguration = StoryConfiguration(), providers: StoryProviders,
        logger: Logger = Logger(label: "storyforge.story"), eventSinks: [any PipelineEventSink] = [],
        scorer: any ScriptScorer = HeuristicScriptScorer(),
        pipeline: @escaping @Sendable (StoryServices) throws -> Pipeline<StoryRequest, StoryState> = StoryStudio
            .defaultPipeline
    ) async throws -> StoryStudio {
        let ffmpeg: FFmpeg
        do {
            ffmpeg = try await FFmpeg.locate()
        } catch {
            throw StoryPipelineError.missingDependency(
                "ffmpeg 5.1 or later is needed to make the video: install it (sudo apt-get install ffmpeg) or put it "
                    + "on PATH (\(error))", underlying: error)
        }
        try await checkProviders(providers)
        return try StoryStudio(
            store: store, configuration: configuration, providers: providers, ffmpeg: ffmpeg, logger: logger,
            eventSinks: eventSinks, scorer: scorer, pipeline: pipeline)
    }

    /// Asks each provider (once per identity) whether it works: an offline one whose program is missing is a
    /// `missingDependency`, a remote one that does not answer a `provider` error.
    static func checkProviders(_ providers: StoryProviders) async throws {
        let fix =
            "check OPENAI_BASE_URL and OPENAI_API_KEY, OLLAMA_HOST or ELEVENLABS_API_KEY, or choose the offline "
            + "providers (\"providers\": {\"text\": \"template\", \"speech\": \"espeak\", \"images\": \"procedural\"})"
        var checked: Set<String> = []
        for (role, provider) in providers.all {
            let identity = provider.identity
            guard checked.insert(identity.fingerprint).inserted else { continue }
            do {
                _ = try await provider.checkHealth()
            } catch  where provider.capabilities.contains(.offline) {
                throw StoryPipelineError.missingDependency(
                    "the \(role) provider (\(identity.name)) cannot run on this machine: \(error). Install what it "
                        + "names, or set ELEVENLABS_API_KEY or OPENAI_API_KEY for a cloud provider", underlying: error)
            } catch {
                throw StoryPipelineError.provider(
                    "the \(role) provider (\(identity.name)) does not answer: \(error). To fix it, \(fix)",
                    underlying: error)
            }
        }
    }

    /// A request from the configuration's `story` section, with `topic` and `seed` overriding it when given.
    public func request(topic: String? = nil, seed: Int? = nil) -> StoryRequest {
        StoryRequest(
            topic: topic ?? configuration.story.topic ?? "",
            seed: seed ?? configuration.story.seed ?? 0,
            targetSeconds: configuration.story.targetSeconds ?? 45,
            language: configuration.story.language ?? "en",
            ideaCount: configuration.story.ideaCount ?? 3,
            providers: services.fingerprint)
    }

    /// The stage retry for a stage that calls `provider`: one retry layer per call.
    ///
    /// A provider that retries transient failures itself (``ProviderKit/ProviderCapabilities/retriesTransientFailures``:
    /// every remote provider ``StoryProviders/fromEnvironment(_:selection:)`` makes, or any host provider wrapped in
    /// `.withRetry()`) gets no stage retry, so a stage makes at most the provider policy's attempts (4 by default),
    /// never provider attempts × stage attempts. A provider without its own retry gets up to 3 stage attempts on a
    /// retryable ``ProviderKit/ProviderError`` (rate limit, 5xx, timeout, transport), 1 s apart and growing.
    public static func providerRetry(for provider: any Provider) -> RetryPolicy {
        guard !provider.capabilities.contains(.retriesTransientFailures) else { return .none }
        return .exponentialJitter(maxAttempts: 3, initialDelay: .seconds(1)) { error in
            guard let story = error as? StoryPipelineError, story.code == .provider else { return false }
            return (story.underlying as? ProviderError)?.isRetryable ?? false
        }
    }

    /// The pipeline this studio runs.
    public func pipeline() -> Pipeline<StoryRequest, StoryState> {
        builtPipeline
    }

    /// The default pipeline: ideas → selection → script → revision → shots → voice → timing → keyframes (fan-out, two
    /// at a time) → upscaling → assembly → quality gate. Each stage is public and can be used on its own; edit the
    /// pipeline with ``PipelineKit/Pipeline/replacing(_:with:)``, ``PipelineKit/Pipeline/removing(_:)`` and
    /// ``PipelineKit/Pipeline/inserting(_:after:)``, which keep each stage's retry.
    @Sendable public static func defaultPipeline(services: StoryServices) -> Pipeline<StoryRequest, StoryState> {
        let providers = services.providers
        let textRetry = providerRetry(for: providers.text)
        return Pipeline("story") {
            GenerateIdeas(services: services).retry(textRetry)
            SelectIdea(services: services)
            WriteScript(services: services).retry(textRetry)
            ReviseScript(services: services).retry(textRetry)
            PlanShots(services: services).retry(textRetry)
            SynthesizeVoice(services: services).retry(providerRetry(for: providers.speech))
            TimeWords(services: services).retry(
                providers.transcriber.map { providerRetry(for: $0) } ?? providerRetry(for: providers.speech))
            PlanKeyframes()
            ForEach(PaintKeyframe(services: services).retry(providerRetry(for: providers.images)), maxConcurrency: 2)
            CollectKeyframes(services: services)
            UpscaleKeyframes()
            AssembleVideo(services: services)
            QualityCheck(services: services)
        }
    }

    /// What a finished run made.
    public struct Result: Sendable {
        /// The run.
        public var runID: RunID
        /// Everything the stages made.
        public var state: StoryState
        /// The manifest written to the output directory.
        public var manifest: ExportManifest
        /// Where the files are.
        public var outputDirectory: URL
    }

    /// ``run(_:runID:exportTo:exporter:)`` before its errors are flattened into a ``StoryRunError``.
    func runUnflattened(
        _ request: StoryRequest, runID: RunID, exportTo directory: URL, exporter: StoryExporter
    ) async throws -> Result {
        try exporter.check(directory, runID: runID)
        let lock = try RunLock.acquire(runID, in: store)
        defer { lock.release() }
        try saveConfiguration(of: runID)
        try await services.library?.runStarted(id: runID, topic: request.topic, seed: request.seed)
        return try await finish(runID: runID, exportTo: directory, exporter: exporter) {
            try await runner.run(pipeline(), input: request, runID: runID)
        }
    }

    /// Saves the configuration with the run, for ``savedConfiguration(of:in:)``.
    func saveConfiguration(of runID: RunID) throws(StoryPipelineError) {
        let saved = Self.configurationURL(of: runID, in: store)
        do {
            try FileManager.default.createDirectory(
                at: saved.deletingLastPathComponent(), withIntermediateDirectories: true)
            try configuration.jsonData().write(to: saved, options: .atomic)
        } catch {
            throw StoryPipelineError.file(
                "cannot save the run's configuration to \(saved.path): \(FileNames.reason(error))", underlying: error)
        }
    }

    /// The configuration a run in `store` started with, or `nil` when none was saved.
    public static func savedConfiguration(of runID: RunID, in store: URL) throws(StoryPipelineError)
        -> StoryConfiguration?
    {
        var url = configurationURL(of: runID, in: store)
        if !FileManager.default.fileExists(atPath: url.path) {
            // Runs started before file names carried a hash of the run id.
            url = store.appendingPathComponent("runs", isDirectory: true)
                .appendingPathComponent(FileNames.sanitized(runID.rawValue, fallback: "run") + ".json")
            guard FileManager.default.fileExists(atPath: url.path) else { return nil }
        }
        return try StoryConfiguration.load(contentsOf: url)
    }

    /// `runs/<sanitized id>-<hash of the exact id>.json`: one file per run id, however ids differ.
    static func configurationURL(of runID: RunID, in store: URL) -> URL {
        store.appendingPathComponent("runs", isDirectory: true)
            .appendingPathComponent(FileNames.unique(forRunID: runID.rawValue) + ".json")
    }

    /// Every run the story library knows, newest first; a run recorded as `running` whose process is gone reads as
    /// `interrupted`.
    public func runs() async throws -> [StoryLibrary.RunSummary] {
        try await services.library?.runs() ?? []
    }

    /// ``resume(runID:exportTo:exporter:)`` before its errors are flattened into a ``StoryRunError``.
    func resumeUnflattened(runID: RunID, exportTo directory: URL, exporter: StoryExporter) async throws -> Result {
        guard let record = try await runner.store.run(runID) else {
            throw PipelineError.runNotFound("no run \(runID) in \(store.path)")
        }
        // A folder holding this run's storyboard (it stopped for review there), or the export of the run a re-render
        // started from, is this run's to export into.
        let exporter =
            Storyboard.folder(directory, belongsTo: [runID.rawValue, Self.rootRun(of: runID)])
            ? StoryExporter(force: true) : exporter
        try exporter.check(directory, runID: runID)
        let lock = try RunLock.acquire(runID, in: store)
        defer { lock.release() }
        if record.pipeline == Self.storyboardPipelineName {
            // A storyboard re-render: its own stages, from its input.
            let render = try JSONDecoder().decode(StoryboardRender.self, from: record.input)
            let stages = Self.storyboardPipeline(services: services, for: render)
            let rerunner = auxiliaryRunner(for: stages.stages, extraSinks: [])
            try await services.library?.runStarted(
                id: runID, topic: render.state.request.topic, seed: render.state.request.seed)
            return try await finish(runID: runID, exportTo: directory, exporter: exporter) {
                try await rerunner.resume(stages, runID: runID)
            }
        }
        let request = try? StoryJSON.decode(StoryRequest.self, from: record.input)
        try await services.library?.runStarted(
            id: runID, topic: request?.topic ?? "", seed: request?.seed ?? 0)
        return try await finish(runID: runID, exportTo: directory, exporter: exporter) {
            try await runner.resume(pipeline(), runID: runID)
        }
    }

    /// A dry run: which stages would come from the cache and which would run.
    public func plan(_ request: StoryRequest) async throws -> PipelinePlan {
        try await runner.plan(pipeline(), input: request)
    }

    func finish(
        runID: RunID, exportTo directory: URL, exporter: StoryExporter, _ body: () async throws -> StoryState
    ) async throws -> Result {
        do {
            let state = try await body()
            let manifest = try await exporter.export(
                state, runID: runID, artifacts: runner.artifacts, to: directory)
            if let idea = state.idea, let script = state.script {
                try await services.library?.recordExport(
                    runID: runID, idea: idea, script: script, manifest: manifest, outputDirectory: directory)
            }
            try await services.library?.runEnded(id: runID, status: .succeeded)
            return Result(runID: runID, state: state, manifest: manifest, outputDirectory: directory)
        } catch {
            let cancelled = error is CancellationError || Task.isCancelled
            try? await services.library?.runEnded(
                id: runID, status: cancelled ? .cancelled : .failed, error: "\(error)")
            throw error
        }
    }
}
