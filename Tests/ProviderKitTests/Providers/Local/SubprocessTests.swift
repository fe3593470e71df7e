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
        #expect(error == .server)
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
            // The parent is a shell started through the runner's own command line; it starts a
            // grandchild the same way (setpriv --pdeathsig KILL), prints its pid and is killed.
            try #require(Subprocess.deathSignalWrapper != nil)
            let inner = Subprocess.command(URL(filePath: "/bin/sleep"), ["30"])
            let quoted = ([inner.executable.path] + inner.arguments).map { "'\($0)'" }.joined(separator: " ")
            let script = "\(quoted) & echo $!; kill -9 $$"
            let result = try await Subprocess.capture(Self.shell, ["-c", script])
            #expect(result.status != 0)
            let pid = try #require(Int32(String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
            // The grandchild gets SIGKILL when the shell dies: within two seconds it is gone.
            let deadline = ContinuousClock.now + .seconds(2)
            var alive = true
            while ContinuousClock.now < deadline {
                let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
                alive = status.map { !$0.contains("State:\tZ") } ?? false
                if !alive { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(!alive, "sleep \(pid) outlived its killed parent")
        }
    #endif
}
