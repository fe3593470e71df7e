import Crypto
public import Foundation
public import MediaIO
import PipelineKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

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

    /// Creates the services.
    public init(
        providers: StoryProviders, ffmpeg: FFmpeg?, library: StoryLibrary?, workDirectory: URL,
        scorer: any ScriptScorer = HeuristicScriptScorer()
    ) {
        self.providers = providers
        self.scorer = scorer
        self.ffmpeg = ffmpeg
        self.library = library
        self.workDirectory = workDirectory
    }

    /// Structured generation with the text provider's prices.
    var structured: StructuredGeneration {
        StructuredGeneration(prices: providers.prices, model: providers.textRecord.model)
    }

    /// Everything besides the request that changes what the stages make: the providers' identities
    /// (``StoryProviders/fingerprint``) and the scorer's. It goes into ``StoryRequest/providers``, which is part of
    /// every stage's cache key.
    public var fingerprint: String { providers.fingerprint + "; scorer=\(scorer.identity)" }

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

/// Names derived from titles or model output, made safe for a file system.
enum FileNames {
    /// A file error's cause in a few words ("Permission denied", "Not a directory"), not Foundation's dump.
    static func reason(_ error: any Error) -> String {
        if let posix = error as? POSIXError { return String(cString: strerror(posix.code.rawValue)) }
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain
        {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(nsError.code))) }
        return nsError.localizedDescription
    }

    /// A file name for a run id that no other run id shares: the sanitized id (at most 48 characters) and the
    /// first 12 hex digits (48 bits) of the SHA-256 of the exact id, so ids differing only in case, in characters
    /// the sanitizing drops, or beyond the kept length still get different names.
    static func unique(forRunID runID: String) -> String {
        let prefix = String(sanitized(runID, fallback: "run").prefix(48))
        return prefix + "-" + Digest.sha256(runID).prefix(12)
    }

    /// Keeps letters, digits, `-` and `_`, lower-cased, at most 60 characters; `fallback` when nothing is left.
    static func sanitized(_ text: String, fallback: String) -> String {
        let kept = text.lowercased().map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" ? $0 : "-" }
        let collapsed = String(kept).split(separator: "-", omittingEmptySubsequences: true).joined(separator: "-")
        let ascii = collapsed.unicodeScalars.filter { $0.isASCII }.map(String.init).joined()
        let result = String(ascii.prefix(60))
        return result.isEmpty ? fallback : result
    }
}

/// Hex SHA-256 digests.
enum Digest {
    static func sha256(_ data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }

    static func sha256(_ text: String) -> String { sha256(Data(text.utf8)) }
}

/// Measures a stage's own time for the manifest.
struct StageStopwatch {
    private let start = ContinuousClock.now

    var seconds: Double {
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }
}
