import Crypto
public import Foundation
public import MediaIO
import PipelineKit

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

    /// Creates the services.
    public init(providers: StoryProviders, ffmpeg: FFmpeg?, library: StoryLibrary?, workDirectory: URL) {
        self.providers = providers
        self.ffmpeg = ffmpeg
        self.library = library
        self.workDirectory = workDirectory
    }

    /// Structured generation with the text provider's prices.
    var structured: StructuredGeneration {
        StructuredGeneration(prices: providers.prices, model: providers.textModel)
    }

    func requireFFmpeg(for stage: String) throws(StoryPipelineError) -> FFmpeg {
        guard let ffmpeg else {
            throw .missingDependency(
                "the \(stage) stage needs ffmpeg 5.1 or later: install it (apt-get install ffmpeg) or put it on PATH")
        }
        return ffmpeg
    }

    /// A fresh scratch directory for one stage attempt; the caller removes it.
    func scratchDirectory(_ name: String, context: StageContext) throws(StoryPipelineError) -> URL {
        let safeRun = FileNames.sanitized(context.runID.rawValue, fallback: "run")
        let directory = workDirectory.appendingPathComponent(
            "\(safeRun)-\(name)-\(UUID().uuidString.prefix(8))", isDirectory: true)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .file("cannot create the scratch directory \(directory.path): \(error)", underlying: error)
        }
        return directory
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
