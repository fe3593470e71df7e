public import Foundation
public import Logging
public import QueueKit
public import StoryPipeline

/// What a finished story job stores as its result: where its files are.
public struct StoryJobResult: Codable, Sendable, Hashable {
    /// The pipeline run (`job-<id>`), in the queue's checkpoint tables.
    public var runID: String
    /// The export directory, absolute on the worker that ran the job (under the shared store).
    public var outputDirectory: String
    /// The story's title.
    public var title: String
    /// The exported files, relative to ``outputDirectory``.
    public var files: [String]

    enum CodingKeys: String, CodingKey {
        case runID = "run_id"
        case outputDirectory = "output_directory"
        case title, files
    }
}

/// Runs a claimed story job with ``StoryPipeline/StoryStudio``: the studio's pipeline, providers and artifact store,
/// but the job's fenced checkpoint store, so that a worker that lost its job commits nothing, and a job resumed by
/// another worker continues from its last committed stage (the run id is `job-<id>`). The story is exported into
/// `<store>/exports/job-<id>/` (an export of the same run replaces its own files, so an export repeated after a
/// crash leaves one set) and the files are listed in the job's result.
public struct StoryJobRunner: Sendable {
    /// Makes the studio for a job's configuration.
    public typealias StudioFactory = @Sendable (StoryConfiguration) async throws -> StoryStudio

    /// The store directory shared by the workers.
    public let store: URL
    private let makeStudio: StudioFactory

    /// A runner making studios with the providers the configuration selects from `environment`.
    public init(store: URL, environment: [String: String] = ProcessInfo.processInfo.environment, logger: Logger) {
        self.init(store: store) { configuration in
            try await StoryStudio.make(
                store: store, configuration: configuration, environment: environment, logger: logger
            ).studio
        }
    }

    /// A runner making studios with `makeStudio` (a host's own providers or pipeline).
    public init(store: URL, makeStudio: @escaping StudioFactory) {
        self.store = store
        self.makeStudio = makeStudio
    }

    /// Where a job's files are exported.
    public static func exportDirectory(store: URL, job: JobID) -> URL {
        store.appendingPathComponent("exports", isDirectory: true).appendingPathComponent(
            "job-\(job)", isDirectory: true)
    }

    /// The run id of a job's pipeline run.
    public static func runID(of job: JobID) -> RunID { RunID("job-\(job)") }

    /// Runs (or resumes) the job's story, exports it and returns the encoded ``StoryJobResult``.
    public func run(_ context: JobContext) async throws -> Data {
        let job = try StoryJob(payload: context.job.payload)
        let configuration = try job.resolvedConfiguration()
        let studio = try await makeStudio(configuration)
        let runner = PipelineRunner(
            store: context.checkpoints, artifacts: studio.runner.artifacts, configuration: studio.runner.configuration)
        let runID = Self.runID(of: context.job.id)
        let directory = Self.exportDirectory(store: store, job: context.job.id)
        let exporter = StoryExporter()
        try exporter.check(directory, runID: runID)

        let pipeline = studio.pipeline()
        // The stage count and the attempt's start go with every report, so that a reader (story-server) can tell
        // how far the run is and since when, from the job's record alone.
        let stageCount = pipeline.stages.count
        let startedAt = Date().timeIntervalSince1970
        let started = #"{"stage":"","index":-1,"count":\#(stageCount),"started_at":\#(startedAt)}"#
        try? await context.reportProgress(Data(started.utf8))
        let state = try await withThrowingTaskGroup(of: StoryState?.self) { group in
            let events = runner.events()
            group.addTask {
                // The latest stage, as progress others can read; a refused report ends nothing (the run finds out).
                for await event in events where event.kind == .stageStarted {
                    let progress =
                        #"{"stage":"\#(event.stage?.rawValue ?? "")","index":\#(event.index ?? -1),"#
                        + #""count":\#(stageCount),"started_at":\#(startedAt)}"#
                    try? await context.reportProgress(Data(progress.utf8))
                }
                return nil
            }
            group.addTask {
                if try await context.checkpoints.run(runID) == nil {
                    return try await runner.run(pipeline, input: studio.request(), runID: runID)
                }
                return try await runner.resume(pipeline, runID: runID)
            }
            defer { group.cancelAll() }
            while let next = try await group.next() {
                if let next { return next }
            }
            throw CancellationError()
        }
        let manifest = try await exporter.export(state, runID: runID, artifacts: runner.artifacts, to: directory)
        let result = StoryJobResult(
            runID: runID.rawValue, outputDirectory: directory.path, title: manifest.title,
            files: manifest.files.map(\.path) + ["manifest.json"])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(result)
    }
}
