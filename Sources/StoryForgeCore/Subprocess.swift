import CStoryForgeSpawn
public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a finished subprocess left behind.
public struct SubprocessResult: Sendable {
    /// The exit status, or the number of the signal that ended the process.
    public var status: Int32
    /// The head of standard output: at most the `outputLimit` the run was given.
    public var stdout: Data
    /// The tail of standard error: at most the `errorTailLimit` the run was given.
    public var stderrTail: Data

    /// ``stderrTail`` as text (invalid UTF-8 replaced).
    public var stderr: String { String(decoding: stderrTail, as: UTF8.self) }
}

/// Why a subprocess could not be started.
public struct SubprocessError: StoryForgeError, CustomStringConvertible, Equatable {
    /// What kind of failure.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The code's name.
        public let description: String
        /// The program could not be started: missing, not executable, or the system refused (`errno` in the
        /// message).
        public static let cannotStart = Code(description: "cannotStart")
        /// The arguments could not be copied for the child.
        public static let outOfMemory = Code(description: "outOfMemory")
    }

    /// What kind of failure.
    public let code: Code
    /// The program and the system's reason ("No such file or directory").
    public let message: String
    /// Always `nil`: the cause is an `errno`, named in the message.
    public var underlying: (any Error)? { nil }
    /// The message.
    public var description: String { message }

    /// Equal by code.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    static func cannotStart(_ message: String) -> Self { Self(code: .cannotStart, message: message) }
    static func outOfMemory(_ message: String) -> Self { Self(code: .outOfMemory, message: message) }
}

/// The one subprocess runner of StoryForge (ffmpeg and ffprobe in MediaIO, espeak-ng in ProviderKit).
///
/// Runs one executable with an argument array (never a shell); reads stdout and stderr while the child runs,
/// each on a thread of its own, so a child that writes more than a pipe holds never blocks; streams stdout
/// lines to a callback and keeps the first `outputLimit` bytes of stdout and the last `errorTailLimit` bytes of
/// stderr (the rest is read and dropped); terminates the process when the calling task is cancelled (SIGTERM,
/// then SIGKILL after 3 s).
///
/// The child is started by `sf_spawn` (the `CStoryForgeSpawn` target), not Foundation's `Process`:
/// on Linux it is tied to this process with `PR_SET_PDEATHSIG(SIGKILL)`, so it dies with its parent
/// however the parent ends (`kill -9`, `exit()` on a second Ctrl-C), and it runs in a process group
/// of its own, so a terminal's Ctrl-C reaches the parent only, which then ends it.
public enum Subprocess {
    /// The default stderr tail kept: 64 KiB, a pipe's capacity on Linux, enough for any tool's last words.
    public static let defaultErrorTailLimit = 64 * 1024

    /// The first executable called `name` on `PATH`, or `name` itself when it is a path.
    public static func find(
        _ name: String, environment: [String: String] = ProcessInfo.processInfo.environment
    ) -> URL? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? URL(filePath: name) : nil }
        for directory in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = URL(filePath: String(directory)).appending(path: name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Runs `executable` with `arguments` and waits for it without blocking a thread of the cooperative pool.
    ///
    /// - Parameters:
    ///   - outputLimit: the most stdout kept (`0` keeps none, `Int.max` all); lines still reach `onStdoutLine`.
    ///   - errorTailLimit: the most stderr kept, from its end.
    ///   - onStdoutLine: called with each stdout line (without its newline), on a reader thread.
    /// - Throws: ``SubprocessError`` when the program cannot be started; `CancellationError` when the task was
    ///   cancelled (the child has then been ended).
    public static func run(
        _ executable: URL, _ arguments: [String],
        outputLimit: Int = .max,
        errorTailLimit: Int = Subprocess.defaultErrorTailLimit,
        onStdoutLine: (@Sendable (String) -> Void)? = nil
    ) async throws -> SubprocessResult {
        let state = SubprocessState(outputLimit: max(0, outputLimit), errorTailLimit: max(0, errorTailLimit))
        let result: SubprocessResult = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<SubprocessResult, any Error>) in
                let child: sf_child
                do {
                    child = try spawn(executable, arguments)
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                state.launched(pid: child.pid)
                let group = DispatchGroup()
                group.enter()
                group.enter()
                DispatchQueue.global().async {
                    var pending = Data()
                    readAll(child.stdout_fd) { chunk in
                        state.appendStdout(chunk)
                        if let onStdoutLine {
                            pending.append(chunk)
                            while let newline = pending.firstIndex(of: 0x0A) {
                                onStdoutLine(String(decoding: pending[pending.startIndex..<newline], as: UTF8.self))
                                pending.removeSubrange(pending.startIndex...newline)
                            }
                        }
                    }
                    group.leave()
                }
                DispatchQueue.global().async {
                    readAll(child.stderr_fd) { state.appendStderr($0) }
                    group.leave()
                }
                group.notify(queue: .global()) {
                    let status = state.waitForExit()
                    continuation.resume(
                        returning: SubprocessResult(status: status, stdout: state.stdout, stderrTail: state.stderrTail))
                }
            }
        } onCancel: {
            state.cancel()
        }
        if state.wasCancelled { throw CancellationError() }
        return result
    }

    /// Starts the child; the argument strings are copied for the duration of the call.
    private static func spawn(_ executable: URL, _ arguments: [String]) throws(SubprocessError) -> sf_child {
        let strings = [executable.path] + arguments
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { for pointer in pointers { free(pointer) } }
        guard !pointers.contains(where: { $0 == nil }) else {
            throw .outOfMemory("cannot start \(executable.path): out of memory for its arguments")
        }
        pointers.append(nil)
        var child = sf_child(pid: 0, stdout_fd: -1, stderr_fd: -1)
        let code = pointers.withUnsafeBufferPointer { argv in
            sf_spawn(executable.path, argv.baseAddress, nil, &child)
        }
        guard code == 0 else {
            throw .cannotStart("cannot start \(executable.path): \(String(cString: strerror(code)))")
        }
        return child
    }

    /// Reads a descriptor to its end, handing each chunk to `body`, then closes it.
    private static func readAll(_ descriptor: Int32, _ body: (Data) -> Void) {
        defer { close(descriptor) }
        // 64 KiB: a pipe's default capacity on Linux, so one read empties a full pipe.
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                body(Data(buffer[0..<count]))
            } else if count == 0 || errno != EINTR {
                return
            }
        }
    }
}

/// The state a subprocess run shares between its reader threads, its exit waiter and the
/// cancellation handler. `@unchecked Sendable`: every property is guarded by `lock`.
private final class SubprocessState: @unchecked Sendable {
    private let lock = NSLock()
    private var pid: pid_t = 0
    private var cancelled = false
    private var exited = false
    private var out = Data()
    private var err = Data()
    private let outputLimit: Int
    private let errorTailLimit: Int

    init(outputLimit: Int, errorTailLimit: Int) {
        self.outputLimit = outputLimit
        self.errorTailLimit = errorTailLimit
    }

    var stdout: Data { lock.withLock { out } }
    var stderrTail: Data { lock.withLock { err } }
    var wasCancelled: Bool { lock.withLock { cancelled } }

    func appendStdout(_ data: Data) {
        lock.withLock {
            if out.count < outputLimit { out.append(data.prefix(outputLimit - out.count)) }
        }
    }

    func appendStderr(_ data: Data) {
        lock.withLock {
            err.append(data.suffix(errorTailLimit))
            if err.count > errorTailLimit { err = Data(err.suffix(errorTailLimit)) }
        }
    }

    func launched(pid: pid_t) {
        let killNow = lock.withLock {
            self.pid = pid
            return cancelled
        }
        if killNow { terminate() }
    }

    /// Blocks until the child exits and reaps it. The child is marked exited *before* it is reaped,
    /// so a late SIGTERM or SIGKILL can never reach another process that reused its pid.
    func waitForExit() -> Int32 {
        let pid = lock.withLock { self.pid }
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0, errno == EINTR {}
        lock.withLock { exited = true }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0, errno == EINTR {}
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : signal
    }

    func cancel() {
        lock.withLock { cancelled = true }
        terminate()
    }

    private func terminate() {
        let pid = lock.withLock {
            guard !exited, self.pid > 0 else { return pid_t(0) }
            kill(self.pid, SIGTERM)
            return self.pid
        }
        guard pid > 0 else { return }
        DispatchQueue.global().asyncAfter(deadline: .now() + 3) { [self] in
            lock.withLock {
                if !exited { kill(pid, SIGKILL) }
            }
        }
    }
}
