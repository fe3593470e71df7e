import Foundation
import Testing

@testable import ProviderKit

/// The runner under the espeak-ng synthesiser, with `/bin/sh` scripts as the child (arguments as
/// an array; the script is the test's own).
@Suite("Subprocess runner")
struct SubprocessTests {
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
        let result = try await Subprocess.capture(Self.shell, ["-c", script])
        #expect(ContinuousClock.now - start < .seconds(20))
        #expect(result.status == 3)
        #expect(result.stdout.count == Subprocess.outputLimit)
        #expect(result.stderr.utf8.count == Subprocess.errorTailLimit)
        #expect(result.stderr.hasSuffix("the last words\n"))
    }

    @Test("the espeak runner's error message carries only the bounded tail")
    func espeakErrorTail() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "storyforge-fake-espeak-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let program = directory.appending(path: "espeak-ng")
        try """
        #!/bin/sh
        head -c 1048576 /dev/zero | tr '\\000' e >&2
        echo ' voice not found' >&2
        exit 1
        """.write(to: program, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: program.path)
        let synthesizer = EspeakSpeechSynthesizer(configuration: .init(executable: program.path))
        let error = await #expect(throws: ProviderError.self) {
            try await synthesizer.synthesize(SpeechRequest(text: "Hello there."))
        }
        #expect(error?.code == .server)
        #expect(error?.message.hasSuffix("voice not found\n") == true)
        #expect((error?.message.utf8.count ?? .max) < Subprocess.errorTailLimit + 200)
    }

    #if os(Linux)
        @Test("on Linux the child is started with a parent-death signal (it dies with this process)")
        func parentDeathSignal() async throws {
            let setpriv = try #require(Subprocess.deathSignalWrapper, "util-linux setpriv is installed in CI")
            // setpriv --dump, run through the runner, reports the signal it inherited.
            let result = try await Subprocess.capture(setpriv, ["--dump"])
            #expect(result.status == 0)
            #expect(String(decoding: result.stdout, as: UTF8.self).contains("Parent death signal: KILL"))
        }

        @Test("a child of a killed parent dies with it")
        func childDiesWithParent() async throws {
            // The parent is a shell started through the runner; it starts a grandchild with the
            // runner's own command line (setpriv --pdeathsig KILL …) and is killed with SIGKILL.
            try #require(Subprocess.deathSignalWrapper != nil)
            let guarded = Subprocess.command(URL(filePath: "/bin/sleep"), ["30"])
            let guardedPid = try await Self.orphan([guarded.executable.path] + guarded.arguments)
            #expect(await Self.gone(guardedPid, within: .seconds(2)), "sleep \(guardedPid) outlived its killed parent")
            // The control: started without the wrapper, the same grandchild survives its parent,
            // so the check above can tell the difference.
            let plainPid = try await Self.orphan(["/bin/sleep", "30"])
            #expect(await Self.gone(plainPid, within: .milliseconds(300)) == false)
            kill(plainPid, SIGKILL)
        }

        /// Runs a shell that starts `command` in the background, waits for it to settle, writes its
        /// pid to a file and kills itself with SIGKILL; returns the pid of the orphan.
        static func orphan(_ command: [String]) async throws -> Int32 {
            let pidFile = FileManager.default.temporaryDirectory.appending(path: "storyforge-orphan-\(UUID()).pid")
            defer { try? FileManager.default.removeItem(at: pidFile) }
            let quoted = command.map { "'\($0)'" }.joined(separator: " ")
            let script = "\(quoted) >/dev/null 2>&1 </dev/null & echo $! > '\(pidFile.path)'; sleep 0.3; kill -9 $$"
            // A plain Process with no pipes: an orphan that inherited a pipe would keep it open.
            let parent = Process()
            parent.executableURL = shell
            parent.arguments = ["-c", script]
            parent.standardOutput = FileHandle.nullDevice
            parent.standardError = FileHandle.nullDevice
            try parent.run()
            #expect(await gone(parent.processIdentifier, within: .seconds(5)))
            let text = try String(contentsOf: pidFile, encoding: .utf8)
            return try #require(Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        }

        /// Whether process `pid` has ended (or is a zombie) within `limit`.
        static func gone(_ pid: Int32, within limit: Duration) async -> Bool {
            func ended() -> Bool {
                let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
                return status.map { $0.contains("State:\tZ") } ?? true
            }
            let deadline = ContinuousClock.now + limit
            while ContinuousClock.now < deadline {
                if ended() { return true }
                try? await Task.sleep(for: .milliseconds(20))
            }
            // One look after the deadline: on a starved machine the last sleep may end far past it.
            return ended()
        }
    #endif
}
