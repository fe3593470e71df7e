import Crypto
public import Foundation
import StoryForgeCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A content-addressed artifact store in a directory: `<root>/sha256/<2 hex>/<64 hex>[.ext]`.
///
/// Writes are atomic and durable: the bytes go to a temporary file in the same directory, which is fsynced, renamed
/// into place, and the directory fsynced after the rename, so a crash or power loss never leaves a partial artifact
/// under its final name. A write that fails (disk full, quota, I/O error) removes its temporary file before it
/// throws, so a full disk is not left full of partial artifacts. Storing bytes whose file exists but is damaged
/// (truncated, overwritten) replaces the damaged file. Names are derived from content hashes only, and every path
/// read is checked to stay inside the root.
public struct FileSystemArtifactStore: ArtifactStore {
    /// The store's root directory.
    public let root: URL

    /// Opens (creating if needed) a store rooted at `root`, and removes the temporary files of writes whose process
    /// died (see ``removeAbandonedTemporaryFiles()``).
    public init(root: URL) throws {
        self.root = root.standardizedFileURL
        do {
            try FileManager.default.createDirectory(at: self.root, withIntermediateDirectories: true)
        } catch {
            throw PipelineError.artifact(
                "cannot create the artifact directory \(root.path): \(Self.reason(error))", underlying: error)
        }
        removeAbandonedTemporaryFiles()
    }

    /// Removes the temporary files of writes that will never finish: those of a process that no longer exists
    /// (the writer's pid is in the name) older than 10 s, and any older than an hour (a write takes seconds).
    ///
    /// - Returns: how many were removed.
    @discardableResult
    public func removeAbandonedTemporaryFiles() -> Int {
        let shards = root.appendingPathComponent("sha256", isDirectory: true)
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: shards.path) else { return 0 }
        let now = Date().timeIntervalSince1970
        var removed = 0
        for shard in names where shard.count == 2 {
            let directory = shards.appendingPathComponent(shard, isDirectory: true)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
            where name.hasPrefix(".tmp-") {
                let path = directory.appendingPathComponent(name).path
                var info = stat()
                guard lstat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { continue }
                #if canImport(Darwin)
                    let age = now - Double(info.st_mtimespec.tv_sec)
                #else
                    let age = now - Double(info.st_mtim.tv_sec)
                #endif
                let writer = name.dropFirst(5).split(separator: "-").first.flatMap { pid_t($0) }
                let writerGone = writer.map { kill($0, 0) != 0 && errno == ESRCH } ?? true
                if (writerGone && age > 10) || age > 3600, unlink(path) == 0 { removed += 1 }
            }
        }
        return removed
    }

    /// Stores `data` atomically under its SHA-256; a damaged file of the same name is replaced.
    ///
    /// - Throws: ``PipelineError`` with code `artifact`, naming the file and the cause (for example "No space left
    ///   on device"); no temporary file is left behind.
    public func put(_ data: Data, fileExtension: String? = nil) async throws -> ArtifactRef {
        let digest = HexDigest.hex(SHA256.hash(data: data))
        let ext = try Self.validated(fileExtension)
        let relative = "sha256/\(digest.prefix(2))/\(digest)" + (ext.map { ".\($0)" } ?? "")
        let ref = ArtifactRef(path: relative, sha256: digest, byteCount: data.count)
        let destination = try url(for: ref)
        if FileManager.default.fileExists(atPath: destination.path), Self.matches(destination, ref) { return ref }
        let directory = destination.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw PipelineError.artifact(
                "cannot create the artifact directory \(directory.path): \(Self.reason(error))", underlying: error)
        }
        // The writer's pid in the name tells an abandoned temporary file (its process died) from one being written.
        let temporary = directory.appendingPathComponent(".tmp-\(getpid())-\(UUID().uuidString)")
        do {
            try DurableFile.create(data, at: temporary.path)
            // rename(2) is atomic within a file system; a concurrent writer of the same content is harmless.
            guard rename(temporary.path, destination.path) == 0 else { throw DurableFile.Failure("rename", errno) }
            // The rename is durable only once the directory entry is on disk.
            try DurableFile.syncDirectory(directory.path)
        } catch {
            unlink(temporary.path)
            throw PipelineError.artifact("cannot write artifact \(destination.path): \(Self.reason(error))")
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
            throw PipelineError.artifact("artifact \(ref.path) is missing: \(Self.reason(error))", underlying: error)
        }
        guard data.count == ref.byteCount, HexDigest.hex(SHA256.hash(data: data)) == ref.sha256 else {
            throw PipelineError.artifact(
                "artifact \(location.path) does not match its SHA-256 (\(data.count) bytes, \(ref.byteCount) "
                    + "expected): it was damaged; rerun the stage that made it (a rerun replaces it)")
        }
        return data
    }

    /// Whether the artifact's file is present.
    public func contains(_ ref: ArtifactRef) async -> Bool {
        guard let location = try? url(for: ref) else { return false }
        return FileManager.default.fileExists(atPath: location.path)
    }

    /// Whether the artifact's file is present with the reference's size and SHA-256 (read in 1 MiB pieces, never
    /// whole).
    public func isIntact(_ ref: ArtifactRef) async -> Bool {
        guard let location = try? url(for: ref) else { return false }
        return Self.matches(location, ref)
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

    /// Whether the file has the reference's size and SHA-256.
    private static func matches(_ location: URL, _ ref: ArtifactRef) -> Bool {
        let descriptor = open(location.path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG,
            Int64(info.st_size) == Int64(ref.byteCount)
        else { return false }
        var hasher = SHA256()
        // 1 MiB: large enough that the system calls cost nothing next to the hashing.
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var total = 0
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { return false }
            if count == 0 { break }
            total += count
            buffer.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
        return total == ref.byteCount && HexDigest.hex(hasher.finalize()) == ref.sha256
    }

    /// An error's cause in a few words: the POSIX reason, or Foundation's reason without its domain dump.
    static func reason(_ error: any Error) -> String {
        if let failure = error as? DurableFile.Failure { return failure.description }
        let nsError = error as NSError
        if let posix = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code)))
        }
        return nsError.localizedDescription
    }
}
