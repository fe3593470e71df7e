import Foundation
import PipelineKit
import Testing

/// A small tmpfs, mounted for one test and unmounted on every path: a real full disk.
struct Tmpfs {
    let url: URL

    /// Whether tmpfs can be mounted here (root, or CAP_SYS_ADMIN); CI runs as root.
    static let available: Bool = {
        guard let probe = try? Tmpfs(sizeMiB: 1) else { return false }
        probe.unmount()
        return true
    }()

    init(sizeMiB: Int) throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "pipelinekit-tmpfs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        let status = try Self.run("/bin/mount", ["-t", "tmpfs", "-o", "size=\(sizeMiB)m", "tmpfs", url.path])
        guard status == 0 else {
            try? FileManager.default.removeItem(at: url)
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: url.path])
        }
        self.url = url
    }

    func unmount() {
        _ = try? Self.run("/bin/umount", [url.path])
        try? FileManager.default.removeItem(at: url)
    }

    private static func run(_ tool: String, _ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// Every file under `root` whose name says it is a partial write.
func partialFiles(under root: URL) -> [String] {
    (FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? [])
        .filter { ($0 as NSString).lastPathComponent.hasPrefix(".tmp-") }
}

@Suite(.serialized, .enabled(if: Tmpfs.available, "mounting a tmpfs needs root (CAP_SYS_ADMIN); CI runs as root"))
struct DiskFullTests {
    @Test func aWriteThatFillsTheDiskFailsTypedAndLeavesNoPartialFile() async throws {
        let disk = try Tmpfs(sizeMiB: 8)
        defer { disk.unmount() }
        let store = try FileSystemArtifactStore(root: disk.url.appendingPathComponent("artifacts"))
        let error = await #expect(throws: PipelineError.self) {
            try await store.put(Data(repeating: 7, count: 9 << 20), fileExtension: "mp4")
        }
        #expect(error?.code == .artifact)
        #expect(error?.message.contains("No space left on device") == true, "\(error?.message ?? "")")
        #expect(partialFiles(under: disk.url).isEmpty)
        // The space is free again: a write that fits now succeeds.
        let ref = try await store.put(Data(repeating: 8, count: 6 << 20), fileExtension: "mp4")
        #expect(await store.isIntact(ref))
    }

    /// String -> ArtifactRef: stores more than the disk holds.
    struct Overflow: PipelineStage {
        static let id: StageID = "overflow"
        static let version = 1
        func run(_ input: String, context: StageContext) async throws -> ArtifactRef {
            try await context.artifacts.put(Data(repeating: 1, count: 9 << 20), fileExtension: "wav")
        }
    }

    @Test func aRunWhoseStageFillsTheDiskIsRecordedFailedWithTheCauseOnce() async throws {
        let disk = try Tmpfs(sizeMiB: 8)
        defer { disk.unmount() }
        // Checkpoints on the same full disk: they can be written because the partial artifact is gone.
        let store = try SQLiteCheckpointStore(path: disk.url.appendingPathComponent("checkpoints.sqlite").path)
        let runner = PipelineRunner(
            store: store, artifacts: try FileSystemArtifactStore(root: disk.url.appendingPathComponent("artifacts")),
            configuration: .init(logger: quietLogger))
        let pipeline: Pipeline<String, ArtifactRef> = Pipeline("full") { Overflow() }
        let error = await #expect(throws: PipelineError.self) {
            try await runner.run(pipeline, input: "x", runID: "full-disk")
        }
        #expect(error?.code == .stageFailed)
        #expect((error?.underlying as? PipelineError)?.code == .artifact)
        let record = try #require(try await store.run("full-disk"))
        #expect(record.status == .failed)
        let text = record.error ?? ""
        #expect(text.components(separatedBy: "No space left on device").count == 2, "\(text)")
        #expect(partialFiles(under: disk.url).isEmpty)
    }
}
