import Foundation
import MediaIO
import PipelineKit
import StoryForgeCore
import StoryModels
import Testing

@testable import StoryPipeline

/// The exporter against a real folder: what it refuses, what it never deletes, and concurrent exports of one run.
@Suite struct StoryExporterSafetyTests {
    /// A finished state whose artifacts are real files in a real store (random bytes stand in for the media: the
    /// exporter copies and hashes them, it does not decode them).
    static func finishedState(store: FileSystemArtifactStore, keyframes: Int = 3) async throws -> StoryState {
        func bytes(_ count: Int, _ seed: UInt8) -> Data {
            Data((0..<count).map { UInt8(truncatingIfNeeded: $0) &+ seed })
        }
        var state = StoryState(request: StoryRequest(topic: "export safety", seed: 1))
        let idea = StoryIdea(
            id: "idea-1", title: "The Export", logline: "Files that stay.", tone: "calm", theme: "care",
            narrator: "a clerk", targetAudience: "everyone", language: "en")
        state.idea = idea
        state.script = Script(id: "script-1", ideaId: idea.id, language: "en", generated: "Nothing is lost.")
        state.video = try await store.put(bytes(300_000, 1), fileExtension: "mp4")
        state.voice = VoiceTrack(audio: try await store.put(bytes(100_000, 2), fileExtension: "wav"), duration: 2)
        var frames: [ArtifactRef] = []
        for index in 0..<keyframes {
            frames.append(try await store.put(bytes(20_000, UInt8(10 + index)), fileExtension: "png"))
        }
        state.keyframes = frames
        state.videoDuration = 2
        return state
    }

    struct Fixture {
        let root: URL
        let artifacts: FileSystemArtifactStore
        let state: StoryState
        var output: URL { root.appendingPathComponent("out", isDirectory: true) }
    }

    func fixture(_ name: String) async throws -> Fixture {
        let root = try temporaryDirectory(name)
        let artifacts = try FileSystemArtifactStore(root: root.appendingPathComponent("artifacts"))
        return Fixture(root: root, artifacts: artifacts, state: try await Self.finishedState(store: artifacts))
    }

    /// Every file the manifest lists has the listed size and hash.
    func consistent(_ directory: URL) throws -> ExportManifest {
        let manifest = try StoryJSON.decode(
            ExportManifest.self, from: Data(contentsOf: directory.appendingPathComponent("manifest.json")))
        for file in manifest.files {
            let data = try Data(contentsOf: directory.appendingPathComponent(file.path))
            #expect(data.count == file.bytes, "\(file.path) has the wrong size")
            #expect(HexDigest.sha256(data) == file.sha256, "\(file.path) does not match the manifest")
        }
        return manifest
    }

    @Test func aFolderWithSomeoneElsesFilesIsRefusedAndNothingInItChanges() async throws {
        let f = try await fixture("export-foreign")
        defer { try? FileManager.default.removeItem(at: f.root) }
        let manager = FileManager.default
        try manager.createDirectory(
            at: f.output.appendingPathComponent("manifest.json"), withIntermediateDirectories: true)
        try Data("keep me".utf8).write(to: f.output.appendingPathComponent("manifest.json/inside.txt"))
        try Data("# my own notes".utf8).write(to: f.output.appendingPathComponent("script.md"))

        let refused = await #expect(throws: StoryPipelineError.self) {
            try await StoryExporter().export(f.state, runID: "run-a", artifacts: f.artifacts, to: f.output)
        }
        #expect(refused?.code == .file)
        #expect(refused?.message.contains(f.output.path) == true)
        #expect(refused?.message.contains("--force") == true)
        #expect(
            try String(contentsOf: f.output.appendingPathComponent("script.md"), encoding: .utf8) == "# my own notes")
        #expect(
            try String(contentsOf: f.output.appendingPathComponent("manifest.json/inside.txt"), encoding: .utf8)
                == "keep me")

        // --force writes beside them, but never deletes a folder: the folder named manifest.json is in the way,
        // which is found before anything is replaced.
        let blocked = await #expect(throws: StoryPipelineError.self) {
            try await StoryExporter(force: true).export(f.state, runID: "run-a", artifacts: f.artifacts, to: f.output)
        }
        #expect(blocked?.message.contains("manifest.json") == true)
        #expect(
            try String(contentsOf: f.output.appendingPathComponent("script.md"), encoding: .utf8) == "# my own notes")
        #expect(
            try String(contentsOf: f.output.appendingPathComponent("manifest.json/inside.txt"), encoding: .utf8)
                == "keep me")
        #expect(!manager.fileExists(atPath: f.output.appendingPathComponent("video.mp4").path))
        let hidden = try manager.contentsOfDirectory(atPath: f.output.path).filter { $0.hasPrefix(".") }
        #expect(hidden.isEmpty, "staging left behind: \(hidden)")
    }

    @Test func forceReplacesOnlyTheExportsOwnNamesAndAnEarlierExportOfTheRunNeedsNoForce() async throws {
        let f = try await fixture("export-force")
        defer { try? FileManager.default.removeItem(at: f.root) }
        let manager = FileManager.default
        try manager.createDirectory(at: f.output.appendingPathComponent("drafts"), withIntermediateDirectories: true)
        try Data("draft".utf8).write(to: f.output.appendingPathComponent("drafts/one.txt"))
        try Data("mine".utf8).write(to: f.output.appendingPathComponent("notes.txt"))
        try Data("# old".utf8).write(to: f.output.appendingPathComponent("script.md"))

        _ = try await StoryExporter(force: true).export(f.state, runID: "run-b", artifacts: f.artifacts, to: f.output)
        _ = try consistent(f.output)
        #expect(try String(contentsOf: f.output.appendingPathComponent("notes.txt"), encoding: .utf8) == "mine")
        #expect(try String(contentsOf: f.output.appendingPathComponent("drafts/one.txt"), encoding: .utf8) == "draft")
        #expect(try String(contentsOf: f.output.appendingPathComponent("script.md"), encoding: .utf8) != "# old")

        // The folder is now an export of run-b: exporting run-b again needs no force; another run does.
        _ = try await StoryExporter().export(f.state, runID: "run-b", artifacts: f.artifacts, to: f.output)
        _ = try consistent(f.output)
        await #expect(throws: StoryPipelineError.self) {
            try await StoryExporter().export(f.state, runID: "run-c", artifacts: f.artifacts, to: f.output)
        }
        #expect(try String(contentsOf: f.output.appendingPathComponent("notes.txt"), encoding: .utf8) == "mine")
    }

    @Test func fifteenConcurrentExportsOfOneRunIntoOneFolderAllSucceedAndLeaveOneConsistentSet() async throws {
        let f = try await fixture("export-concurrent")
        defer { try? FileManager.default.removeItem(at: f.root) }
        let state = f.state
        let artifacts = f.artifacts
        let output = f.output
        let outcomes = await withTaskGroup(of: String?.self) { group in
            for index in 0..<15 {
                group.addTask {
                    do {
                        _ = try await StoryExporter().export(
                            state, runID: "run-c", artifacts: artifacts, to: output,
                            createdAt: Date(timeIntervalSince1970: Double(index)))
                        return nil
                    } catch {
                        return "\(error)"
                    }
                }
            }
            var failures: [String] = []
            for await outcome in group { if let outcome { failures.append(outcome) } }
            return failures
        }
        #expect(outcomes.isEmpty, "\(outcomes)")
        let manifest = try consistent(output)
        // video, voice, 3 keyframes, script, storyboard.json and .html (no subtitles, no qc here)
        #expect(manifest.files.count == 8)
        let names = try FileManager.default.contentsOfDirectory(atPath: output.path)
        #expect(!names.contains { $0.hasPrefix(".") }, "hidden files left: \(names)")
    }

    @Test func stagingLeftByADeadExportIsRemovedAndStagingInUseIsKept() async throws {
        let f = try await fixture("export-stale")
        defer { try? FileManager.default.removeItem(at: f.root) }
        let manager = FileManager.default
        try manager.createDirectory(at: f.output, withIntermediateDirectories: true)
        // A killed export: a staging folder whose lock file nobody holds, with a big partial file in it.
        let dead = f.output.appendingPathComponent(StoryExporter.stagingPrefix + "dead", isDirectory: true)
        try manager.createDirectory(at: dead, withIntermediateDirectories: true)
        try Data().write(to: dead.appendingPathComponent(OwnedDirectory.lockFileName))
        try Data(count: 1 << 20).write(to: dead.appendingPathComponent("video.mp4"))
        // One in use, by this process.
        let live = try OwnedDirectory(in: f.output, prefix: StoryExporter.stagingPrefix)
        defer { live.remove() }

        _ = try await StoryExporter().export(f.state, runID: "run-d", artifacts: f.artifacts, to: f.output)
        #expect(!manager.fileExists(atPath: dead.path))
        #expect(manager.fileExists(atPath: live.url.path))
        _ = try consistent(f.output)
    }

    @Test func badOutputPathsGetOneLineNamingThePathAndTheCause() async throws {
        let f = try await fixture("export-bad-path")
        defer { try? FileManager.default.removeItem(at: f.root) }
        let file = f.root.appendingPathComponent("a-file")
        try Data("x".utf8).write(to: file)
        for (target, cause) in [(file, "is a file"), (file.appendingPathComponent("below"), "is a file")] {
            let error = await #expect(throws: StoryPipelineError.self) {
                try await StoryExporter().export(f.state, runID: "run-e", artifacts: f.artifacts, to: target)
            }
            #expect(error?.message.contains(cause) == true, "\(error?.message ?? "")")
            #expect(error?.message.contains(file.path) == true)
            #expect(error?.message.contains("\n") == false)
            #expect(error?.message.contains("NSCocoaErrorDomain") == false)
        }
    }
}
