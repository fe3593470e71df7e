public import Foundation
public import PipelineKit
import StoryForgeCore

/// An artifact store in memory, for tests; references look like the file system store's.
///
/// `@unchecked Sendable`: `blobs` is only touched under `lock`.
public final class InMemoryArtifactStore: ArtifactStore, @unchecked Sendable {
    private let lock = NSLock()
    private var blobs: [String: Data] = [:]

    /// Creates an empty store.
    public init() {}

    /// How many distinct artifacts are stored.
    public var count: Int { lock.withLock { blobs.count } }

    /// Stores `data` under its SHA-256.
    public func put(_ data: Data, fileExtension: String? = nil) async throws -> ArtifactRef {
        let digest = HexDigest.sha256(data)
        let path = "sha256/\(digest.prefix(2))/\(digest)" + (fileExtension.map { ".\($0)" } ?? "")
        lock.withLock { blobs[digest] = data }
        return ArtifactRef(path: path, sha256: digest, byteCount: data.count)
    }

    /// Reads an artifact back.
    public func data(for ref: ArtifactRef) async throws -> Data {
        guard let data = lock.withLock({ blobs[ref.sha256] }) else {
            throw PipelineError.artifact("artifact \(ref.path) is missing")
        }
        return data
    }

    /// Whether the artifact is present.
    public func contains(_ ref: ArtifactRef) async -> Bool {
        lock.withLock { blobs[ref.sha256] != nil }
    }
}
