import Foundation
import Testing

@testable import MediaIO

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The runner under ffmpeg, with real processes: how a child starts, fails to start and is ended.
@Suite struct SubprocessTests {
    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/status"), "reads /proc (Linux)"))
    func aChildStartsInItsOwnGroupWithDefaultSignalsAndOnlyItsStandardDescriptors() async throws {
        // Ignored in this process, as story-demo ignores SIGINT and SIGTERM: the child must not inherit that.
        let previous = signal(SIGUSR2, SIG_IGN)
        defer { signal(SIGUSR2, previous) }
        // Each program reads its own /proc entry: it is the runner's child itself, not a shell's.
        func run(_ tool: String, _ arguments: [String]) async throws -> [String] {
            let result = try await Subprocess.run(URL(fileURLWithPath: tool), arguments, collectStdout: true)
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
        let error = await #expect(throws: FFmpegError.self) {
            try await Subprocess.run(missing, ["-version"], collectStdout: true)
        }
        #expect(error?.description.contains(missing.path) == true)
        #expect(error?.description.contains("No such file or directory") == true, "\(String(describing: error))")
        // Not executable: the exec error comes back from the child.
        let text = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-program-\(UUID().uuidString)")
        try Data("hello".utf8).write(to: text)
        defer { try? FileManager.default.removeItem(at: text) }
        let denied = await #expect(throws: FFmpegError.self) {
            try await Subprocess.run(text, [], collectStdout: true)
        }
        #expect(denied?.description.contains("Permission denied") == true, "\(String(describing: denied))")
    }

    @Test func cancellationEndsTheChildAndStderrIsKept() async throws {
        let child = PID()
        let task = Task {
            try await Subprocess.run(
                URL(fileURLWithPath: "/bin/sh"), ["-c", "echo $$; exec sleep 30"], collectStdout: false
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
            URL(fileURLWithPath: "/bin/sh"), ["-c", "echo oops >&2; exit 3"], collectStdout: true)
        #expect(failed.status == 3)
        #expect(String(decoding: failed.stderrTail, as: UTF8.self) == "oops\n")
    }
}

/// A pid reported from a callback thread. `@unchecked Sendable`: `stored` is only touched under `lock`.
private final class PID: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: pid_t?

    var value: pid_t? { lock.withLock { stored } }

    func set(_ pid: pid_t?) { lock.withLock { stored = pid } }
}
