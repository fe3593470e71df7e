import Foundation
import StoryForgeCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A file written under a temporary name beside its destination and renamed into place on
/// ``commit()``, so readers never see a partial file. Dropped without a commit, it removes itself.
final class AtomicFile {
    let destination: String
    private let temporaryPath: String
    private(set) var handle: UnsafeMutablePointer<FILE>?

    init(destination url: URL) throws {
        let destination = url.path
        let directory = url.deletingLastPathComponent().path
        var template = Array((directory.isEmpty ? "." : directory).utf8CString.dropLast())
        template += Array("/.\(url.lastPathComponent).XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else {
            throw ImageCodecError.io("cannot create a file in \(directory): \(String(cString: strerror(errno)))")
        }
        let temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        guard let handle = fdopen(descriptor, "wb") else {
            close(descriptor)
            unlink(temporaryPath)
            throw ImageCodecError.io("cannot open \(temporaryPath): \(String(cString: strerror(errno)))")
        }
        // mkstemp creates 0600; give the file the permissions an ordinary new file gets.
        let mask = umask(0)
        umask(mask)
        fchmod(descriptor, 0o666 & ~mask)
        self.destination = destination
        self.temporaryPath = temporaryPath
        self.handle = handle
    }

    /// Flushes, syncs and renames the file into place.
    func commit() throws {
        guard let handle else { throw ImageCodecError.invalidArgument("\(destination) was already committed") }
        self.handle = nil
        let flushed = fflush(handle) == 0 && fsync(fileno(handle)) == 0
        let error = errno
        let closed = fclose(handle) == 0
        guard flushed, closed else {
            unlink(temporaryPath)
            throw ImageCodecError.io(
                "writing \(destination) failed: \(String(cString: strerror(flushed ? errno : error)))")
        }
        guard rename(temporaryPath, destination) == 0 else {
            let message = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw ImageCodecError.io("cannot move the new file to \(destination): \(message)")
        }
        syncDirectory(of: destination)
    }

    deinit {
        if let handle {
            fclose(handle)
            unlink(temporaryPath)
        }
    }
}

/// fsyncs the directory holding `path`, so that a rename into it survives a power loss. Best effort: a file
/// system that cannot sync directories (EINVAL) keeps the rename all the same.
func syncDirectory(of path: String) {
    let directory = (path as NSString).deletingLastPathComponent
    try? DurableFile.syncDirectory(directory.isEmpty ? "." : directory)
}
