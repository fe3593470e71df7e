public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Files written and fsynced before they are renamed into place, and directories fsynced after a rename, so that
/// what was renamed survives a power loss. Shared by the artifact store, the exporter and MediaIO's atomic files.
public enum DurableFile {
    /// A failed system call and its errno.
    public struct Failure: Error, Hashable, Sendable, CustomStringConvertible {
        /// The call that failed: `open`, `write`, `fsync`, `close` or `rename`.
        public let call: String
        /// The errno it set.
        public let code: Int32

        /// A failure of `call` with `code`.
        public init(_ call: String, _ code: Int32) {
            self.call = call
            self.code = code
        }

        /// The system's reason and the call, e.g. `No space left on device (write)`.
        public var description: String { "\(String(cString: strerror(code))) (\(call))" }
    }

    /// Writes `data` to a new file at `path` (which must not exist) and fsyncs it; a failed write removes the file.
    public static func create(_ data: Data, at path: String) throws(Failure) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure("open", errno) }
        var failure: Failure?
        data.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    failure = Failure("write", errno)
                    return
                }
                offset += written
            }
        }
        if failure == nil, fsync(descriptor) != 0 { failure = Failure("fsync", errno) }
        if close(descriptor) != 0, failure == nil { failure = Failure("close", errno) }
        if let failure {
            unlink(path)
            throw failure
        }
    }

    /// fsyncs the directory at `path`, so that renames into it survive a power loss.
    ///
    /// A file system that cannot sync directories (EINVAL, some network file systems) is not an error: the renames
    /// stand all the same.
    public static func syncDirectory(_ path: String) throws(Failure) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure("open", errno) }
        defer { close(descriptor) }
        if fsync(descriptor) != 0, errno != EINVAL { throw Failure("fsync", errno) }
    }
}
