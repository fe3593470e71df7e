import Foundation
import StoryForgeCore
import StoryForgeTestSupport
import StoryModels
import Testing

@testable import StoryPipeline

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `story-demo` as a real process: killed and resumed, interrupted with Ctrl-C, given bad input.
@Suite(.serialized) struct StoryDemoProcessTests {
    static let config = """
        {
          "story": { "topic": "a night train", "seed": 5, "target_seconds": 10 },
          "providers": { "text": "template", "speech": "espeak", "images": "procedural" },
          "render": { "width": 360, "height": 640 },
          "pipeline": { "stages": { "keyframes": { "parameters": { "width": 180, "height": 320 } } } }
        }
        """

    struct Outcome {
        var status: Int32
        var killed: Bool
        var output: String
        var errors: String
    }

    /// Runs story-demo; when `stopAt` appears in its output, sends `signal` to it.
    func demo(
        _ arguments: [String], environment: [String: String]? = nil, stopAt: String? = nil, signal: Int32 = SIGKILL
    ) throws -> Outcome {
        let process = Process()
        process.executableURL = try PackageExecutable.url("story-demo")
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        var text = ""
        let handle = out.fileHandleForReading
        var sent = false
        while true {
            let chunk = handle.availableData
            if chunk.isEmpty { break }
            text += String(decoding: chunk, as: UTF8.self)
            if let stopAt, !sent, text.contains(stopAt) {
                kill(process.processIdentifier, signal)
                sent = true
            }
        }
        process.waitUntilExit()
        return Outcome(
            status: process.terminationStatus, killed: process.terminationReason == .uncaughtSignal, output: text,
            errors: String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    func runID(in output: String) throws -> String {
        let line = try #require(output.split(separator: "\n").first { $0.hasPrefix("run ") })
        return String(line.dropFirst(4).split(separator: " ")[0])
    }

    func hashes(_ directory: URL) throws -> [String: String] {
        let manifest = try StoryJSON.decode(
            ExportManifest.self, from: Data(contentsOf: directory.appendingPathComponent("manifest.json")))
        return Dictionary(uniqueKeysWithValues: manifest.files.map { ($0.path, $0.sha256) })
    }

    @Test func aKilledRunResumesFromItsCheckpointsAndMatchesAnUninterruptedRun() throws {
        let root = try temporaryDirectory("kill")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = root.appendingPathComponent("config.json")
        try Self.config.write(to: config, atomically: true, encoding: .utf8)
        let store = root.appendingPathComponent("store").path
        let output = root.appendingPathComponent("out")

        let killed = try demo(
            ["--config", config.path, "--store", store, "--output", output.path], stopAt: "assemble: started")
        #expect(killed.killed, "story-demo was not killed: \(killed.output)")
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("manifest.json").path))
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("video.mp4").path))
        let id = try runID(in: killed.output)

        let resumed = try demo(["--resume", id, "--store", store, "--output", output.path])
        #expect(resumed.status == 0, "\(resumed.output)\n\(resumed.errors)")
        #expect(resumed.output.contains("voice: reused from this run's checkpoint"))
        #expect(resumed.output.contains("assemble: done"))
        #expect(!resumed.output.contains("voice: started"))

        // The same story, uninterrupted, in a separate store.
        let reference = root.appendingPathComponent("reference")
        let clean = try demo([
            "--config", config.path, "--store", root.appendingPathComponent("store2").path, "--output", reference.path,
        ])
        #expect(clean.status == 0, "\(clean.errors)")
        let a = try hashes(output)
        let b = try hashes(reference)
        #expect(Set(a.keys) == Set(b.keys))
        // Everything, the video included: x264 is deterministic for the same input and settings. storyboard.json
        // names its run, as manifest.json does.
        for path in a.keys where path != "storyboard.json" {
            #expect(a[path] == b[path], "\(path) differs after resume")
            if a[path] != b[path],
                let x = try? String(contentsOf: output.appendingPathComponent(path), encoding: .utf8),
                let y = try? String(contentsOf: reference.appendingPathComponent(path), encoding: .utf8)
            {
                Issue.record("resumed:\n\(x)\nreference:\n\(y)")
            }
        }
    }

    @Test func ctrlCStopsCleanlyAndTheRunCanBeResumed() throws {
        let root = try temporaryDirectory("interrupt")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = root.appendingPathComponent("config.json")
        try Self.config.write(to: config, atomically: true, encoding: .utf8)
        let store = root.appendingPathComponent("store").path
        let output = root.appendingPathComponent("out")
        let stopped = try demo(
            ["--config", config.path, "--store", store, "--output", output.path], stopAt: "assemble: started",
            signal: SIGINT)
        #expect(stopped.status == 130, "\(stopped.output)\n\(stopped.errors)")
        #expect(stopped.output.contains("Continue with: story-demo --resume"))
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("video.mp4").path))
        let leftovers =
            (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("store/work").path)) ?? []
        #expect(leftovers.isEmpty, "scratch files left: \(leftovers)")

        let resumed = try demo(["--resume", try runID(in: stopped.output), "--store", store, "--output", output.path])
        #expect(resumed.status == 0, "\(resumed.errors)")
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("manifest.json").path))
    }

    @Test func badInputGetsOneClearMessageAndANonZeroExit() throws {
        let root = try temporaryDirectory("bad")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = root.appendingPathComponent("config.json")
        try #"{"story": {"target_seconds": "long"}}"#.write(to: config, atomically: true, encoding: .utf8)
        let store = root.appendingPathComponent("store").path

        let badConfig = try demo(["--config", config.path, "--store", store])
        #expect(badConfig.status == 1)
        #expect(badConfig.errors.contains("story.target_seconds"), "\(badConfig.errors)")

        try #"{"pipeline": {"stages": {"voice": {"timeout": -1}}}}"#.write(
            to: config, atomically: true, encoding: .utf8)
        let badStage = try demo(["--config", config.path, "--store", store])
        #expect(badStage.status == 1)
        #expect(badStage.errors.contains("pipeline.stages.voice.timeout"), "\(badStage.errors)")

        let noFFmpeg = try demo(
            ["--store", store, "--topic", "x"], environment: ["PATH": "/nonexistent", "HOME": root.path])
        #expect(noFFmpeg.status == 1)
        #expect(noFFmpeg.errors.contains("apt-get install ffmpeg"), "\(noFFmpeg.errors)")

        var environment = ProcessInfo.processInfo.environment
        environment["OPENAI_BASE_URL"] = "http://127.0.0.1:9/v1"
        environment["OPENAI_API_KEY"] = "sk-never-shown"
        let deadProvider = try demo(["--store", store, "--topic", "x"], environment: environment)
        #expect(deadProvider.status == 1)
        #expect(deadProvider.errors.contains("does not answer"), "\(deadProvider.errors)")
        #expect(deadProvider.errors.contains("OPENAI_BASE_URL"))
        #expect(!(deadProvider.errors + deadProvider.output).contains("sk-never-shown"))

        let missingRun = try demo([
            "--resume", "no-such-run", "--store", store, "--output", root.appendingPathComponent("o").path,
        ])
        #expect(missingRun.status == 1)
        #expect(missingRun.errors.contains("no-such-run"))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("o").path))
    }

    /// The ffmpeg processes alive whose command line mentions `path` (and `other`, when given), read from /proc as
    /// `ps` would.
    static func ffmpegProcesses(mentioning path: String, and other: String? = nil) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { Int32($0) }.filter { pid in
            guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline"), !data.isEmpty else {
                return false
            }
            let arguments = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return (arguments.first.map { ($0 as NSString).lastPathComponent } == "ffmpeg")
                && arguments.contains { $0.contains(path) } && (other.map(arguments.contains) ?? true)
        }
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/cmdline"), "reads /proc (Linux)"))
    func aKillDuringAssemblyTakesFFmpegWithItAndTheResumeCleansUpAndRepairsADamagedArtifact() async throws {
        let root = try temporaryDirectory("kill-ffmpeg")
        defer { try? FileManager.default.removeItem(at: root) }
        // The killed run encodes with x264's slowest preset, so that its encoder would run on for many seconds if it
        // outlived story-demo; the resume, given the usual configuration, encodes fast (only `assemble`'s key
        // changes, and assemble runs again anyway).
        let slow = root.appendingPathComponent("slow.json")
        try Self.config.replacingOccurrences(
            of: #""stages": {"#, with: #""stages": { "assemble": { "parameters": { "preset": "veryslow" } },"#
        ).write(to: slow, atomically: true, encoding: .utf8)
        let config = root.appendingPathComponent("config.json")
        try Self.config.write(to: config, atomically: true, encoding: .utf8)
        let store = root.appendingPathComponent("store")
        let work = store.appendingPathComponent("work").path
        let output = root.appendingPathComponent("out")

        let stopped = try await stopDuringEncode(
            ["--config", slow.path, "--store", store.path, "--output", output.path], work: work, signals: [SIGKILL])
        #expect(stopped.sawEncoder, "the run's encoder was not seen: \(stopped.output)")
        #expect(stopped.orphans.isEmpty, "ffmpeg outlived story-demo: pids \(stopped.orphans)")
        let text = stopped.output

        let id = try runID(in: text)
        let library = try StoryLibrary(path: store.appendingPathComponent("library.sqlite").path)
        let run = try await library.runs().first { $0.id.rawValue == id }
        #expect(run?.status == .running && run?.isInterrupted == true)
        #expect(!((try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []).isEmpty)

        // Damage every stored WAV (the voice among them): the resume must make them again, not fail on them.
        let artifacts = store.appendingPathComponent("artifacts")
        let wavs = (FileManager.default.enumerator(atPath: artifacts.path)?.compactMap { $0 as? String } ?? [])
            .filter { $0.hasSuffix(".wav") }
        #expect(!wavs.isEmpty)
        for wav in wavs {
            let handle = try FileHandle(forWritingTo: artifacts.appendingPathComponent(wav))
            try handle.truncate(atOffset: 100)
            try handle.close()
        }

        let resumed = try demo([
            "--resume", id, "--config", config.path, "--store", store.path, "--output", output.path,
        ])
        #expect(resumed.status == 0, "\(resumed.output)\n\(resumed.errors)")
        #expect(resumed.output.contains("voice: started"), "\(resumed.output)")
        for wav in wavs {
            let data = try Data(contentsOf: artifacts.appendingPathComponent(wav))
            #expect(
                HexDigest.sha256(data) == ((wav as NSString).lastPathComponent as NSString).deletingPathExtension,
                "\(wav) was not rewritten")
        }
        _ = try hashes(output)
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: work)) ?? []).isEmpty, "scratch left in work/")
        let hidden = try FileManager.default.contentsOfDirectory(atPath: output.path).filter { $0.hasPrefix(".") }
        #expect(hidden.isEmpty, "hidden files left in the output: \(hidden)")
    }

    @Test(.enabled(if: FileManager.default.fileExists(atPath: "/proc/self/cmdline"), "reads /proc (Linux)"))
    func aSecondCtrlCQuitsAtOnceAndTakesFFmpegWithIt() async throws {
        let root = try temporaryDirectory("twice")
        defer { try? FileManager.default.removeItem(at: root) }
        let slow = root.appendingPathComponent("slow.json")
        try Self.config.replacingOccurrences(
            of: #""stages": {"#, with: #""stages": { "assemble": { "parameters": { "preset": "veryslow" } },"#
        ).write(to: slow, atomically: true, encoding: .utf8)
        let store = root.appendingPathComponent("store")
        let stopped = try await stopDuringEncode(
            ["--config", slow.path, "--store", store.path, "--output", root.appendingPathComponent("out").path],
            work: store.appendingPathComponent("work").path, signals: [SIGINT, SIGINT])
        #expect(stopped.sawEncoder, "the run's encoder was not seen: \(stopped.output)")
        #expect(stopped.status == 130)
        #expect(stopped.orphans.isEmpty, "ffmpeg outlived story-demo: pids \(stopped.orphans)")
    }

    struct Stopped: Sendable {
        var output: String
        var status: Int32
        var sawEncoder: Bool
        /// ffmpeg processes of the run still alive 2 s after story-demo ended (killed by the test afterwards).
        var orphans: [Int32]
    }

    /// Starts story-demo, waits for its final encode (at most 20 s after `assemble` starts), sends `signals` 20 ms
    /// apart, and looks for ffmpeg processes of the run for 2 s after it ended. Runs on a thread of its own: the
    /// waiting would otherwise hold one of the few threads of the cooperative pool, which other suites need.
    func stopDuringEncode(_ arguments: [String], work: String, signals: [Int32]) async throws -> Stopped {
        let executable = try PackageExecutable.url("story-demo")
        return try await offThePool {
            let process = Process()
            process.executableURL = executable
            process.arguments = arguments
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            var text = ""
            while !text.contains("assemble: started") {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            let clock = ContinuousClock()
            let deadline = clock.now + .seconds(20)
            while Self.ffmpegProcesses(mentioning: work, and: "libx264").isEmpty, clock.now < deadline {
                usleep(5_000)
            }
            let sawEncoder = !Self.ffmpegProcesses(mentioning: work, and: "libx264").isEmpty
            for (index, number) in signals.enumerated() {
                if index > 0 { usleep(20_000) }
                kill(process.processIdentifier, number)
            }
            process.waitUntilExit()
            let ended = clock.now
            var orphans = Self.ffmpegProcesses(mentioning: work)
            while !orphans.isEmpty, clock.now - ended < .seconds(2) {
                usleep(10_000)
                orphans = Self.ffmpegProcesses(mentioning: work)
            }
            for pid in orphans { kill(pid, SIGKILL) }
            return Stopped(
                output: text, status: process.terminationStatus, sawEncoder: sawEncoder, orphans: orphans)
        }
    }

    /// Runs blocking work on a thread of its own and waits for it without blocking a cooperative thread.
    func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread { continuation.resume(with: Result { try body() }) }.start()
        }
    }
}
