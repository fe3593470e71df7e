import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// What a finished subprocess left behind.
struct SubprocessResult: Sendable {
    var status: Int32
    var stdout: Data
    var stderrTail: Data
}

/// Runs one executable with an argument array (never a shell), streams stdout lines to a callback
/// or collects stdout, keeps the last 64 KiB of stderr, and terminates the process when the
/// calling task is cancelled (SIGTERM, then SIGKILL after 3 s).
enum Subprocess {
    static func run(
        _ executable: URL, _ arguments: [String], collectStdout: Bool,
        onStdoutLine: (@Sendable (String) -> Void)? = nil
    ) async throws -> SubprocessResult {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        let outPipe = Pipe()
        let errPipe = Pipe()
        process.standardOutput = outPipe
        process.standardError = errPipe
        let state = SubprocessState()
        let result: SubprocessResult = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation {
                (continuation: CheckedContinuation<SubprocessResult, any Error>) in
                let group = DispatchGroup()
                process.terminationHandler = { finished in
                    let status = finished.terminationStatus
                    group.notify(queue: .global()) {
                        state.markExited()
                        continuation.resume(
                            returning: SubprocessResult(
                                status: status, stdout: state.stdout, stderrTail: state.stderrTail))
                    }
                }
                group.enter()
                group.enter()
                do {
                    try process.run()
                } catch {
                    continuation.resume(
                        throwing: FFmpegError.notFound("cannot start \(executable.path): \(error.localizedDescription)")
                    )
                    return
                }
                state.launched(pid: process.processIdentifier)
                let outHandle = outPipe.fileHandleForReading
                let errHandle = errPipe.fileHandleForReading
                DispatchQueue.global().async {
                    var pending = Data()
                    while true {
                        let chunk = outHandle.availableData
                        if chunk.isEmpty { break }
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
                    while true {
                        let chunk = errHandle.availableData
                        if chunk.isEmpty { break }
                        state.appendStderr(chunk)
                    }
                    group.leave()
                }
            }
        } onCancel: {
            state.cancel()
        }
        if state.wasCancelled { throw CancellationError() }
        return result
    }
}

/// The state a subprocess run shares between its reader threads, its termination handler and the
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

    func markExited() { lock.withLock { exited = true } }

    func cancel() {
        lock.withLock { cancelled = true }
        terminate()
    }

    private func terminate() {
        let pid = lock.withLock { exited ? 0 : self.pid }
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        DispatchQueue.global().asyncAfter(deadline: .now() + 3) { [self] in
            let stillRunning = lock.withLock { !exited }
            if stillRunning { kill(pid, SIGKILL) }
        }
    }
}
