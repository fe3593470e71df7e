import Foundation
import PipelineKit
import Testing

@Suite struct FileSystemArtifactStoreTests {
    @Test func storesByContentAndReadsBack() async throws {
        let root = try temporaryDirectory()
        let store = try FileSystemArtifactStore(root: root)
        let data = Data("hello".utf8)
        let ref = try await store.put(data, fileExtension: "txt")
        // SHA-256("hello"), the well-known test vector.
        #expect(ref.sha256 == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")
        #expect(ref.path == "sha256/2c/\(ref.sha256).txt")
        #expect(ref.byteCount == 5)
        #expect(try await store.data(for: ref) == data)
        #expect(await store.contains(ref))
        #expect(try await store.put(data, fileExtension: "txt") == ref)  // same bytes, same artifact
        let files = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("sha256/2c").path)
        #expect(files == ["\(ref.sha256).txt"])  // no temporary file left behind
    }

    @Test(arguments: [
        "../outside.txt", "/etc/passwd", "sha256/2c/../../../etc/passwd", "sha256/2c/x/../../..",
        "sha256/ab/2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
    ])
    func referencesCannotEscapeTheRoot(path: String) async throws {
        let store = try FileSystemArtifactStore(root: try temporaryDirectory())
        let ref = ArtifactRef(
            path: path,
            sha256: "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824",
            byteCount: 5
        )
        let error = await #expect(throws: PipelineError.self) { try await store.data(for: ref) }
        #expect(error?.code == .artifact)
        #expect(await store.contains(ref) == false)
    }

    @Test(arguments: ["../x", "a/b", "TXT", "", "waytoolongextension"])
    func fileExtensionsAreRestricted(ext: String) async throws {
        let store = try FileSystemArtifactStore(root: try temporaryDirectory())
        await #expect(throws: PipelineError.self) { try await store.put(Data("x".utf8), fileExtension: ext) }
    }

    @Test func tamperedContentIsDetected() async throws {
        let root = try temporaryDirectory()
        let store = try FileSystemArtifactStore(root: root)
        let ref = try await store.put(Data("original".utf8), fileExtension: nil)
        try Data("tampered".utf8).write(to: root.appendingPathComponent(ref.path))
        let error = await #expect(throws: PipelineError.self) { try await store.data(for: ref) }
        #expect(error?.message.contains("does not match") == true)
    }

    @Test func stagesPutArtifactsThroughTheirContext() async throws {
        struct Render: PipelineStage {
            static let id: StageID = "render"
            static let version = 1
            func run(_ input: String, context: StageContext) async throws -> ArtifactRef {
                try await context.artifacts.put(Data(input.utf8), fileExtension: "txt")
            }
        }
        let root = try temporaryDirectory()
        let artifacts = try FileSystemArtifactStore(root: root)
        let runner = PipelineRunner(
            store: try SQLiteCheckpointStore(path: root.appendingPathComponent("c.sqlite").path),
            artifacts: artifacts,
            configuration: .init(logger: quietLogger)
        )
        let ref = try await runner.run(Pipeline("art") { Render() }, input: "frame")
        #expect(try await artifacts.data(for: ref) == Data("frame".utf8))
    }
}
