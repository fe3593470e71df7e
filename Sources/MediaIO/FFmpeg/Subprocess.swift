import CStoryForgeSpawn
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a finished subprocess left behind.
struct SubprocessResult: Sendable {
    /// The exit status, or the number of the signal that ended the process.
    var status: Int32
    var stdout: Data
    var stderrTail: Data
}

/// Runs one executable with an argument array (never a shell), streams stdout lines to a callback
/// or collects stdout, keeps the last 64 KiB of stderr, and terminates the process when the
/// calling task is cancelled (SIGTERM, then SIGKILL after 3 s).
///
/// The child is started by `sf_spawn` (the `CStoryForgeSpawn` target), not Foundation's `Process`:
/// on Linux it is tied to this process with `PR_SET_PDEATHSIG(SIGKILL)`, so it dies with its parent
/// however the parent ends (`kill -9`, `exit()` on a second Ctrl-C), and it runs in a process group
/// of its own, so a terminal's Ctrl-C reaches the parent only, which then ends it.
enum Subprocess {
    static func run(
        _ executable: URL, _ arguments: [String], collectStdout: Bool,
        onStdoutLine: (@Sendable (String) -> Void)? = nil
    ) async throws -> SubprocessResult {
        let state = SubprocessState()
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
                        if collectStdout { state.appendStdout(chunk) }
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
    private static func spawn(_ executable: URL, _ arguments: [String]) throws -> sf_child {
        let strings = [executable.path] + arguments
        var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
        defer { for pointer in pointers { free(pointer) } }
        guard !pointers.contains(where: { $0 == nil }) else {
            throw FFmpegError.invalidArgument("cannot start \(executable.path): out of memory for its arguments")
        }
        pointers.append(nil)
        var child = sf_child(pid: 0, stdout_fd: -1, stderr_fd: -1)
        let code = pointers.withUnsafeBufferPointer { argv in
            sf_spawn(executable.path, argv.baseAddress, nil, &child)
        }
        guard code == 0 else {
            throw FFmpegError.notFound("cannot start \(executable.path): \(String(cString: strerror(code)))")
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
    private static let stderrLimit = 64 * 1024

    var stdout: Data { lock.withLock { out } }
    var stderrTail: Data { lock.withLock { err } }
    var wasCancelled: Bool { lock.withLock { cancelled } }

    func appendStdout(_ data: Data) { lock.withLock { out.append(data) } }

    func appendStderr(_ data: Data) {
        lock.withLock {
            err.append(data)
            if err.count > Self.stderrLimit { err = Data(err.suffix(Self.stderrLimit)) }
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
