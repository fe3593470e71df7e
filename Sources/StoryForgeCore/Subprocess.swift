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
    /// True when the run was given an `input` and a write to the child's stdin found the child no longer reading
    /// (`EPIPE`): the child closed its stdin or exited before taking all the input.
    public var inputInterrupted = false

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
        /// A write to the child's stdin found no reader: the child closed its stdin or exited (`EPIPE`).
        public static let brokenPipe = Code(description: "brokenPipe")
        /// A write to the child's stdin failed for another reason (`errno` in the message), or came after the
        /// input was closed.
        public static let inputFailed = Code(description: "inputFailed")
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
    static func brokenPipe(_ message: String) -> Self { Self(code: .brokenPipe, message: message) }
    static func inputFailed(_ message: String) -> Self { Self(code: .inputFailed, message: message) }
}

/// The write end of a running child's stdin, handed to the `input` closure of
/// ``Subprocess/run(_:_:outputLimit:errorTailLimit:onStdoutLine:input:)``.
///
/// Writes block until the child has taken the bytes (the pipe holds up to 1 MiB on Linux), which is the
/// back-pressure a producer of video frames needs: it can never run more than a pipe ahead of the child. A write
/// to a child that has gone throws ``SubprocessError/Code/brokenPipe`` instead of raising SIGPIPE, without
/// changing the process's signal dispositions (see `sf_write_all`). Use it from one thread at a time.
public final class SubprocessInput: @unchecked Sendable {
    // `@unchecked Sendable`: `descriptor` is guarded by `lock`. A write holds no lock while it blocks; the class is
    // used from one thread at a time (the run closes it only after the `input` closure has returned).
    private let lock = NSLock()
    private var descriptor: Int32
    private let state: SubprocessState
    private let program: String

    fileprivate init(descriptor: Int32, state: SubprocessState, program: String) {
        self.descriptor = descriptor
        self.state = state
        self.program = program
    }

    /// True once the task awaiting the run has been cancelled (the child is being ended): a producer should stop.
    public var isCancelled: Bool { state.wasCancelled }

    /// Writes all of `bytes`, blocking while the pipe is full.
    /// - Throws: ``SubprocessError`` with code ``SubprocessError/Code/brokenPipe`` when the child no longer reads,
    ///   ``SubprocessError/Code/inputFailed`` for any other failure or after the input was closed.
    public func write(_ bytes: UnsafeRawBufferPointer) throws(SubprocessError) {
        guard !bytes.isEmpty else { return }
        let descriptor = lock.withLock { self.descriptor }
        guard descriptor >= 0 else { throw .inputFailed("the input of \(program) is already closed") }
        var written = 0
        let code = sf_write_all(descriptor, bytes.baseAddress, bytes.count, &written)
        guard code == 0 else {
            if code == EPIPE {
                throw .brokenPipe(
                    "\(program) stopped reading its input after \(written) of \(bytes.count) bytes of a write")
            }
            throw .inputFailed("writing to the input of \(program) failed: \(String(cString: strerror(code)))")
        }
    }

    /// Writes all of `bytes`, blocking while the pipe is full, as the raw-buffer `write` does.
    public func write(_ bytes: [UInt8]) throws(SubprocessError) {
        let result: Result<Void, SubprocessError> = bytes.withUnsafeBytes { buffer in
            do throws(SubprocessError) {
                try write(buffer)
                return .success(())
            } catch {
                return .failure(error)
            }
        }
        try result.get()
    }

    /// Closes the write end: the child reads end of file. Called for you when the `input` closure returns; later
    /// writes throw.
    public func close() {
        let descriptor = lock.withLock {
            let old = self.descriptor
            self.descriptor = -1
            return old
        }
        if descriptor >= 0 { closeDescriptor(descriptor) }
    }

    deinit { close() }
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
        try await run(
            executable, arguments, outputLimit: outputLimit, errorTailLimit: errorTailLimit,
            onStdoutLine: onStdoutLine, feed: nil)
    }

    /// Runs `executable` with `arguments` and its stdin on a pipe that `input` writes, and waits for it without
    /// blocking a thread of the cooperative pool.
    ///
    /// `input` runs on a thread of its own (blocking writes are its back-pressure, and they must not hold a
    /// thread of the cooperative pool); when it returns, the child's stdin is closed and the run waits for the
    /// child to exit.
    /// - When a write finds the child gone (``SubprocessError/Code/brokenPipe``) and `input` lets that error out,
    ///   the run still waits for the child and returns its result with ``SubprocessResult/inputInterrupted`` set,
    ///   so the caller can report the child's own stderr.
    /// - When `input` throws any other error, the child is ended (SIGTERM, then SIGKILL after 3 s) and the run
    ///   throws that error once the child has exited.
    /// - When the task is cancelled, the child is ended; `input` should return soon after
    ///   ``SubprocessInput/isCancelled`` turns true (its writes fail once the child is gone); then the run throws
    ///   `CancellationError`.
    ///
    /// Other parameters as in ``run(_:_:outputLimit:errorTailLimit:onStdoutLine:)``.
    /// - Throws: ``SubprocessError`` when the program cannot be started; the error `input` threw;
    ///   `CancellationError`.
    public static func run(
        _ executable: URL, _ arguments: [String],
        outputLimit: Int = .max,
        errorTailLimit: Int = Subprocess.defaultErrorTailLimit,
        onStdoutLine: (@Sendable (String) -> Void)? = nil,
        input: @escaping @Sendable (SubprocessInput) throws -> Void
    ) async throws -> SubprocessResult {
        try await run(
            executable, arguments, outputLimit: outputLimit, errorTailLimit: errorTailLimit,
            onStdoutLine: onStdoutLine, feed: input)
    }

    /// Runs `executable` with `arguments` and hands its stdout, raw and as it arrives, to `onStdoutBytes`, on a
    /// thread of its own: the callback may block (the child then blocks on its full pipe), which is the
    /// back-pressure a consumer of decoded video frames needs. The bytes are valid during the call only. Nothing of
    /// stdout is kept in the result.
    ///
    /// A name of its own, not an overload of `run`: a trailing closure `{ _ in }` would fit both this and the `input`
    /// closure of ``run(_:_:outputLimit:errorTailLimit:onStdoutLine:input:)``.
    ///
    /// Other parameters as in ``run(_:_:outputLimit:errorTailLimit:onStdoutLine:)``.
    /// - Throws: ``SubprocessError`` when the program cannot be started; `CancellationError` when the task was
    ///   cancelled (the child has then been ended).
    public static func runStreaming(
        _ executable: URL, _ arguments: [String],
        errorTailLimit: Int = Subprocess.defaultErrorTailLimit,
        onStdoutBytes: @escaping @Sendable (UnsafeRawBufferPointer) -> Void
    ) async throws -> SubprocessResult {
        try await run(
            executable, arguments, outputLimit: 0, errorTailLimit: errorTailLimit, onStdoutLine: nil, feed: nil,
            stdoutBytes: onStdoutBytes)
    }

    private static func run(
        _ executable: URL, _ arguments: [String], outputLimit: Int, errorTailLimit: Int,
        onStdoutLine: (@Sendable (String) -> Void)?, feed: (@Sendable (SubprocessInput) throws -> Void)?,
        stdoutBytes: (@Sendable (UnsafeRawBufferPointer) -> Void)? = nil
    ) async throws -> SubprocessResult {
        let state = SubprocessState(outputLimit: max(0, outputLimit), errorTailLimit: max(0, errorTailLimit))
        // The children and the threads of this run start at the rendering's priority (see `RenderPriority`).
        let niceness = RenderPriority.clampedNiceness
        let result: SubprocessResult = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<SubprocessResult, any Error>) in
                let child: sf_child
                let stdinDescriptor: Int32
                do {
                    (child, stdinDescriptor) = try spawn(
                        executable, arguments, pipeStdin: feed != nil, niceness: niceness)
                } catch {
                    continuation.resume(throwing: error)
                    return
                }
                state.launched(pid: child.pid)
                let group = DispatchGroup()
                if let feed {
                    let input = SubprocessInput(
                        descriptor: stdinDescriptor, state: state, program: executable.lastPathComponent)
                    group.enter()
                    // A thread of its own: `feed` blocks in writes (and in waits for what it writes) for as long as
                    // the child runs, which a thread of the cooperative pool or of Dispatch's must not.
                    let writer = Thread {
                        RenderPriority.lowerCurrentThread(by: niceness)
                        do {
                            try feed(input)
                            input.close()
                        } catch {
                            input.close()
                            state.inputEnded(with: error)
                        }
                        group.leave()
                    }
                    writer.name = "storyforge.subprocess.stdin"
                    writer.start()
                }
                // Every blocking read and the wait for the exit run on threads of their own, never on Dispatch's
                // global queues: on Linux those run on a small pool that the rest of the process waits for too, so
                // readers blocked for as long as their children run (an encoder: minutes) stalled it (six 3 s
                // children were reaped after 6 s, and a server's requests waited up to 2 s).
                group.enter()
                let reader = Thread {
                    RenderPriority.lowerCurrentThread(by: niceness)
                    if let stdoutBytes {
                        // The consumer may block for as long as it is behind: the child then blocks on its pipe.
                        readAll(child.stdout_fd, raw: stdoutBytes)
                    } else {
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
                    }
                    group.leave()
                }
                reader.name = "storyforge.subprocess.stdout"
                reader.start()
                // The stderr reader then waits for the others and for the child's exit, and ends the run.
                let waiter = Thread {
                    readAll(child.stderr_fd) { state.appendStderr($0) }
                    group.wait()
                    let status = state.waitForExit()
                    if let failure = state.inputFailure {
                        continuation.resume(throwing: failure)
                        return
                    }
                    continuation.resume(
                        returning: SubprocessResult(
                            status: status, stdout: state.stdout, stderrTail: state.stderrTail,
                            inputInterrupted: state.wasInputInterrupted))
                }
                waiter.name = "storyforge.subprocess.stderr"
                waiter.start()
            }
        } onCancel: {
            state.cancel()
        }
        if state.wasCancelled { throw CancellationError() }
        return result
    }

    /// Starts the child; the argument strings are copied for the duration of the call. Returns the write end of
    /// the child's stdin when `pipeStdin`, else -1 (its stdin is /dev/null).
    private static func spawn(
        _ executable: URL, _ arguments: [String], pipeStdin: Bool, niceness: Int
    ) throws(SubprocessError) -> (sf_child, Int32) {
        let strings = [executable.path] + arguments
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { for pointer in pointers { free(pointer) } }
        guard !pointers.contains(where: { $0 == nil }) else {
            throw .outOfMemory("cannot start \(executable.path): out of memory for its arguments")
        }
        pointers.append(nil)
        var child = sf_child(pid: 0, stdout_fd: -1, stderr_fd: -1)
        var stdinDescriptor: Int32 = -1
        let code = pointers.withUnsafeBufferPointer { argv in
            pipeStdin
                ? sf_spawn_stdin_nice(executable.path, argv.baseAddress, nil, &child, &stdinDescriptor, Int32(niceness))
                : sf_spawn_nice(executable.path, argv.baseAddress, nil, &child, Int32(niceness))
        }
        guard code == 0 else {
            throw .cannotStart("cannot start \(executable.path): \(String(cString: strerror(code)))")
        }
        return (child, stdinDescriptor)
    }

    /// Reads a descriptor to its end, handing each chunk to `body` in place, then closes it.
    private static func readAll(_ descriptor: Int32, raw body: (UnsafeRawBufferPointer) -> Void) {
        defer { close(descriptor) }
        // 1 MiB: the most a pipe holds once the reader lags, so one read takes what is there.
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 20, alignment: 64)
        defer { buffer.deallocate() }
        while true {
            let count = read(descriptor, buffer.baseAddress, buffer.count)
            if count > 0 {
                body(UnsafeRawBufferPointer(rebasing: buffer[0..<count]))
            } else if count == 0 || errno != EINTR {
                return
            }
        }
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

/// `close(2)`, out of reach of the members called `close`.
private func closeDescriptor(_ descriptor: Int32) { _ = close(descriptor) }

/// The state a subprocess run shares between its reader threads, its exit waiter and the
/// cancellation handler. `@unchecked Sendable`: every property is guarded by `lock`.
private final class SubprocessState: @unchecked Sendable {
    private let lock = NSLock()
    private var pid: pid_t = 0
    private var cancelled = false
    private var exited = false
    private var out = Data()
    private var err = Data()
    private var inputError: (any Error)?
    private var interrupted = false
    private let outputLimit: Int
    private let errorTailLimit: Int

    init(outputLimit: Int, errorTailLimit: Int) {
        self.outputLimit = outputLimit
        self.errorTailLimit = errorTailLimit
    }

    var stdout: Data { lock.withLock { out } }
    var stderrTail: Data { lock.withLock { err } }
    var wasCancelled: Bool { lock.withLock { cancelled } }
    /// The error the `input` closure ended with, unless it was a broken pipe (the child's doing, reported with its
    /// result) or the run was cancelled (reported as `CancellationError`).
    var inputFailure: (any Error)? { lock.withLock { cancelled ? nil : inputError } }
    var wasInputInterrupted: Bool { lock.withLock { interrupted } }

    /// Records how the `input` closure ended; any error but a broken pipe ends the child.
    func inputEnded(with error: any Error) {
        if let error = error as? SubprocessError, error.code == .brokenPipe {
            lock.withLock { interrupted = true }
            return
        }
        lock.withLock { inputError = error }
        terminate()
    }

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

    func terminate() {
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
