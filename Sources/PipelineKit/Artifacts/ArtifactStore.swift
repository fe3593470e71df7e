public import Foundation

/// A reference to a stored artifact: its path relative to the store's root and its SHA-256.
///
/// Checkpoints hold references, never blobs.
public struct ArtifactRef: Hashable, Sendable, Codable, CustomStringConvertible {
    /// The path relative to the store's root, for example `sha256/ab/ab12….wav`.
    public let path: String
    /// The SHA-256 of the content, lowercase hex.
    public let sha256: String
    /// The content's size in bytes.
    public let byteCount: Int

    /// Creates a reference.
    public init(path: String, sha256: String, byteCount: Int) {
        self.path = path
        self.sha256 = sha256
        self.byteCount = byteCount
    }

    /// The relative path.
    public var description: String { path }
}

/// Where stages put big outputs (audio, images, video), addressed by content.
public protocol ArtifactStore: Sendable {
    /// Stores `data` and returns its reference; storing the same bytes twice stores them once.
    ///
    /// - Parameter fileExtension: an extension for the stored file (`"wav"`); only `[a-z0-9]`, up to 10 characters.
    func put(_ data: Data, fileExtension: String?) async throws -> ArtifactRef

    /// Reads an artifact back, verifying its SHA-256.
    func data(for ref: ArtifactRef) async throws -> Data

    /// Whether the artifact is present.
    func contains(_ ref: ArtifactRef) async -> Bool

    /// Whether the artifact is present with the size and SHA-256 of its reference.
    ///
    /// The runner asks before it reuses a checkpointed or cached result that refers to artifacts: a damaged or
    /// missing artifact makes the result a miss, so the stage runs again and stores the artifact anew.
    func isIntact(_ ref: ArtifactRef) async -> Bool
}

extension ArtifactStore {
    /// Reads the artifact back through ``data(for:)``, which verifies it.
    public func isIntact(_ ref: ArtifactRef) async -> Bool {
        guard let data = try? await data(for: ref) else { return false }
        return data.count == ref.byteCount
    }
}
