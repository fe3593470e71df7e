import Foundation
import MediaIO
import PipelineKit
import Testing

@testable import StoryPipeline

/// The files a store keeps per run: one saved configuration and one lock per run id, and what the library says of
/// a run whose process is gone.
@Suite struct StoryStoreLayoutTests {
    @Test(arguments: [
        ("Run-A", "run-a"),
        ("a/b", "a-b"),
        (String(repeating: "x", count: 60) + "-one", String(repeating: "x", count: 60) + "-two"),
        ("über", "ber"),
        ("", "run"),
    ])
    func runIDsThatDifferGetDifferentConfigurationFiles(first: String, second: String) {
        let store = URL(fileURLWithPath: "/tmp/store")
        let a = StoryStudio.configurationURL(of: RunID(first), in: store)
        let b = StoryStudio.configurationURL(of: RunID(second), in: store)
        #expect(a != b)
        #expect(a == StoryStudio.configurationURL(of: RunID(first), in: store))
        for url in [a, b] {
            #expect(url.deletingLastPathComponent().path == "/tmp/store/runs")
            #expect(url.lastPathComponent.count <= 48 + 1 + 12 + 5)
            #expect(
                url.lastPathComponent.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) })
        }
    }

    /// 10,000 run ids built to collide under the old naming (case variants, long shared prefixes, characters the
    /// sanitizing drops): every one gets its own file name.
    @Test func configurationFileNamesAreInjectiveOverManyCollidingIDs() {
        var generator = SplitMix64(seed: 14)
        let alphabet = Array("aAbB-_/ .éü漢0123456789")
        var ids: Set<String> = []
        while ids.count < 10_000 {
            let length = Int(generator.next() % 90) + 1
            ids.insert(String((0..<length).map { _ in alphabet[Int(generator.next() % UInt64(alphabet.count))] }))
        }
        let names = Set(ids.map { FileNames.unique(forRunID: $0) })
        #expect(names.count == ids.count)
        #expect(names.allSatisfy { $0.count <= 48 + 1 + 12 && !$0.contains("/") })
    }

    @Test func aRunLockIsExclusiveAndARunWhoseLockIsFreeReadsAsInterrupted() async throws {
        let store = try temporaryDirectory("run-lock")
        defer { try? FileManager.default.removeItem(at: store) }
        let library = try StoryLibrary(path: store.appendingPathComponent("library.sqlite").path)
        try await library.runStarted(id: "Busy-Run", topic: "t", seed: 1)

        let lock = try RunLock.acquire("Busy-Run", in: store)
        let second = #expect(throws: StoryPipelineError.self) { try RunLock.acquire("Busy-Run", in: store) }
        #expect(second?.code == .busy)
        #expect(second?.message.contains("pid \(getpid())") == true, "\(second?.message ?? "")")
        // Case matters: another run id, another lock.
        try RunLock.acquire("busy-run", in: store).release()
        let busy = try await library.runs().first { $0.id == "Busy-Run" }
        #expect(busy?.status == .running && busy?.isInterrupted == false)

        lock.release()
        #expect(try await library.runs().first { $0.id == "Busy-Run" }?.isInterrupted == true)
        try RunLock.acquire("Busy-Run", in: store).release()
    }

    @Test func staleScratchIsRemovedAndScratchInUseIsKept() throws {
        let parent = try temporaryDirectory("scratch")
        defer { try? FileManager.default.removeItem(at: parent) }
        let manager = FileManager.default
        let live = try OwnedDirectory(in: parent, prefix: "run-assemble-")
        try Data(count: 4096).write(to: live.url.appendingPathComponent("partial.mp4"))
        // A dead owner: the lock file is there, nobody holds it.
        let dead = parent.appendingPathComponent("run-assemble-dead", isDirectory: true)
        try manager.createDirectory(at: dead, withIntermediateDirectories: true)
        try Data().write(to: dead.appendingPathComponent(OwnedDirectory.lockFileName))
        // No lock file: removed only once older than the grace period.
        let legacy = parent.appendingPathComponent("run-voice-legacy", isDirectory: true)
        try manager.createDirectory(at: legacy, withIntermediateDirectories: true)
        // Not a directory: never touched.
        try Data("x".utf8).write(to: parent.appendingPathComponent("run-file"))

        let removed = OwnedDirectory.removeStale(in: parent, prefix: "run-", grace: 3600)
        #expect(removed.map(\.lastPathComponent) == ["run-assemble-dead"])
        #expect(manager.fileExists(atPath: live.url.path))
        #expect(manager.fileExists(atPath: legacy.path))
        #expect(
            OwnedDirectory.removeStale(in: parent, prefix: "run-", grace: -1).map(\.lastPathComponent) == [
                "run-voice-legacy"
            ])
        #expect(manager.fileExists(atPath: live.url.path))
        #expect(manager.fileExists(atPath: parent.appendingPathComponent("run-file").path))
        live.remove()
        #expect(!manager.fileExists(atPath: live.url.path))
        live.remove()
    }
}

/// A small seeded generator (SplitMix64, Steele et al. 2014), so the ids are the same on every run.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
