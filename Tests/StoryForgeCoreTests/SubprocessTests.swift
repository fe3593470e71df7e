import Foundation
import StoryForgeCore
import Synchronization
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The one runner (under ffmpeg and espeak-ng), with real processes: how a child starts, fails to start, is
/// read and is ended.
@Suite struct SubprocessTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/status"), "reads /proc (Linux)"))
    func aChildStartsInItsOwnGroupWithDefaultSignalsAndOnlyItsStandardDescriptors() async throws {
        // Ignored in this process, as story-demo ignores SIGINT and SIGTERM: the child must not inherit that.
        let previous = signal(SIGUSR2, SIG_IGN)
        defer { signal(SIGUSR2, previous) }
        // Each program reads its own /proc entry: it is the runner's child itself, not a shell's.
        func run(_ tool: String, _ arguments: [String]) async throws -> [String] {
            let result = try await Subprocess.run(URL(fileURLWithPath: tool), arguments)
            #expect(result.status == 0)
            return String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        }
        let status = try await run("/bin/grep", ["-E", "^Sig(Ign|Blk)", "/proc/self/status"])
        let mask = { (name: String) in
            status.first { $0.hasPrefix(name + ":") }.flatMap { UInt64($0.dropFirst(8), radix: 16) }
        }
        let ignored = try #require(mask("SigIgn"))
        let blocked = try #require(mask("SigBlk"))
        // Bit n-1 is signal n. Signals 32 and 33 are glibc's own (thread cancellation, setxid): its sigaction
        // refuses them, so the child cannot reset them and no program uses them.
        let glibc = UInt64(1) << 31 | UInt64(1) << 32
        #expect(ignored & ~glibc == 0, "\(status)")
        #expect(blocked & ~glibc == 0, "\(status)")
        // ls lists its own descriptors: the three standard ones and the one it reads the directory with.
        let descriptors = try await run("/bin/ls", ["/proc/self/fd"])
        #expect(descriptors == ["0", "1", "2", "3"], "\(descriptors)")
        let stat = try #require(try await run("/bin/cat", ["/proc/self/stat"]).first)
        // After "pid (comm)": state, ppid, pgrp.
        let pid = try #require(stat.split(separator: " ").first)
        let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
        #expect(fields.count > 3 && fields[2] == pid, "the child does not lead its own process group: \(stat)")
    }

    @Test func aProgramThatCannotBeStartedIsATypedErrorNamingTheCause() async throws {
        let missing = URL(fileURLWithPath: "/nonexistent-\(UUID().uuidString)/ffmpeg")
        let error = await #expect(throws: SubprocessError.self) {
            try await Subprocess.run(missing, ["-version"])
        }
        #expect(error?.code == .cannotStart)
        #expect(error?.description.contains(missing.path) == true)
        #expect(error?.description.contains("No such file or directory") == true, "\(String(describing: error))")
        // Not executable: the exec error comes back from the child.
        let text = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-program-\(UUID().uuidString)")
        try Data("hello".utf8).write(to: text)
        defer { try? FileManager.default.removeItem(at: text) }
        let denied = await #expect(throws: SubprocessError.self) {
            try await Subprocess.run(text, [])
        }
        #expect(denied?.description.contains("Permission denied") == true, "\(String(describing: denied))")
    }

    @Test func cancellationEndsTheChildAndStderrIsKept() async throws {
        let child = PID()
        let task = Task {
            try await Subprocess.run(
                URL(fileURLWithPath: "/bin/sh"), ["-c", "echo $$; exec sleep 30"], outputLimit: 0
            ) { line in child.set(pid_t(line)) }
        }
        // Once the child has said who it is (at most 10 s on a loaded machine), cancel.
        let clock = ContinuousClock()
        let deadline = clock.now + .seconds(10)
        while child.value == nil, clock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        let pid = try #require(child.value)
        let cancelled = clock.now
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        // SIGTERM ends `sleep` at once; well before its 30 s, and before the 3 s SIGKILL fallback on a quiet machine.
        #expect(clock.now - cancelled < .seconds(10))
        #expect(kill(pid, 0) != 0 && errno == ESRCH, "the child \(pid) is still there")

        let failed = try await Subprocess.run(
            URL(fileURLWithPath: "/bin/sh"), ["-c", "echo oops >&2; exit 3"])
        #expect(failed.status == 3)
        #expect(String(decoding: failed.stderrTail, as: UTF8.self) == "oops\n")
    }

    static let shell = URL(filePath: "/bin/sh")

    @Test("a child writing 1 MiB to stderr and 2 MiB to stdout finishes; the kept parts are bounded")
    func largeOutputDoesNotHang() async throws {
        // 1 MiB of "e" on stderr ending in a recognisable line, 2 MiB of "o" on stdout.
        let script = """
            head -c 1048576 /dev/zero | tr '\\000' e >&2
            echo ' the last words' >&2
            head -c 2097152 /dev/zero | tr '\\000' o
            exit 3
            """
        let start = ContinuousClock.now
        let result = try await Subprocess.run(
            Self.shell, ["-c", script], outputLimit: 1 << 20, errorTailLimit: 4 << 10)
        #expect(ContinuousClock.now - start < .seconds(20))
        #expect(result.status == 3)
        #expect(result.stdout.count == 1 << 20)
        #expect(result.stderr.utf8.count == 4 << 10)
        #expect(result.stderr.hasSuffix("the last words\n"))
        // Unbounded by default: every byte of stdout is kept.
        let all = try await Subprocess.run(Self.shell, ["-c", "head -c 2097152 /dev/zero"])
        #expect(all.stdout.count == 2 << 20)
    }

    @Test("a streamed run hands every stdout byte to the callback in order and keeps none of it")
    func streamedOutputArrivesInOrderAndIsNotKept() async throws {
        // 3 MiB, at least 48 reads of the runner's 64 KiB buffer, from a file `cat` copies out.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("subprocess-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // 64 KiB of random bytes, 48 times over, each copy ending in its own number (so order matters).
        var generator = SystemRandomNumberGenerator()
        let block = (0..<(64 << 10)).map { _ in UInt8.random(in: 0...255, using: &generator) }
        var bytes = Data()
        for index in 0..<48 {
            bytes.append(contentsOf: block)
            bytes[bytes.count - 1] = UInt8(index)
        }
        let file = directory.appendingPathComponent("random.bin")
        try bytes.write(to: file)
        let received = Mutex(Data())
        let chunks = Mutex(0)
        let result = try await Subprocess.runStreaming(URL(filePath: "/bin/cat"), [file.path]) { chunk in
            received.withLock { $0.append(contentsOf: chunk) }
            chunks.withLock { $0 += 1 }
        }
        #expect(result.status == 0)
        #expect(result.stdout.isEmpty)
        #expect(received.withLock { $0 } == bytes)
        #expect(chunks.withLock { $0 } >= 48)
        // stderr is still kept, to the limit given.
        let failed = try await Subprocess.runStreaming(
            URL(filePath: "/bin/cat"), [directory.appendingPathComponent("missing").path], errorTailLimit: 16
        ) { _ in }
        #expect(failed.status != 0)
        #expect(failed.stderrTail.count == 16)
    }

    @Test("a child reads what the input closure writes, blocking writes and all, and sees the end when it returns")
    func stdinIsStreamed() async throws {
        // 8 MiB in 1 MiB writes, more than the pipe holds: the writes block until `wc` has read.
        let chunk = [UInt8](repeating: 0x61, count: 1 << 20)
        let result = try await Subprocess.run(URL(filePath: "/usr/bin/wc"), ["-c"]) { input in
            for _ in 0..<8 { try input.write(chunk) }
        }
        #expect(result.status == 0)
        #expect(!result.inputInterrupted)
        #expect(
            String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == "8388608")
        // The child's only descriptors are still the three standard ones (the write end is not inherited).
        let descriptors = try await Subprocess.run(URL(filePath: "/bin/ls"), ["/proc/self/fd"]) { _ in }
        #expect(String(decoding: descriptors.stdout, as: UTF8.self).split(separator: "\n") == ["0", "1", "2", "3"])
    }

    @Test("a child that stops reading: a broken-pipe error for the writer, no SIGPIPE, the child's result kept")
    func brokenPipe() async throws {
        let outcome = Outcome()
        let chunk = [UInt8](repeating: 0x62, count: 256 << 10)
        // SIGPIPE keeps its default action (death) in this process: only the write's own handling saves it.
        let previous = signal(SIGPIPE, SIG_DFL)
        defer { signal(SIGPIPE, previous) }
        // The shell closes its stdin too once `head` is done: then nothing reads the pipe.
        let script = "head -c 10 >/dev/null; exec 0<&-; echo gone >&2; exit 4"
        let result = try await Subprocess.run(Self.shell, ["-c", script]) { input in
            do {
                for _ in 0..<64 { try input.write(chunk) }
            } catch {
                outcome.set(error)
                throw error
            }
        }
        let error = try #require(outcome.value as? SubprocessError)
        #expect(error.code == .brokenPipe, "\(error)")
        #expect(result.inputInterrupted)
        #expect(result.status == 4)
        #expect(result.stderr == "gone\n")
    }

    @Test("an input closure that throws ends the child, and its error comes out")
    func inputErrorEndsTheChild() async throws {
        struct Stop: Error {}
        let clock = ContinuousClock()
        let threw = Instant()
        await #expect(throws: Stop.self) {
            _ = try await Subprocess.run(Self.shell, ["-c", "exec sleep 30"]) { input in
                try input.write([1, 2, 3])
                threw.set(clock.now)
                throw Stop()
            }
        }
        // Timed from the throw: starting a child can take seconds while parallel tests fork theirs.
        let thrown = try #require(threw.value)
        #expect(clock.now - thrown < .seconds(10))
    }

    @Test("cancelling a run with an input ends the child and the writer's wait")
    func cancellationWithInput() async throws {
        let task = Task {
            try await Subprocess.run(Self.shell, ["-c", "exec sleep 30"]) { input in
                // A producer that waits for its next piece, as the composer's writer waits for frames.
                while !input.isCancelled { Thread.sleep(forTimeInterval: 0.005) }
            }
        }
        try await Task.sleep(for: .milliseconds(200))
        let clock = ContinuousClock()
        let cancelled = clock.now
        task.cancel()
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        #expect(clock.now - cancelled < .seconds(10))
    }

    @Test func findLooksOnThePathOrTakesAPath() {
        #expect(Subprocess.find("sh", environment: ["PATH": "/nonexistent:/bin"])?.path == "/bin/sh")
        #expect(Subprocess.find("/bin/sh")?.path == "/bin/sh")
        #expect(Subprocess.find("no-such-program-\(UUID().uuidString)", environment: ["PATH": "/bin"]) == nil)
    }

    #if os(Linux)
        @Test(
            "on Linux the child is started with a parent-death signal (it dies with this process)",
            .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "util-linux setpriv"))
        func parentDeathSignal() async throws {
            // setpriv --dump, run as the runner's own child, reports the death signal it was given.
            let result = try await Subprocess.run(URL(filePath: "/usr/bin/setpriv"), ["--dump"])
            #expect(result.status == 0)
            #expect(String(decoding: result.stdout, as: UTF8.self).contains("Parent death signal: KILL"))
        }
    #endif
}

/// A pid reported from a callback thread. `@unchecked Sendable`: `stored` is only touched under `lock`.
private final class PID: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: pid_t?

    var value: pid_t? { lock.withLock { stored } }

    func set(_ pid: pid_t?) { lock.withLock { stored = pid } }
}

/// An error seen on a writer thread. `@unchecked Sendable`: `stored` is only touched under `lock`.
private final class Outcome: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?

    var value: (any Error)? { lock.withLock { stored } }

    func set(_ error: any Error) { lock.withLock { stored = error } }
}

/// A moment seen on a writer thread. `@unchecked Sendable`: `stored` is only touched under `lock`.
private final class Instant: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: ContinuousClock.Instant?

    var value: ContinuousClock.Instant? { lock.withLock { stored } }

    func set(_ instant: ContinuousClock.Instant) { lock.withLock { stored = instant } }
}
