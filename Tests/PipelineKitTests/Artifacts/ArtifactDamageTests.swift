import Foundation
import PipelineKit
import PipelineKitTesting
import Testing

/// A stored artifact damaged on disk (truncated, overwritten, deleted) must not break the store for ever: a cached
/// or checkpointed result that refers to it is a miss, the stage runs again and the artifact is stored anew.
@Suite struct ArtifactDamageTests {
    /// String -> ArtifactRef: stores 64 KiB derived from the input.
    struct Store: PipelineStage {
        static let id: StageID = "store"
        static let version = 1
        let log: ExecutionLog

        func run(_ input: String, context: StageContext) async throws -> ArtifactRef {
            log.record("store:\(input)")
            let seed = UInt8(truncatingIfNeeded: input.utf8.reduce(0) { $0 &+ Int($1) })
            return try await context.artifacts.put(
                Data((0..<65_536).map { UInt8(truncatingIfNeeded: $0) ^ seed }), fileExtension: "bin")
        }
    }

    /// ArtifactRef -> Int: reads the artifact back (verified) and returns its size; fails while `failures` > 0.
    struct Measure: PipelineStage {
        static let id: StageID = "measure"
        static let version = 1
        let log: ExecutionLog
        let failures: Countdown

        func run(_ input: ArtifactRef, context: StageContext) async throws -> Int {
            log.record("measure")
            if failures.take() { throw PermanentFailure() }
            return try await context.artifacts.data(for: input).count
        }
    }

    final class Countdown: @unchecked Sendable {
        private let lock = NSLock()
        private var left: Int
        init(_ count: Int) { left = count }
        func take() -> Bool {
            lock.withLock {
                guard left > 0 else { return false }
                left -= 1
                return true
            }
        }
    }

    enum Damage: String, CaseIterable, Sendable {
        case truncated, overwritten, deleted

        func apply(to url: URL) throws {
            switch self {
            case .truncated:
                let handle = try FileHandle(forWritingTo: url)
                try handle.truncate(atOffset: 1000)
                try handle.close()
            case .overwritten:
                var data = try Data(contentsOf: url)
                data[data.count / 2] ^= 0xFF
                try data.write(to: url)
            case .deleted:
                try FileManager.default.removeItem(at: url)
            }
        }
    }

    func runner(_ root: URL) throws -> (PipelineRunner, FileSystemArtifactStore) {
        let artifacts = try FileSystemArtifactStore(root: root.appendingPathComponent("artifacts"))
        let store = try SQLiteCheckpointStore(path: root.appendingPathComponent("checkpoints.sqlite").path)
        return (
            PipelineRunner(
                store: store, artifacts: artifacts, configuration: .init(logger: quietLogger)),
            artifacts
        )
    }

    @Test(arguments: Damage.allCases)
    func aCacheHitWhoseArtifactIsDamagedRunsTheStageAgainAndRewritesIt(damage: Damage) async throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (runner, artifacts) = try runner(root)
        let log = ExecutionLog()
        let pipeline: Pipeline<String, Int> = Pipeline("damage") {
            Store(log: log)
            Measure(log: log, failures: Countdown(0))
        }
        #expect(try await runner.run(pipeline, input: "voice", runID: "first") == 65_536)
        let ref = try #require(ArtifactCheckProbe.onlyArtifact(in: artifacts.root))
        try damage.apply(to: ref)

        #expect(try await runner.run(pipeline, input: "voice", runID: "second") == 65_536)
        #expect(log.count("store:voice") == 2)
        // Rewritten, whole: its name is its hash.
        #expect(await artifacts.isIntact(ArtifactCheckProbe.reference(to: ref, in: artifacts.root, byteCount: 65_536)))

        // An intact store is reused again.
        #expect(try await runner.run(pipeline, input: "voice", runID: "third") == 65_536)
        #expect(log.count("store:voice") == 2)
    }

    @Test func aResumeWhoseCheckpointedArtifactIsDamagedRunsThatStageAgain() async throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (runner, artifacts) = try runner(root)
        let log = ExecutionLog()
        let pipeline: Pipeline<String, Int> = Pipeline("damage") {
            Store(log: log)
            Measure(log: log, failures: Countdown(1))
        }
        await #expect(throws: PipelineError.self) { try await runner.run(pipeline, input: "wav", runID: "run") }
        let ref = try #require(ArtifactCheckProbe.onlyArtifact(in: artifacts.root))
        try Damage.truncated.apply(to: ref)

        #expect(try await runner.resume(pipeline, runID: "run") == 65_536)
        #expect(log.count("store:wav") == 2)
        #expect(try Data(contentsOf: ref).count == 65_536)
    }

    @Test func aFanOutRerunsOnlyTheChildWhoseArtifactIsDamaged() async throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let (runner, artifacts) = try runner(root)
        let log = ExecutionLog()
        let pipeline: Pipeline<[String], [ArtifactRef]> = Pipeline("fan") {
            ForEach(Store(log: log), maxConcurrency: 2)
        }
        let refs = try await runner.run(pipeline, input: ["a", "b", "c"], runID: "first")
        try Damage.overwritten.apply(to: try artifacts.url(for: refs[1]))

        let again = try await runner.run(pipeline, input: ["a", "b", "c"], runID: "second")
        #expect(again == refs)
        #expect(log.count("store:a") == 1)
        #expect(log.count("store:b") == 2)
        #expect(log.count("store:c") == 1)
        #expect(await artifacts.isIntact(refs[1]))
    }

    @Test func putReplacesADamagedFileOfTheSameContent() async throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let store = try FileSystemArtifactStore(root: root)
        let data = Data((0..<10_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        let ref = try await store.put(data, fileExtension: "wav")
        try Damage.truncated.apply(to: try store.url(for: ref))
        #expect(await store.isIntact(ref) == false)
        let error = await #expect(throws: PipelineError.self) { try await store.data(for: ref) }
        #expect(error?.message.contains("does not match its SHA-256") == true)

        #expect(try await store.put(data, fileExtension: "wav") == ref)
        #expect(await store.isIntact(ref))
        #expect(try await store.data(for: ref) == data)
        let names = try FileManager.default.contentsOfDirectory(
            atPath: try store.url(for: ref).deletingLastPathComponent().path)
        #expect(names == [ref.path.split(separator: "/").last.map(String.init)!])
    }
}

/// Looks at a store's files directly, as a person with a shell would.
enum ArtifactCheckProbe {
    static func onlyArtifact(in root: URL) -> URL? {
        let files =
            FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil)?
            .compactMap { $0 as? URL }.filter { !$0.hasDirectoryPath && $0.pathExtension == "bin" } ?? []
        return files.count == 1 ? files[0] : nil
    }

    /// The reference of a stored file: its name is its SHA-256.
    static func reference(to file: URL, in root: URL, byteCount: Int) -> ArtifactRef {
        let name = file.lastPathComponent
        let digest = String(name.prefix(64))
        return ArtifactRef(path: "sha256/\(digest.prefix(2))/\(name)", sha256: digest, byteCount: byteCount)
    }
}

/// Temporary files of writes killed midway do not pile up in the store.
@Suite struct AbandonedTemporaryFileTests {
    @Test func temporaryFilesOfDeadWritersAndOldOnesAreRemovedWhenTheStoreOpens() throws {
        let root = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: root) }
        let shard = root.appendingPathComponent("sha256/ab", isDirectory: true)
        try FileManager.default.createDirectory(at: shard, withIntermediateDirectories: true)
        // A pid that existed and is gone: a finished, reaped child.
        let finished = Process()
        finished.executableURL = URL(fileURLWithPath: "/bin/true")
        try finished.run()
        finished.waitUntilExit()
        let dead = finished.processIdentifier
        let live = getpid()
        func file(_ name: String, age: TimeInterval) throws -> String {
            let url = shard.appendingPathComponent(name)
            try Data(count: 1024).write(to: url)
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSinceNow: -age)], ofItemAtPath: url.path)
            return name
        }
        let deadWriter = try file(".tmp-\(dead)-killed", age: 60)
        let liveWriter = try file(".tmp-\(live)-writing", age: 60)
        let ancient = try file(".tmp-\(live)-ancient", age: 7200)
        let justStarted = try file(".tmp-\(dead)-young", age: 0)
        let artifact = try file(String(repeating: "ab", count: 32) + ".wav", age: 7200)

        _ = try FileSystemArtifactStore(root: root)
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: shard.path))
        #expect(!left.contains(deadWriter))
        #expect(!left.contains(ancient))
        #expect(left.contains(liveWriter))
        #expect(left.contains(justStarted))
        #expect(left.contains(artifact))
    }
}
