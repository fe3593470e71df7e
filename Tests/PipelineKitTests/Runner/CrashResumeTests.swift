import Foundation
import PipelineKit
import StoryForgeTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Kills a real `pipeline-crash-probe` process with SIGKILL at many instants (stage bodies, fan-out children and
/// checkpoint writes alike: with 4 children in flight a commit happens every fraction of a millisecond), resumes
/// it each time, and checks that committed work never runs again, that the final output equals an uninterrupted
/// run's, and that the SQLite file passes `PRAGMA integrity_check`.
@Suite struct CrashResumeTests {
    @Test func killedRunsResumeToTheSameOutputWithoutRerunningCommittedWork() async throws {
        let probe = try PackageExecutable.url("pipeline-crash-probe")
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }

        let clock = ContinuousClock()
        let referenceStart = clock.now
        let reference = try runProbe(probe, directory: directory.appendingPathComponent("reference"), killAfter: nil)
        // Kill points are drawn over the length of an uninterrupted run on this machine, start-up included.
        let runLength = max(Int((clock.now - referenceStart) / .milliseconds(1)), 50)
        #expect(reference.status == 0)
        #expect(reference.output.hasPrefix("\"published: 200 chunks"))

        var generator = SystemRandomNumberGenerator()
        var kills = 0
        for round in 0..<8 {
            let crashed = directory.appendingPathComponent("crashed-\(round)")
            var finished: ProbeResult?
            for attempt in 0..<20 {
                let before = try await committedWork(database: crashed.appendingPathComponent("db.sqlite"))
                let logOffset = try executionLog(in: crashed).count
                // Up to three kills a round: the first anywhere in a run, the later ones in the shorter resumes.
                let window = attempt == 0 ? runLength * 9 / 10 : runLength / 2
                let delay: Duration? = attempt < 3 ? .milliseconds(Int.random(in: 5...window, using: &generator)) : nil
                let result = try runProbe(probe, directory: crashed, killAfter: delay)
                let ranNow = try executionLog(in: crashed).dropFirst(logOffset)
                let rerun = Set(ranNow).intersection(before)
                #expect(rerun.isEmpty, "round \(round): committed work ran again: \(rerun.sorted().prefix(5))")
                if result.killed {
                    kills += 1
                    continue
                }
                finished = result
                break
            }
            let final = try #require(finished)
            #expect(final.status == 0)
            #expect(final.output == reference.output, "round \(round)")

            let store = try SQLiteCheckpointStore(path: crashed.appendingPathComponent("db.sqlite").path)
            #expect(try await store.integrityCheck() == "ok")
            #expect(try await store.run("crash-probe")?.status == .succeeded)
            let stages = try await store.stages(of: "crash-probe")
            #expect(stages.map(\.stageID) == ["seed", "work", "digest", "publish"])
            #expect(try await store.children(of: "crash-probe", stageIndex: 1).count == 200)
            // Every stage body and child started at least once over all the processes, and nothing else did.
            #expect(Set(try executionLog(in: crashed)).count == 203)
        }
        #expect(kills >= 12, "too few kills landed mid-run: \(kills)")
    }

    @Test(arguments: [1, 2, 6, 20])
    func killedInsideACheckpointWriteTheTransactionVanishesAndTheRunResumes(commit: Int) async throws {
        let probe = try PackageExecutable.url("pipeline-crash-probe")
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let reference = try runProbe(probe, directory: directory.appendingPathComponent("reference"), killAfter: nil)

        let crashed = directory.appendingPathComponent("crashed")
        let killed = try runProbe(
            probe, directory: crashed, killAfter: nil, extra: ["--kill-during-commit", "\(commit)"])
        #expect(killed.killed, "the probe was not killed in commit \(commit)")
        let database = crashed.appendingPathComponent("db.sqlite")
        do {
            let store = try SQLiteCheckpointStore(path: database.path)
            #expect(try await store.integrityCheck() == "ok")
            // The interrupted transaction left nothing behind: none of its padding, all or nothing.
            let padding = try await store.cacheEntries(forKeys: (0..<200).map { "padding-\($0)" })
            #expect(padding.isEmpty)
        }
        let before = try await committedWork(database: database)
        let logOffset = try executionLog(in: crashed).count
        let resumed = try runProbe(probe, directory: crashed, killAfter: nil)
        #expect(resumed.status == 0)
        #expect(resumed.output == reference.output)
        let rerun = Set(try executionLog(in: crashed).dropFirst(logOffset)).intersection(before)
        #expect(rerun.isEmpty, "committed work ran again: \(rerun.sorted().prefix(5))")
    }

    private struct ProbeResult {
        let status: Int32
        let killed: Bool
        let output: String
    }

    private func runProbe(
        _ probe: URL,
        directory: URL,
        killAfter delay: Duration?,
        extra: [String] = []
    ) throws -> ProbeResult {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = probe
        process.arguments =
            [
                "--database", directory.appendingPathComponent("db.sqlite").path,
                "--execution-log", directory.appendingPathComponent("executions.log").path,
            ] + extra
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        if let delay {
            Thread.sleep(
                forTimeInterval: Double(delay.components.attoseconds) * 1e-18 + Double(delay.components.seconds))
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        return ProbeResult(
            status: process.terminationStatus,
            killed: process.terminationReason == .uncaughtSignal,
            output: text.trimmingCharacters(in: .whitespacesAndNewlines)
        )
    }

    /// What the store says is committed: stage ids, and `work:<index>` for children.
    private func committedWork(database: URL) async throws -> Set<String> {
        guard FileManager.default.fileExists(atPath: database.path) else { return [] }
        let store = try SQLiteCheckpointStore(path: database.path)
        var done = Set<String>()
        for stage in try await store.stages(of: "crash-probe") where stage.status == .committed {
            done.insert(stage.stageID.rawValue)
        }
        for child in try await store.children(of: "crash-probe", stageIndex: 1) {
            done.insert("work:\(child.childIndex)")
        }
        return done
    }

    private func executionLog(in directory: URL) throws -> [String] {
        let file = directory.appendingPathComponent("executions.log")
        guard FileManager.default.fileExists(atPath: file.path) else { return [] }
        return String(decoding: try Data(contentsOf: file), as: UTF8.self).split(separator: "\n").map(String.init)
    }
}
