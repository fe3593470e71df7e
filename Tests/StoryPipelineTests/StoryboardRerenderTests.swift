import Foundation
import MediaIO
import PipelineKit
import StoryForgeCore
import StoryModels
import Testing

@testable import StoryPipeline

/// Storyboard review for real: the offline story stops after its keyframes, the storyboard is edited, and the resume
/// re-renders only what the edit changes, counted at the providers (procedural art, espeak-ng) and in the runner's
/// events.
@Suite(.serialized) struct StoryboardRerenderTests {
    @Test func aStoppedRunWritesItsStoryboardAndAnUnchangedStoryboardRerunsNothing() async throws {
        let bench = try await StoryboardBench.make("storyboard-unchanged")
        defer { bench.remove() }
        let stopped = try await bench.stopAfterKeyframes()
        let shots = try #require(stopped.state.shotlist).shots
        #expect(shots.count >= 3, "the bench needs at least three shots")
        #expect(bench.calls.imagePrompts.count == shots.count)
        #expect(bench.calls.speechTexts.count == 1)
        #expect(stopped.state.video == nil && stopped.state.upscaledKeyframes == nil)
        #expect(!bench.started(in: "base").contains("upscale"), "the run went on past keyframes")

        // storyboard.json, the contact sheet and the pictures it links to.
        let board = try Storyboard.decode(Data(contentsOf: bench.storyboardURL))
        #expect(board == stopped.storyboard)
        #expect(board.version == 1 && board.runId == "base" && board.stoppedAfter == "keyframe-collect")
        #expect(board.shots.map(\.id) == shots.map(\.id))
        #expect(board.shots.map(\.visualPrompt) == shots.map(\.visualPrompt))
        #expect(board.shots.allSatisfy { $0.source == "procedural" && $0.kind == .still && $0.userMedia == nil })
        let html = try String(contentsOf: bench.review.appendingPathComponent("storyboard.html"), encoding: .utf8)
        for shot in board.shots {
            let media = try #require(shot.media)
            #expect(html.contains("src=\"\(media)\""))
            let picture = try Data(contentsOf: bench.review.appendingPathComponent(media))
            #expect(try ImageDecoder().decode(picture).pixels.width == 216)
        }
        let text = try String(contentsOf: bench.storyboardURL, encoding: .utf8)
        #expect(text.contains("\"user_media\" : null"), "the field the user fills is written out")
        let record = try #require(try await bench.studio.runner.store.run("base"))
        #expect(record.status == .cancelled && record.error == "stopped after keyframe-collect for review")

        // Continued with the storyboard as written: the stages after the stop run once, nothing is painted or
        // spoken again.
        let continued = try await bench.studio.resume(
            runID: "base", storyboard: bench.storyboardURL, exportTo: bench.review)
        #expect(continued.edits.isEmpty)
        #expect(continued.result.runID == "base")
        #expect(continued.stagesRun.map(\.rawValue) == ["upscale", "assemble", "qc"])
        #expect(bench.calls.imagePrompts.count == shots.count && bench.calls.speechTexts.count == 1)
        #expect(continued.result.manifest.files.contains { $0.path == "storyboard.json" })
        let exported = try Storyboard.decode(Data(contentsOf: bench.storyboardURL))
        #expect(exported.stoppedAfter == nil && exported.shots.map(\.visualPrompt) == board.shots.map(\.visualPrompt))

        // The finished story's own storyboard, unchanged: nothing runs at all.
        let again = try await bench.studio.resume(
            runID: "base", storyboard: bench.storyboardURL, exportTo: bench.review)
        #expect(again.edits.isEmpty && again.reruns.isEmpty && again.stagesRun.isEmpty)
        #expect(bench.calls.imagePrompts.count == shots.count && bench.calls.speechTexts.count == 1)
        #expect(again.result.state.video == continued.result.state.video)
    }

    @Test func editingTheThirdShotsPromptRepaintsThatKeyframeOnlyAndReassembles() async throws {
        let bench = try await StoryboardBench.make("storyboard-prompt")
        defer { bench.remove() }
        let stopped = try await bench.stopAfterKeyframes()
        let painted = bench.calls.imagePrompts.count
        let third = try #require(stopped.state.shotlist?.shots.dropFirst(2).first)
        try bench.editStoryboard { $0.shots[2].visualPrompt = "a red kite over a grey sea at dawn" }

        let applied = try await bench.studio.resume(
            runID: "base", storyboard: bench.storyboardURL, exportTo: bench.review)
        #expect(Array(bench.calls.imagePrompts.dropFirst(painted)).count == 1)
        #expect(bench.calls.imagePrompts.last?.hasPrefix("a red kite over a grey sea at dawn. Mood:") == true)
        #expect(bench.calls.speechTexts.count == 1, "the voice was made again")
        #expect(applied.edits.prompts.keys.sorted() == [third.id])
        #expect(applied.stagesRun.map(\.rawValue) == ["storyboard", "upscale", "assemble", "qc"])
        #expect(bench.started(in: applied.result.runID) == ["storyboard", "upscale", "assemble", "qc"])
        #expect(
            applied.reruns.first == .init(stage: "keyframes", shot: third.id, reason: "visual prompt or mood edited"))
        #expect(applied.reruns.map(\.stage) == ["keyframes", "upscale", "assemble", "qc"])
        #expect(applied.result.runID.rawValue.hasPrefix("base+sb-"))

        // Only the third keyframe changed; the voice is the same file.
        let before = try #require(stopped.state.keyframes)
        let after = try #require(applied.result.state.keyframes)
        #expect(after.count == before.count)
        for index in before.indices where index != 2 { #expect(after[index] == before[index]) }
        #expect(after[2] != before[2])
        #expect(applied.result.state.voice == stopped.state.voice)
        #expect(applied.result.state.qc?.passed == true)
        let exported = try Storyboard.decode(Data(contentsOf: bench.storyboardURL))
        #expect(exported.runId == applied.result.runID.rawValue)
        #expect(exported.shots[2].visualPrompt == "a red kite over a grey sea at dawn")

        // The same edit once more (the storyboard of the base run again): its re-render exists, nothing runs.
        var edited = stopped.storyboard
        edited.shots[2].visualPrompt = "a red kite over a grey sea at dawn"
        let again = bench.root.appendingPathComponent("again.json")
        try edited.jsonData().write(to: again)
        let repeated = try await bench.studio.resume(runID: "base", storyboard: again, exportTo: bench.review)
        #expect(repeated.result.runID == applied.result.runID)
        #expect(repeated.stagesRun.isEmpty && repeated.reruns.isEmpty)
        #expect(bench.calls.imagePrompts.count == painted + 1)
    }

    @Test func editingNarrationRevoicesAndRetimesButPaintsNothing() async throws {
        let bench = try await StoryboardBench.make("storyboard-narration")
        defer { bench.remove() }
        let stopped = try await bench.stopAfterKeyframes()
        let painted = bench.calls.imagePrompts.count
        let line = "And then, at last, the lamp went out for good over the quiet water."
        try bench.editStoryboard { $0.shots[1].narration = line }

        let applied = try await bench.studio.resume(
            runID: "base", storyboard: bench.storyboardURL, exportTo: bench.review)
        #expect(bench.calls.imagePrompts.count == painted, "a keyframe was painted again")
        #expect(bench.calls.speechTexts.count == 2)
        #expect(bench.calls.speechTexts.last?.contains(line) == true)
        #expect(applied.stagesRun.map(\.rawValue) == ["storyboard", "voice", "timing", "upscale", "assemble", "qc"])
        #expect(applied.reruns.map(\.stage) == ["voice", "timing", "upscale", "assemble", "qc"])

        let state = applied.result.state
        #expect(state.keyframes == stopped.state.keyframes)
        let script = try #require(state.script)
        #expect(script.versions.count == (stopped.state.script?.versions.count ?? 0) + 1)
        #expect(script.current.text.contains(line))
        let shots = try #require(state.shotlist).shots
        #expect(shots[1].narration.text == line)
        #expect(shots[1].narration.firstWord == shots[0].narration.endWord)
        let voice = try #require(state.voice)
        #expect(voice != stopped.state.voice)
        #expect(Shotlist(shots: shots).validate(voiceDuration: voice.duration).isEmpty)
        #expect(state.subtitles?.track.cues.map(\.text).joined(separator: " ").contains("lamp went out") == true)
        #expect(state.qc?.passed == true)
    }

    @Test func aUserImageAndAUserClipReplaceTheirShotsPicturesAndAreNeverReadAgain() async throws {
        let bench = try await StoryboardBench.make("storyboard-user")
        defer { bench.remove() }
        _ = try await bench.stopAfterKeyframes()
        let painted = bench.calls.imagePrompts.count
        let ffmpeg = try await FFmpeg.locate()
        let image = bench.review.appendingPathComponent("mine.png")
        try await ffmpeg.run(["-y", "-f", "lavfi", "-i", "color=c=red:s=200x300", "-frames:v", "1", image.path])
        let clip = bench.root.appendingPathComponent("clip.mp4")
        try await ffmpeg.run([
            "-y", "-f", "lavfi", "-i", "testsrc=size=320x240:rate=24:duration=1", "-pix_fmt", "yuv420p", clip.path,
        ])
        try bench.editStoryboard {
            $0.shots[0].userMedia = "mine.png"
            $0.shots[1].userMedia = clip.path
        }

        let applied = try await bench.studio.resume(
            runID: "base", storyboard: bench.storyboardURL, exportTo: bench.review)
        #expect(bench.calls.imagePrompts.count == painted)
        let media = try #require(applied.result.state.shotMedia)
        let shots = try #require(applied.result.state.shotlist).shots
        #expect(media.map(\.shotID) == [shots[0].id, shots[1].id])
        #expect(media[0].kind == .still && media[0].source == "user" && media[0].sourceItem == "mine.png")
        #expect(media[1].kind == .clip && media[1].source == "user" && media[1].clip != nil)
        #expect(media[1].clipFit != nil)
        let keyframe = try await bench.studio.runner.artifacts.data(
            for: try #require(applied.result.state.keyframes?.first))
        let pixels = try ImageDecoder().decode(keyframe).pixels
        #expect(pixels.width == 200 && pixels.height == 300)
        #expect(applied.reruns.filter { $0.stage == "keyframes" }.compactMap(\.shot) == [shots[0].id, shots[1].id])
        let exported = try Storyboard.decode(Data(contentsOf: bench.storyboardURL))
        #expect(exported.shots[0].source == "user" && exported.shots[1].kind == .clip)

        // The files are in the artifact store: gone from disk, the story still exports.
        try FileManager.default.removeItem(at: image)
        try FileManager.default.removeItem(at: clip)
        let again = try await bench.studio.resume(
            runID: applied.result.runID, storyboard: bench.storyboardURL, exportTo: bench.review)
        #expect(again.stagesRun.isEmpty)
        #expect(again.result.state.shotMedia == media)
        let plain = try await bench.studio.resume(runID: applied.result.runID, exportTo: bench.review)
        #expect(plain.state == applied.result.state)
        #expect(bench.started(in: applied.result.runID) == applied.stagesRun.map(\.rawValue), "the re-render ran again")
    }

    @Test func aBadStoryboardOrUserFileIsRefusedBeforeAnythingRuns() async throws {
        let bench = try await StoryboardBench.make("storyboard-bad")
        defer { bench.remove() }
        let stopped = try await bench.stopAfterKeyframes()
        let file = bench.root.appendingPathComponent("bad.json")
        func board(_ field: WritableKeyPath<Storyboard, String?>, _ value: String) -> Storyboard {
            var board = stopped.storyboard
            board[keyPath: field] = value
            return board
        }
        func refusal(_ edit: (inout Storyboard) -> Void) async throws -> StoryRunError? {
            var board = stopped.storyboard
            edit(&board)
            try board.jsonData().write(to: file)
            do {
                _ = try await bench.studio.resume(runID: "base", storyboard: file, exportTo: bench.review)
                return nil
            } catch {
                return error
            }
        }
        let removed = try #require(try await refusal { $0.shots.removeLast() })
        #expect(removed.code == .invalidConfiguration && removed.message.contains("cannot be added or removed"))
        let renumbered = try #require(try await refusal { $0.shots[1].id = 99 })
        #expect(renumbered.message.contains("shots[1].id: 99 is no shot of run base"))
        let retimed = try #require(try await refusal { $0.shots[0].end += 1 })
        #expect(retimed.message.contains("shots[0].end: read only"))
        let foreign = try #require(try await refusal { $0.runId = "other" })
        #expect(foreign.message.contains("is not run base"))
        let missing = try #require(try await refusal { $0.shots[0].userMedia = "nowhere.png" })
        #expect(missing.code == .file && missing.message.contains("nowhere.png"))
        try Data("not a picture".utf8).write(to: bench.root.appendingPathComponent("fake.png"))
        let fake = try #require(try await refusal { $0.shots[0].userMedia = "fake.png" })
        #expect(fake.code == .media && fake.message.contains("fake.png is not a PNG or JPEG"))
        try Data(repeating: 7, count: 4096).write(to: bench.root.appendingPathComponent("fake.mp4"))
        let noVideo = try #require(try await refusal { $0.shots[0].userMedia = "fake.mp4" })
        #expect(noVideo.code == .media && noVideo.message.contains("fake.mp4"))

        // A host that takes storyboards from others confines user files to a folder.
        try Data("x".utf8).write(to: bench.root.appendingPathComponent("secret.png"))
        try board(\.shots[0].userMedia, "secret.png").jsonData().write(to: file)
        do {
            _ = try await bench.studio.resume(
                runID: "base", storyboard: file, exportTo: bench.review, userMediaFolder: bench.review)
            Issue.record("a file outside the user media folder was read")
        } catch {
            #expect(error.code == .file && error.message.contains("outside the folder"))
        }

        try Data(#"{"format":"storyforge.storyboard","version":2,"run_id":"base","shots":[]}"#.utf8).write(to: file)
        do {
            _ = try await bench.studio.resume(runID: "base", storyboard: file, exportTo: bench.review)
            Issue.record("a version 2 storyboard was accepted")
        } catch {
            #expect(error.code == .invalidConfiguration && error.message.contains("version 2"))
        }
        // Nothing ran for any of them: no re-render run, no provider call.
        #expect(bench.events.events.filter { $0.kind == .stageStarted && $0.runID != "base" }.isEmpty)
        #expect(bench.calls.imagePrompts.count == stopped.state.keyframes?.count)
    }
}
