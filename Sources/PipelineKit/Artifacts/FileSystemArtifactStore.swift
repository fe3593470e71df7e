import Crypto
public import Foundation

/// A content-addressed artifact store in a directory: `<root>/sha256/<2 hex>/<64 hex>[.ext]`.
///
/// Writes are atomic (a temporary file in the same directory, then a rename), so a crash never leaves a partial
/// artifact under its final name. Names are derived from content hashes only, and every path read is checked to
/// stay inside the root.
public struct FileSystemArtifactStore: ArtifactStore {
    /// The store's root directory.
    public let root: URL

    /// Opens (creating if needed) a store rooted at `root`.
    public init(root: URL) throws {
        self.root = root.standardizedFileURL
        do {
            try FileManager.default.createDirectory(at: self.root, withIntermediateDirectories: true)
        } catch {
            throw PipelineError.artifact("cannot create artifact directory \(root.path): \(error)", underlying: error)
        }
    }

    /// Stores `data` atomically under its SHA-256.
    public func put(_ data: Data, fileExtension: String? = nil) async throws -> ArtifactRef {
        let digest = SHA256.hash(data: data).hexString
        let ext = try Self.validated(fileExtension)
        let relative = "sha256/\(digest.prefix(2))/\(digest)" + (ext.map { ".\($0)" } ?? "")
        let ref = ArtifactRef(path: relative, sha256: digest, byteCount: data.count)
        let destination = try url(for: ref)
        if FileManager.default.fileExists(atPath: destination.path) { return ref }
        let directory = destination.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let temporary = directory.appendingPathComponent(".tmp-\(UUID().uuidString)")
            try data.write(to: temporary)
            // rename(2) is atomic within a file system; a concurrent writer of the same content is harmless.
            if rename(temporary.path, destination.path) != 0 {
                let code = errno
                try? FileManager.default.removeItem(at: temporary)
                throw PipelineError.artifact("cannot move artifact into place: errno \(code)")
            }
        } catch let error as PipelineError {
            throw error
        } catch {
            throw PipelineError.artifact("cannot write artifact \(relative): \(error)", underlying: error)
        }
        return ref
    }

    /// Reads an artifact back and verifies its SHA-256.
    public func data(for ref: ArtifactRef) async throws -> Data {
        let location = try url(for: ref)
        let data: Data
        do {
            data = try Data(contentsOf: location)
        } catch {
            throw PipelineError.artifact("artifact \(ref.path) is missing: \(error)", underlying: error)
        }
        guard SHA256.hash(data: data).hexString == ref.sha256 else {
            throw PipelineError.artifact("artifact \(ref.path) does not match its SHA-256")
        }
        return data
    }

    /// Whether the artifact's file is present.
    public func contains(_ ref: ArtifactRef) async -> Bool {
        guard let location = try? url(for: ref) else { return false }
        return FileManager.default.fileExists(atPath: location.path)
    }

    /// The file of an artifact; throws if the reference's path would leave the root or is not content-addressed.
    public func url(for ref: ArtifactRef) throws -> URL {
        let parts = ref.path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "sha256", ref.sha256.count == 64,
            ref.sha256.allSatisfy({ $0.isHexDigit && !$0.isUppercase }), parts[1] == ref.sha256.prefix(2),
            parts[2] == ref.sha256 || parts[2].hasPrefix(ref.sha256 + ".")
        else {
            throw PipelineError.artifact("artifact path \(ref.path) is not a content address inside the store")
        }
        _ = try Self.validated(parts[2].count > 64 ? String(parts[2].dropFirst(65)) : nil)
        let location = root.appendingPathComponent(ref.path).standardizedFileURL
        guard location.path.hasPrefix(root.path + "/") else {
            throw PipelineError.artifact("artifact path \(ref.path) escapes the store")
        }
        return location
    }

    private static func validated(_ fileExtension: String?) throws -> String? {
        guard let fileExtension else { return nil }
        guard (1...10).contains(fileExtension.count),
            fileExtension.allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber) })
        else {
            throw PipelineError.artifact("file extension \(fileExtension.debugDescription) is not [a-z0-9]{1,10}")
        }
        return fileExtension
    }
}

private let hexDigits = Array("0123456789abcdef".utf8)

extension Sequence where Element == UInt8 {
    /// Lowercase hexadecimal.
    var hexString: String {
        var text: [UInt8] = []
        text.reserveCapacity(64)
        for byte in self {
            text.append(hexDigits[Int(byte >> 4)])
            text.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
