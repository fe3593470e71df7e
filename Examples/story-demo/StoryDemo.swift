import ArgumentParser
import Foundation
import Logging
import PipelineKit
import StoryModels
import StoryPipeline
import UnixSignals

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

@main
struct StoryDemo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "story-demo",
        abstract: "Make a short vertical story video, from idea to MP4, with StoryForge.",
        discussion: """
            With no API keys it runs offline: a template writer (not a language model), the espeak-ng voice and
            procedural placeholder pictures. Set OPENAI_API_KEY (and OPENAI_BASE_URL for a compatible server), run
            Ollama (OLLAMA_HOST), or set ELEVENLABS_API_KEY to use real models; --config FILE chooses explicitly.

            Finished stages are kept in the store (--store, default $XDG_CACHE_HOME/storyforge), so a rerun of the
            same topic and seed reuses them, and --resume RUN_ID continues a run that was stopped or killed.

            Review before rendering: --stop-after keyframes writes storyboard.json and a contact sheet
            (storyboard.html) into --output and stops. Edit a shot's narration, visual_prompt or user_media (a file
            of your own), then --resume RUN_ID --storyboard storyboard.json re-renders only what the edits change.
            """
    )

    @Option(help: "What the story is about (default: the config file's, else the idea stage chooses).")
    var topic: String?

    @Option(help: "A configuration file (JSON): story, providers, render and per-stage settings.")
    var config: String?

    @Option(help: "Where the finished files go (default: ./storyforge-output/<run>).")
    var output: String?

    @Option(help: "The store shared across runs: checkpoints, caches, the story library.")
    var store: String?

    @Option(help: "Continue the run with this id.")
    var resume: String?

    @Option(
        help: """
            Stop after this stage (keyframes, shots, voice, …), write storyboard.json and storyboard.html into \
            --output, and keep the run resumable.
            """)
    var stopAfter: String?

    @Option(help: "With --resume: apply this edited storyboard.json and re-render only what it changes.")
    var storyboard: String?

    @Option(help: "The seed for every provider and procedural choice.")
    var seed: Int?

    @Option(help: "Spoken length to aim for, in seconds (default 45).")
    var targetSeconds: Double?

    @Option(help: "The frame: 9:16 (default, 1080×1920), 16:9, 1:1, 4:5, or WxH (even sides, 256…4096).")
    var aspect: String?

    @Option(help: "The narration's language, a BCP 47 tag (en, de, es, ja…; default en).")
    var language: String?

    @Option(help: "How fast the voice speaks, 0.75…1.5 × its normal rate.")
    var speechRate: Double?

    @Flag(help: "Overlay the story's title over the first seconds.")
    var titleHook = false

    @Option(help: "Overlay this line over the first seconds instead of the title.")
    var hook: String?

    @Flag(help: "Show which stages would run and which come from the cache, and stop.")
    var dryRun = false

    @Flag(
        help: """
            Export into --output even when it holds files that are not an earlier export of this run: files with \
            the export's names are replaced, nothing else is touched.
            """)
    var force = false

    func validate() throws {
        let targetRange = StoryConfiguration.Limits.targetSeconds
        if let targetSeconds, !targetRange.contains(targetSeconds) {
            throw ValidationError(
                "--target-seconds must be between \(Int(targetRange.lowerBound)) and \(Int(targetRange.upperBound))")
        }
        if resume != nil, topic != nil || seed != nil || aspect != nil || language != nil || speechRate != nil {
            throw ValidationError(
                "--resume continues a run as it was started: leave out --topic, --seed, --aspect, --language and "
                    + "--speech-rate")
        }
        if storyboard != nil, resume == nil {
            throw ValidationError("--storyboard needs --resume RUN_ID: the run the storyboard was written from")
        }
        if storyboard != nil, stopAfter != nil {
            throw ValidationError("--storyboard and --stop-after do not go together: apply the edits, or stop")
        }
        if stopAfter != nil, dryRun {
            throw ValidationError("--dry-run stops before anything runs: leave out --stop-after")
        }
        if let aspect {
            do {
                _ = try FrameAspect(aspect)
            } catch {
                throw ValidationError("--aspect \(error.message)")
            }
        }
        if let language, !LanguageTag.isWellFormed(language) {
            throw ValidationError("--language must be a BCP 47 tag such as en, de, es-419 or ja")
        }
        if let hook, hook.count > StoryConfiguration.Limits.hookLength {
            throw ValidationError("--hook must be at most \(StoryConfiguration.Limits.hookLength) characters")
        }
        if let speechRate, !StoryConfiguration.Limits.speechRate.contains(speechRate) {
            throw ValidationError("--speech-rate must be between 0.75 and 1.5")
        }
    }

    func run() async throws {
        var configuration = StoryConfiguration()
        if let config {
            do {
                configuration = try StoryConfiguration.load(contentsOf: URL(fileURLWithPath: config))
            } catch {
                fail("bad configuration: \(error.message)")
            }
        }
        let storeURL = URL(fileURLWithPath: store ?? Self.defaultStore(), isDirectory: true)
        if let resume, config == nil {
            do {
                if let saved = try StoryStudio.savedConfiguration(of: RunID(resume), in: storeURL) {
                    configuration = saved
                }
            } catch {
                fail("the saved configuration of run \(resume) is unreadable: \(error.message)")
            }
        }
        if let targetSeconds { configuration.story.targetSeconds = targetSeconds }
        if let aspect {
            // The flag replaces the file's frame size: aspect and width/height together are an error.
            configuration.render.aspect = aspect
            configuration.render.width = nil
            configuration.render.height = nil
        }
        if let language { configuration.story.language = language }
        if let speechRate { configuration.story.speechRate = speechRate }
        if let hook {
            configuration.story.titleHook = .init(text: hook)
        } else if titleHook {
            configuration.story.titleHook = .storyTitle
        }

        let progress = ProgressDisplay(interactive: isatty(STDOUT_FILENO) == 1)
        var logger = Logger(label: "storyforge.story-demo")
        logger.logLevel =
            ProcessInfo.processInfo.environment["STORYFORGE_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical

        let studio: StoryStudio
        do {
            let made = try await StoryStudio.make(
                store: storeURL, configuration: configuration, logger: logger, eventSinks: [progress])
            studio = made.studio
            for note in made.notes { say("  \(note)") }
        } catch let error as StoryPipelineError {
            fail(error.message)
        } catch {
            fail("cannot open the store \(storeURL.path): \(Self.describe(error))")
        }

        let runID = RunID(resume ?? Self.newRunID())
        let storyboardURL = storyboard.map { URL(fileURLWithPath: $0).standardizedFileURL }
        // An edited storyboard is re-rendered into its own folder unless told otherwise.
        let outputURL = URL(
            fileURLWithPath: output ?? storyboardURL?.deletingLastPathComponent().path
                ?? "storyforge-output/\(runID.rawValue)", isDirectory: true
        ).standardizedFileURL
        let stopStage: StageID?
        do {
            stopStage = try stopAfter.map { try studio.stopStage(named: $0) }
        } catch let error as StoryPipelineError {
            fail(error.message)
        } catch {
            fail("\(error)")
        }

        if dryRun {
            do {
                say("\(try await studio.plan(studio.request(topic: topic, seed: seed)))")
            } catch {
                fail("cannot plan the run: \(error)")
            }
            return
        }

        let exporter = StoryExporter(force: force)
        // A folder holding this run's storyboard review is checked by the studio, which knows the run's re-renders.
        if stopStage == nil, storyboardURL == nil, !Storyboard.folder(outputURL, belongsTo: [runID.rawValue]) {
            do {
                try exporter.check(outputURL, runID: runID)
            } catch {
                fail(error.message)
            }
        }
        // The command that continues this run, with every option that locates it.
        var continueCommand = "story-demo --resume \(runID.rawValue) --output \(Self.quoted(outputURL.path))"
        if store != nil { continueCommand += " --store \(Self.quoted(storeURL.path))" }
        if force { continueCommand += " --force" }
        if let storyboardURL { continueCommand += " --storyboard \(Self.quoted(storyboardURL.path))" }

        say("run \(runID.rawValue)\(resume == nil ? "" : " (resumed)")")
        say("store \(storeURL.path)")
        progress.start(totalStages: studio.pipeline().stages.count)
        let resumed = resume != nil
        let request = studio.request(topic: topic, seed: seed)
        let task = Task { () async throws -> Outcome in
            if let storyboardURL {
                return .storyboard(
                    try await studio.resume(
                        runID: runID, storyboard: storyboardURL, exportTo: outputURL, exporter: exporter))
            }
            if let stopStage {
                return .stopped(
                    resumed
                        ? try await studio.resume(runID: runID, stoppingAfter: stopStage, writeTo: outputURL)
                        : try await studio.run(request, runID: runID, stoppingAfter: stopStage, writeTo: outputURL))
            }
            if resumed {
                return .finished(try await studio.resume(runID: runID, exportTo: outputURL, exporter: exporter))
            }
            return .finished(try await studio.run(request, runID: runID, exportTo: outputURL, exporter: exporter))
        }
        let interrupt = await Self.onInterrupt { task.cancel() }
        defer { interrupt.cancel() }

        let outcome: Outcome
        do {
            outcome = try await task.value
        } catch {
            progress.finishLine()
            if task.isCancelled || (error as? StoryRunError)?.code == .cancelled {
                say("stopped. Continue with: \(continueCommand)")
                throw ExitCode(130)
            }
            guard Self.isResumable(error) else { fail(Self.describe(error)) }
            fail(Self.describe(error) + "\nContinue after fixing it with: \(continueCommand)")
        }
        progress.finishLine()
        switch outcome {
        case .stopped(let stopped):
            let board = stopped.outputDirectory.appendingPathComponent(Storyboard.fileName).path
            say("")
            say("stopped after \(stopped.stage) for review: \(stopped.storyboard.shots.count) shots")
            say("storyboard: \(board)")
            say("contact sheet: \(stopped.outputDirectory.appendingPathComponent(Storyboard.contactSheetName).path)")
            say("Edit a shot's narration, visual_prompt or user_media, then continue with:")
            say("  story-demo --resume \(runID.rawValue) --storyboard \(Self.quoted(board))" + storeOption)
            say("or continue unchanged with: \(continueCommand)")
        case .storyboard(let applied):
            summarize(applied.result, progress: progress, providersOffline: studio.services.providers.isOffline)
            say("")
            if applied.edits.isEmpty {
                say("the storyboard changes nothing: nothing reran")
            } else if applied.reruns.isEmpty {
                say("this storyboard was applied before (run \(applied.result.runID)): nothing reran")
            } else {
                say("reran (run \(applied.result.runID)):")
                for rerun in applied.reruns { say("  \(rerun)") }
            }
        case .finished(let result):
            summarize(result, progress: progress, providersOffline: studio.services.providers.isOffline)
        }
    }

    /// What a run came to.
    enum Outcome: Sendable {
        case finished(StoryStudio.Result)
        case stopped(StoryStudio.Stopped)
        case storyboard(StoryStudio.StoryboardResult)
    }

    private var storeOption: String {
        store.map { " --store \(Self.quoted(URL(fileURLWithPath: $0).path))" } ?? ""
    }

    private func summarize(_ result: StoryStudio.Result, progress: ProgressDisplay, providersOffline: Bool) {
        let manifest = result.manifest
        say("")
        say("\"\(manifest.title)\" — \(String(format: "%.1f", manifest.videoDuration)) s of video")
        if let qc = result.state.qc {
            say(
                "quality gate: \(qc.passed ? "passed" : "FAILED (exported because warn_only is set)") (\(qc.checks.count) checks)"
            )
        }
        say("stages:")
        for line in progress.stageSummary() { say("  \(line)") }
        // With per-task routing: which route served each task, and why.
        let routes = manifest.routeSummary
        if !routes.isEmpty {
            say("routes:")
            for route in routes { say("  \(route.summary)") }
        }
        let usage = manifest.totalUsage
        say(
            "cache hits: \(progress.cacheHits) of \(progress.stagesSeen) stages; tokens: \(usage.totalTokens); "
                + "cost: $\(String(format: "%.4f", manifest.totalCostUsd))")
        say("wall time: \(String(format: "%.1f", progress.elapsed)) s")
        say("files in \(result.outputDirectory.path):")
        for file in manifest.files { say("  \(file.path) (\(file.bytes) bytes)") }
        say("  manifest.json")
        if providersOffline {
            say("")
            say("Made offline: the words come from a template writer and the pictures are procedural placeholders.")
            say("For real models set OPENAI_API_KEY (or OPENAI_BASE_URL), run Ollama, or set ELEVENLABS_API_KEY.")
        }
    }

    static func defaultStore() -> String {
        let environment = ProcessInfo.processInfo.environment
        if let cache = environment["XDG_CACHE_HOME"], !cache.isEmpty { return cache + "/storyforge" }
        return (environment["HOME"] ?? FileManager.default.currentDirectoryPath) + "/.cache/storyforge"
    }

    static func newRunID() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: Date()) + "-" + UUID().uuidString.lowercased().prefix(4)
    }

    /// The most useful message of an error, once: the innermost story or pipeline error under a failed stage,
    /// without the wrapping (a stage's message already contains its error's, so it is never printed beside it).
    static func describe(_ error: any Error) -> String {
        if let run = error as? StoryRunError { return run.description }
        if let pipeline = error as? PipelineError {
            if pipeline.code == .stageFailed, let underlying = pipeline.underlying {
                let stage = pipeline.stageID.map(\.rawValue) ?? "?"
                return "stage \(stage) failed: \(describe(underlying))"
            }
            return pipeline.message
        }
        if let story = error as? StoryPipelineError { return story.message }
        return "\(error)"
    }

    /// Whether "continue with --resume" is worth suggesting: not for a run that does not exist, one running
    /// elsewhere, or a store that cannot be read.
    static func isResumable(_ error: any Error) -> Bool {
        if let run = error as? StoryRunError {
            // A failed stage can be continued whatever failed inside it; so can a run that was cut short.
            guard run.stage == nil else { return true }
            return ![.runNotFound, .pipelineMismatch, .checkpointCorrupt, .storeFailure, .busy, .library].contains(
                run.code)
        }
        if let pipeline = error as? PipelineError {
            return ![.runNotFound, .pipelineMismatch, .checkpointCorrupt, .storeFailure].contains(pipeline.code)
        }
        if let story = error as? StoryPipelineError { return ![.busy, .library].contains(story.code) }
        return true
    }

    /// A path as a shell reads it: as it is when it is plain, else in single quotes.
    static func quoted(_ path: String) -> String {
        let plain = !path.isEmpty && path.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=+,@%".contains($0) }
        return plain ? path : "'" + path.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// Calls `handler` on the first Ctrl-C (SIGINT) or SIGTERM instead of dying, so that the run stops cleanly; a
    /// second one exits at once (ffmpeg dies with this process). Cancel the returned task to stop listening.
    ///
    /// The signals come from swift-service-lifecycle's `UnixSignalsSequence`, which traps them before this returns.
    /// Its `ServiceGroup` is not used: it turns a signal into a graceful shutdown once and has no "a second signal
    /// quits at once" step, and one command that runs one job has no services to shut down in order.
    static func onInterrupt(_ handler: @escaping @Sendable () -> Void) async -> Task<Void, Never> {
        let signals = await UnixSignalsSequence(trapping: .sigint, .sigterm)
        return Task {
            var seen = 0
            for await _ in signals {
                seen += 1
                if seen > 1 { Foundation.exit(130) }
                say("\nstopping… (again to quit at once)")
                handler()
            }
        }
    }

    private func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        Foundation.exit(1)
    }
}

/// Writes a line to standard output at once (unbuffered, even into a pipe), so that a supervisor sees progress as it
/// happens.
func say(_ line: String = "") {
    FileHandle.standardOutput.write(Data((line + "\n").utf8))
}
