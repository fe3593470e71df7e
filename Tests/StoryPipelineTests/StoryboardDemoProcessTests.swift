import Foundation
import StoryModels
import Testing

@testable import StoryPipeline

/// `story-demo --stop-after keyframes`, an edit, and `--resume RUN --storyboard`, as a user types them.
extension StoryDemoProcessTests {
    @Test func storyDemoStopsForReviewAndReRendersTheEditedShot() throws {
        let root = try temporaryDirectory("storyboard-demo")
        defer { try? FileManager.default.removeItem(at: root) }
        let config = root.appendingPathComponent("config.json")
        // Small and without upscaling (keyframes at the render size), so that the three runs take seconds.
        try """
        {
          "story": { "topic": "a night train", "seed": 5, "target_seconds": 10 },
          "providers": { "text": "template", "speech": "espeak", "images": "procedural" },
          "render": { "width": 216, "height": 384, "fps": 12 },
          "pipeline": { "stages": { "keyframes": { "parameters": { "width": 216, "height": 384 } } } }
        }
        """.write(to: config, atomically: true, encoding: .utf8)
        let store = root.appendingPathComponent("store").path
        let output = root.appendingPathComponent("out")

        let stopped = try demo([
            "--config", config.path, "--store", store, "--output", output.path, "--stop-after", "keyframes",
        ])
        #expect(stopped.status == 0, "\(stopped.output)\n\(stopped.errors)")
        #expect(stopped.output.contains("stopped after keyframe-collect for review"))
        #expect(!stopped.output.contains("assemble: started"))
        let id = try runID(in: stopped.output)
        let file = output.appendingPathComponent("storyboard.json")
        #expect(stopped.output.contains("story-demo --resume \(id) --storyboard \(file.path)"))
        #expect(FileManager.default.fileExists(atPath: output.appendingPathComponent("storyboard.html").path))
        #expect(!FileManager.default.fileExists(atPath: output.appendingPathComponent("video.mp4").path))

        var board = try Storyboard.decode(Data(contentsOf: file))
        board.shots[0].visualPrompt = "a lantern swinging in an empty carriage"
        try board.jsonData().write(to: file)
        // The output folder defaults to the storyboard's.
        let applied = try demo(["--resume", id, "--store", store, "--storyboard", file.path])
        #expect(applied.status == 0, "\(applied.output)\n\(applied.errors)")
        #expect(applied.output.contains("reran (run \(id)+sb-"))
        #expect(applied.output.contains("keyframes, shot \(board.shots[0].id): visual prompt or mood edited"))
        #expect(!applied.output.contains("voice: started"))
        let manifest = try StoryJSON.decode(
            ExportManifest.self, from: Data(contentsOf: output.appendingPathComponent("manifest.json")))
        #expect(manifest.runId.hasPrefix("\(id)+sb-"))
        #expect(manifest.files.contains { $0.path == "storyboard.json" })

        let lonely = try demo(["--storyboard", file.path, "--store", store])
        #expect(lonely.status != 0 && lonely.errors.contains("--storyboard needs --resume"))
        let wrong = try demo(["--resume", id, "--store", store, "--stop-after", "nowhere", "--output", output.path])
        #expect(wrong.status != 0 && wrong.errors.contains("--stop-after nowhere: not a stage"))
    }
}
