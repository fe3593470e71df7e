public import Foundation
public import MediaIO
import PipelineKit
public import StoryModels

/// What the story stages share: the providers, ffmpeg, the story library and a scratch directory.
public struct StoryServices: Sendable {
    /// The providers.
    public var providers: StoryProviders
    /// ffmpeg and ffprobe, for the stages that make or check media; `nil` makes those stages fail with
    /// ``StoryPipelineError/missingDependency(_:underlying:)``.
    public var ffmpeg: FFmpeg?
    /// The library used to avoid repeating ideas; `nil` to skip that check.
    public var library: StoryLibrary?
    /// Where stages put temporary files (each stage removes its own); must exist or be creatable.
    public var workDirectory: URL
    /// The critic the revision stage scores scripts with.
    public var scorer: any ScriptScorer
    /// What draws the video's frames in the assemble stage (see ``MediaIO/VideoComposer``); `nil` uses UpscaleKit's
    /// `StillFrameRenderer`. The stage's `renderer: zoompan` parameter lets ffmpeg's `zoompan` draw them instead.
    public var frameRenderer: (any VideoFrameRenderer)?

    /// Creates the services.
    public init(
        providers: StoryProviders, ffmpeg: FFmpeg?, library: StoryLibrary?, workDirectory: URL,
        scorer: any ScriptScorer = HeuristicScriptScorer(), frameRenderer: (any VideoFrameRenderer)? = nil
    ) {
        self.providers = providers
        self.scorer = scorer
        self.frameRenderer = frameRenderer
        self.ffmpeg = ffmpeg
        self.library = library
        self.workDirectory = workDirectory
    }

    /// Structured generation with the text provider's prices.
    var structured: StructuredGeneration {
        StructuredGeneration(prices: providers.prices, model: providers.textRecord.model)
    }

    /// Everything besides the request that changes what the stages make: the providers' identities
    /// (``StoryProviders/fingerprint``), the scorer's, and a host's ``frameRenderer``'s
    /// (``MediaIO/VideoFrameRenderer/identity``; left out when it is `nil`, the default renderer, so stores made
    /// before it was keyed keep their cache). It goes into ``StoryRequest/providers``, which is part of every stage's
    /// cache key, so a host that swaps renderers on one store gets its own video, never the other's.
    public var fingerprint: String {
        var line = providers.fingerprint + "; scorer=\(scorer.identity)"
        if let frameRenderer { line += "; renderer=\(frameRenderer.identity)" }
        return line
    }

    func requireFFmpeg(for stage: String) throws(StoryPipelineError) -> FFmpeg {
        guard let ffmpeg else {
            throw .missingDependency(
                "the \(stage) stage needs ffmpeg 5.1 or later: install it (apt-get install ffmpeg) or put it on PATH")
        }
        return ffmpeg
    }

    /// A fresh scratch directory for one stage attempt, locked by this process while it exists (see
    /// ``OwnedDirectory``); the caller removes it, and one left by a killed process is removed by the next
    /// ``StoryStudio`` opened on the store.
    func scratchDirectory(_ name: String, context: StageContext) throws(StoryPipelineError) -> OwnedDirectory {
        let safeRun = FileNames.sanitized(context.runID.rawValue, fallback: "run")
        do {
            return try OwnedDirectory(in: workDirectory, prefix: "\(safeRun)-\(name)-")
        } catch {
            throw .file(
                "cannot create a scratch directory in \(workDirectory.path): \(FileNames.reason(error))",
                underlying: error)
        }
    }

    /// The artifact as a file: the stored file itself when the store keeps files, else a copy in `directory`.
    func file(for ref: ArtifactRef, in store: any ArtifactStore, directory: URL, name: String) async throws -> URL {
        if let fileStore = store as? FileSystemArtifactStore { return try fileStore.url(for: ref) }
        let url = directory.appendingPathComponent(name)
        try await store.data(for: ref).write(to: url, options: .atomic)
        return url
    }
}
