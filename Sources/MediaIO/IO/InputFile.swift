public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Opens the files a caller names as input (images, WAV audio, model weights) so that a FIFO, a
/// device or a directory is refused instead of hanging the process.
///
/// Opening a FIFO for reading blocks until some writer opens it, and reading a terminal or a socket
/// may never end. So the path is checked with `stat` before anything is opened, then opened with
/// `O_NONBLOCK` (a FIFO swapped in after the check cannot block the open either) and checked again
/// on the open descriptor with `fstat`; only a regular file is switched back to blocking reads.
///
/// ```swift
/// let bytes = try InputFile.read(URL(filePath: "weights.bin"), maxByteCount: 64 << 20)
/// ```
public enum InputFile {
    /// Reads the whole regular file at `url`.
    ///
    /// - Parameter maxByteCount: the largest file accepted (default: no limit but the machine's memory).
    /// - Throws: ``InputFileError``: `notRegularFile` for a FIFO, device, socket or directory,
    ///   `tooLarge` past `maxByteCount`, `unreadable` when it cannot be opened or read.
    public static func read(_ url: URL, maxByteCount: Int = .max) throws(InputFileError) -> Data {
        let (descriptor, size) = try open(url.path)
        defer { close(descriptor) }
        guard size <= maxByteCount else {
            throw .tooLarge("\(url.path) is \(size) bytes, more than the \(maxByteCount) accepted")
        }
        // Reading more than the machine's memory would abort in the allocation.
        let memory = ProcessInfo.processInfo.physicalMemory
        guard UInt64(size) <= memory else {
            throw .tooLarge("\(url.path) is \(size) bytes, more than this machine's \(memory) bytes of memory")
        }
        var data = Data(count: size)
        var filled = 0
        while true {
            if filled == data.count {
                // The file grew since fstat: read on in 64 KiB steps, still within the limit.
                guard data.count < maxByteCount else {
                    throw .tooLarge("\(url.path) grew past the \(maxByteCount) bytes accepted while being read")
                }
                data.count += min(1 << 16, maxByteCount - data.count)
            }
            let got = data.withUnsafeMutableBytes { raw in
                posixRead(descriptor, raw.baseAddress! + filled, raw.count - filled)
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw .unreadable("cannot read \(url.path): \(String(cString: strerror(errno)))")
            }
            if got == 0 { break }
            filled += got
        }
        data.count = filled
        return data
    }

    /// Opens `path` read-only after checking that it is a regular file; returns the descriptor
    /// (blocking, close-on-exec; the caller closes it) and the file's size.
    static func open(_ path: String) throws(InputFileError) -> (descriptor: Int32, size: Int) {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw .unreadable("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw notRegular(path, status.st_mode) }
        let descriptor = posixOpen(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw .unreadable("cannot open \(path): \(String(cString: strerror(errno)))")
        }
        var opened = stat()
        guard fstat(descriptor, &opened) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw .unreadable("cannot read \(path): \(reason)")
        }
        guard (opened.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            throw notRegular(path, opened.st_mode)
        }
        let flags = fcntl(descriptor, F_GETFL)
        guard flags >= 0, fcntl(descriptor, F_SETFL, flags & ~O_NONBLOCK) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw .unreadable("cannot read \(path): \(reason)")
        }
        return (descriptor, Int(opened.st_size))
    }

    private static func notRegular(_ path: String, _ mode: mode_t) -> InputFileError {
        let kind =
            switch mode & S_IFMT {
            case S_IFIFO: "a FIFO"
            case S_IFDIR: "a directory"
            case S_IFCHR: "a character device"
            case S_IFBLK: "a block device"
            case S_IFSOCK: "a socket"
            default: "not a file"
            }
        return .notRegularFile("not a regular file: \(path) (\(kind))")
    }
}

// Inside ``InputFile`` its own `open` and `read` shadow the C functions.
private func posixOpen(_ path: String, _ flags: Int32) -> Int32 { open(path, flags) }
private func posixRead(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer, _ count: Int) -> Int {
    read(descriptor, buffer, count)
}

/// Why ``InputFile`` could not read a file.
///
/// Compare ``code`` to act on a kind of failure (`error.code == .notRegularFile`).
public struct InputFileError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure; compare with `==` (`error.code == .notRegularFile`). New codes may be added, so a
    /// `switch` over codes needs a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case notRegularFile, tooLarge, unreadable
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The path names a FIFO, device, socket or directory.
        public static let notRegularFile = Code(.notRegularFile)
        /// The file is larger than the caller accepts.
        public static let tooLarge = Code(.tooLarge)
        /// The file does not exist, is not readable, or reading it failed.
        public static let unreadable = Code(.unreadable)

        /// The kind in words, e.g. `not a regular file`.
        public var description: String {
            switch base {
            case .notRegularFile: "not a regular file"
            case .tooLarge: "too large"
            case .unreadable: "unreadable"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong, in words a person can act on.
    public let message: String
    /// The error underneath, when there is one (not part of equality).
    public let underlying: (any Error)?

    private init(_ code: Code, _ message: String, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.underlying = underlying
    }

    /// The path names a FIFO, device, socket or directory: reading it could block for ever.
    public static func notRegularFile(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.notRegularFile, message, underlying: underlying)
    }
    /// The file is larger than the caller accepts.
    public static func tooLarge(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.tooLarge, message, underlying: underlying)
    }
    /// The file does not exist, is not readable, or reading it failed.
    public static func unreadable(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.unreadable, message, underlying: underlying)
    }

    /// Errors are equal when they have the same ``code``, whatever their messages and underlying errors.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the ``code`` only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The message (it already says what kind of failure it is).
    public var description: String { message }
}
