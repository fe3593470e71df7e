public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A scratch directory that says whether its owner is alive: it holds a lock file on which the creating process
/// keeps an exclusive `flock(2)` for as long as it uses the directory. The kernel drops the lock when the process
/// dies however it dies (`kill -9` included), so ``removeStale(in:prefix:grace:)`` can tell the scratch of a dead
/// process from scratch in use, in this process or any other, and remove only the former.
///
/// ```swift
/// OwnedDirectory.removeStale(in: work, prefix: "render-")
/// let scratch = try OwnedDirectory(in: work, prefix: "render-")
/// defer { scratch.remove() }
/// ```
public final class OwnedDirectory: Sendable {
    /// The name of the lock file inside every owned directory.
    public static let lockFileName = ".storyforge-owner.lock"

    /// The directory.
    public let url: URL
    private let state: LockDescriptor

    /// Creates `<parent>/<prefix><random>` (and `parent` when missing) and locks it.
    ///
    /// - Throws: the file system's error when the directory or its lock file cannot be made.
    public init(in parent: URL, prefix: String) throws {
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let url = parent.appendingPathComponent(prefix + UUID().uuidString.lowercased(), isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false)
        let lockPath = url.appendingPathComponent(Self.lockFileName).path
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard descriptor >= 0, flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            if descriptor >= 0 { close(descriptor) }
            try? FileManager.default.removeItem(at: url)
            throw POSIXError(POSIXErrorCode(rawValue: code) ?? .EIO)
        }
        self.url = url
        self.state = LockDescriptor(descriptor)
    }

    /// Removes the directory and everything in it, then lets go of the lock. Calling it again does nothing.
    public func remove() {
        state.take { descriptor in
            try? FileManager.default.removeItem(at: url)
            close(descriptor)
        }
    }

    deinit {
        // Not removed: the lock goes, and the next sweep removes the directory.
        state.take { close($0) }
    }

    /// Removes every directory in `parent` whose name starts with `prefix` and whose owner is gone: its lock file
    /// is not locked by any process, or it has no lock file and is older than `grace` seconds (scratch of an older
    /// version, or a process killed between making the directory and locking it). Directories in use, files and
    /// symbolic links are left alone.
    ///
    /// - Returns: the directories removed.
    @discardableResult
    public static func removeStale(in parent: URL, prefix: String, grace: TimeInterval = 60) -> [URL] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: parent.path) else { return [] }
        var removed: [URL] = []
        for name in names where name.hasPrefix(prefix) {
            let url = parent.appendingPathComponent(name, isDirectory: true)
            var info = stat()
            guard lstat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else { continue }
            let descriptor = open(url.appendingPathComponent(lockFileName).path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
            if descriptor < 0 {
                guard errno == ENOENT, Date().timeIntervalSince1970 - Self.modified(info) > grace else { continue }
            } else {
                defer { close(descriptor) }
                // Held by a live process (this one included: flock locks belong to open file descriptions).
                guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else { continue }
            }
            if (try? FileManager.default.removeItem(at: url)) != nil { removed.append(url) }
        }
        return removed
    }
}

extension OwnedDirectory {
    /// When the entry was last modified, in seconds since 1970.
    fileprivate static func modified(_ info: stat) -> Double {
        #if canImport(Darwin)
            Double(info.st_mtimespec.tv_sec)
        #else
            Double(info.st_mtim.tv_sec)
        #endif
    }
}

/// The lock file's descriptor, taken once. `@unchecked Sendable`: `descriptor` is only touched under `lock`.
private final class LockDescriptor: @unchecked Sendable {
    private let lock = NSLock()
    private var descriptor: Int32?

    init(_ descriptor: Int32) { self.descriptor = descriptor }

    func take(_ body: (Int32) -> Void) {
        lock.withLock {
            guard let descriptor else { return }
            self.descriptor = nil
            body(descriptor)
        }
    }
}
