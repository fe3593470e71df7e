import Foundation
import PipelineKit
import StoryModels
import Testing

@testable import StoryPipeline

/// The storyboard file on its own: what it holds, how strictly it is read, and how edits are found in it.
@Suite struct StoryboardTests {
    /// A state of three shots with keyframes, as a run that stopped after its keyframes has.
    static func state() -> StoryState {
        var state = StoryState(request: StoryRequest(topic: "a kite", seed: 2))
        let texts = ["The kite rose.", "The string held.", "Then it flew away."]
        var word = 0
        state.shotlist = Shotlist(
            shots: texts.enumerated().map { index, text in
                let count = text.split(separator: " ").count
                defer { word += count }
                return Shot(
                    id: index, start: Double(index) * 2, end: Double(index + 1) * 2,
                    narration: NarrationSpan(text: text, firstWord: word, endWord: word + count),
                    sceneDescription: text, visualPrompt: "picture \(index)", mood: "calm")
            })
        state.keyframes = (0..<3).map {
            ArtifactRef(path: "ab/\($0).png", sha256: String(repeating: "a", count: 64), byteCount: 1)
        }
        state.script = Script(id: "s1", language: "en", generated: texts.joined(separator: " "))
        state.stageRecords = [.init(stage: "keyframes", provider: "procedural", model: "", duration: 0)]
        return state
    }

    static let directory = URL(fileURLWithPath: "/tmp/review", isDirectory: true)

    @Test func aStoryboardHoldsEachShotAndRoundTrips() throws {
        let board = Storyboard(state: Self.state(), runID: "r1", stoppedAfter: "keyframe-collect")
        #expect(board.format == "storyforge.storyboard" && board.version == 1 && board.runId == "r1")
        #expect(board.title == "a kite")
        #expect(board.shots.map(\.media) == ["keyframes/001.png", "keyframes/002.png", "keyframes/003.png"])
        #expect(board.shots.map(\.source) == ["procedural", "procedural", "procedural"])
        #expect(board.shots[2].narration == "Then it flew away." && board.shots[2].start == 4)
        let data = try board.jsonData()
        let text = String(decoding: data, as: UTF8.self)
        for key in ["\"visual_prompt\"", "\"user_media\" : null", "\"match_score\" : null", "\"stopped_after\""] {
            #expect(text.contains(key), "missing \(key)")
        }
        #expect(try Storyboard.decode(data) == board)
    }

    @Test func aStoryboardIsReadStrictly() throws {
        let good =
            try JSONSerialization.jsonObject(
                with: Storyboard(state: Self.state(), runID: "r1").jsonData()) as! [String: Any]
        func problem(_ edit: (inout [String: Any]) -> Void) -> String? {
            var object = good
            edit(&object)
            guard let data = try? JSONSerialization.data(withJSONObject: object) else { return "not JSON" }
            do {
                _ = try Storyboard.decode(data)
                return nil
            } catch {
                #expect(error.code == .invalidConfiguration)
                return error.message
            }
        }
        #expect(problem { _ in } == nil)
        #expect(problem { $0["version"] = 2 }?.contains("version 2: this release reads version 1") == true)
        #expect(problem { $0["format"] = "something" }?.contains("format: expected") == true)
        #expect(problem { $0["shots_count"] = 3 }?.contains("shots_count: unknown key") == true)
        #expect(
            problem { object in
                var shots = object["shots"] as! [[String: Any]]
                shots[1]["visual_promt"] = "typo"
                object["shots"] = shots
            }?.contains("shots[1].visual_promt: unknown key") == true)
        #expect(problem { $0["shots"] = "none" } != nil)
        #expect(problem { $0.removeValue(forKey: "run_id") } != nil)
        #expect(throws: StoryPipelineError.self) { try Storyboard.decode(Data("[1, 2".utf8)) }
        #expect(throws: StoryPipelineError.self) {
            try Storyboard.decode(Data(repeating: 0x20, count: Storyboard.readLimit + 1))
        }
    }

    @Test func editsAreTheChangedPromptsNarrationAndUserFiles() throws {
        let state = Self.state()
        var board = Storyboard(state: state, runID: "r1")
        #expect(try board.edits(against: state, runID: "r1", relativeTo: Self.directory).isEmpty)
        board.shots[0].visualPrompt = "  picture 0  "  // white space around is no edit
        board.shots[1].narration = "The string   held."
        #expect(try board.edits(against: state, runID: "r1", relativeTo: Self.directory).isEmpty)

        board.shots[2].visualPrompt = "a kite in a storm"
        board.shots[0].mood = "tense"
        board.shots[1].narration = "The string snapped."
        board.shots[2].userMedia = "mine/kite.jpg"
        let edits = try board.edits(against: state, runID: "r1", relativeTo: Self.directory)
        #expect(edits.prompts[2] == .init(prompt: "a kite in a storm", mood: "calm"))
        #expect(edits.prompts[0] == .init(prompt: "picture 0", mood: "tense"))
        #expect(edits.narration == [1: "The string snapped."])
        #expect(edits.userMedia[2]?.path == "/tmp/review/mine/kite.jpg")

        let applied = try state.applying(edits, imported: [:])
        let shots = try #require(applied.shotlist).shots
        #expect(shots[2].visualPrompt == "a kite in a storm" && shots[0].mood == "tense")
        #expect(shots[1].narration.text == "The string snapped.")
        #expect(shots.map(\.narration.firstWord) == [0, 3, 6] && shots.map(\.narration.endWord) == [3, 6, 10])
        #expect(applied.script?.current.text == "The kite rose. The string snapped. Then it flew away.")
        #expect(applied.script?.versions.count == 2)
        #expect(applied.voice == nil && applied.words == nil && applied.subtitles == nil)
        #expect(applied.keyframes == state.keyframes)
    }

    @Test func editsThatDoNotFitTheRunAreRefusedNamingTheField() throws {
        let state = Self.state()
        let board = Storyboard(state: state, runID: "r1")
        func problem(_ edit: (inout Storyboard) -> Void) -> String? {
            var edited = board
            edit(&edited)
            do {
                _ = try edited.edits(against: state, runID: "r1", relativeTo: Self.directory)
                return nil
            } catch {
                #expect(error.code == .invalidConfiguration)
                return error.message
            }
        }
        #expect(problem { $0.runId = "r2" }?.contains("run_id \"r2\" is not run r1") == true)
        #expect(problem { $0.shots.removeLast() }?.contains("2 shots, but run r1 has 3") == true)
        #expect(problem { $0.shots.append($0.shots[0]) }?.contains("cannot be added or removed") == true)
        #expect(problem { $0.shots.swapAt(0, 1) }?.contains("shots[0].id: 1 is out of place") == true)
        #expect(problem { $0.shots[2].id = 7 }?.contains("shots[2].id: 7 is no shot of run r1") == true)
        #expect(problem { $0.shots[1].start = 1.5 }?.contains("shots[1].start: read only") == true)
        #expect(problem { $0.shots[1].source = "user" }?.contains("shots[1].source: read only") == true)
        #expect(problem { $0.shots[1].media = "elsewhere.png" }?.contains("shots[1].media: read only") == true)
        #expect(problem { $0.shots[0].visualPrompt = " " }?.contains("shots[0].visual_prompt: empty") == true)
        #expect(problem { $0.shots[0].narration = "— …" }?.contains("shots[0].narration: no words") == true)
    }

    @Test func theContactSheetLinksEachPictureAndEscapesText() {
        var board = Storyboard(state: Self.state(), runID: "xyzzy-run")
        board.title = "<b>kites</b>"
        board.shots[0].narration = "<script>alert(1)</script> & \"more\""
        let html = board.contactSheet()
        #expect(html.contains("<img src=\"keyframes/001.png\""))
        #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;more&quot;"))
        #expect(!html.contains("<script>"))
        #expect(html.contains("<h1>&lt;b&gt;kites&lt;/b&gt;</h1>"))
        #expect(!html.contains("xyzzy"), "the sheet names no run, so that the same story makes the same file")
    }

    @Test func aFolderBelongsToARunWhenItHoldsOnlyItsStoryboardOrItsExport() throws {
        let root = try temporaryDirectory("storyboard-folder")
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(Storyboard.folder(root.appendingPathComponent("new"), belongsTo: ["r1"]))
        #expect(Storyboard.folder(root, belongsTo: ["r1"]))
        try Storyboard(state: Self.state(), runID: "r1").jsonData().write(
            to: root.appendingPathComponent("storyboard.json"))
        #expect(Storyboard.folder(root, belongsTo: ["r1"]))
        #expect(!Storyboard.folder(root, belongsTo: ["r2"]))
        try Data("mine".utf8).write(to: root.appendingPathComponent("my-photo.jpg"))
        #expect(Storyboard.folder(root, belongsTo: ["r1"]), "the user's own files beside the storyboard")
        try FileManager.default.removeItem(at: root.appendingPathComponent("storyboard.json"))
        #expect(!Storyboard.folder(root, belongsTo: ["r1"]), "someone else's files")
    }
}
