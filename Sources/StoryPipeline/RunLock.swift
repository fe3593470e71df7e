import Foundation
import PipelineKit

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// An exclusive `flock(2)` on `<store>/runs/<run>.lock`, held by the process that runs the run for as long as it
/// runs. The kernel drops it when that process dies however it dies, so a second process never runs (or resumes)
/// the same run beside a live one — nor beside the live ffmpeg of one — and a run recorded as `running` whose lock
/// is free was interrupted.
///
/// `@unchecked Sendable`: `descriptor` is only touched under `lock`.
final class RunLock: @unchecked Sendable {
    private let lock = NSLock()
    private var descriptor: Int32?

    private init(descriptor: Int32) { self.descriptor = descriptor }

    /// The lock file of a run.
    static func url(of runID: String, inRunsDirectory directory: URL) -> URL {
        directory.appendingPathComponent(FileNames.unique(forRunID: runID) + ".lock")
    }

    /// Takes the run's lock, or throws when another process (or another task of this one) holds it.
    static func acquire(_ runID: RunID, in store: URL) throws(StoryPipelineError) -> RunLock {
        let directory = store.appendingPathComponent("runs", isDirectory: true)
        let url = url(of: runID.rawValue, inRunsDirectory: directory)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw .file("cannot create \(directory.path): \(FileNames.reason(error))", underlying: error)
        }
        let descriptor = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard descriptor >= 0 else {
            throw .file("cannot open the run lock \(url.path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let owner = Self.owner(descriptor)
            close(descriptor)
            throw .busy(
                "run \(runID) is running in another process\(owner.map { " (pid \($0))" } ?? ""): wait for it to "
                    + "finish or stop it, then resume")
        }
        // The owner's pid, for that message; the lock itself is what counts.
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return RunLock(descriptor: descriptor)
    }

    /// Whether a live process holds the lock of `runID`; `nil` when the run has no lock file (it was not started
    /// by a ``StoryStudio`` of this version).
    static func isHeld(_ runID: String, inRunsDirectory directory: URL) -> Bool? {
        let descriptor = open(url(of: runID, inRunsDirectory: directory).path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        return flock(descriptor, LOCK_SH | LOCK_NB) != 0
    }

    /// Lets go of the lock; calling it again does nothing.
    func release() {
        lock.withLock {
            if let descriptor { close(descriptor) }
            descriptor = nil
        }
    }

    deinit { release() }

    private static func owner(_ descriptor: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let count = buffer.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        return Int32(String(decoding: buffer[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
