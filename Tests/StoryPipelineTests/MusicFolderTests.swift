import Foundation
import Testing

@testable import StoryPipeline

/// `stages.assemble.parameters.music` naming a folder: the track is chosen by the story's mood, on real files.
@Suite struct MusicFolderTests {
    func folder(_ names: [String]) throws -> URL {
        let url = try temporaryDirectory("music")
        for name in names { try Data([0]).write(to: url.appendingPathComponent(name)) }
        return url
    }

    @Test func theTrackTaggedWithTheMoodIsChosen() throws {
        let url = try folder(["calm-piano.mp3", "Tense_Strings.WAV", "notes.txt", ".hidden-tense.mp3", "warm pad.ogg"])
        defer { try? FileManager.default.removeItem(at: url) }
        let pick = { (moods: [String]) in
            try AssembleVideo.musicTrack(at: url.path, moods: moods, seed: 3).lastPathComponent
        }
        #expect(try pick(["tense, dark", "quiet"]) == "Tense_Strings.WAV")
        #expect(try pick(["Calm"]) == "calm-piano.mp3")
        #expect(try pick(["a warm and calm pad"]) == "warm pad.ogg")
        // No tag matches: the seed chooses among every track, the same each time.
        let untagged = try AssembleVideo.musicTrack(at: url.path, moods: ["joyful"], seed: 7).lastPathComponent
        #expect(try AssembleVideo.musicTrack(at: url.path, moods: ["joyful"], seed: 7).lastPathComponent == untagged)
        #expect(["calm-piano.mp3", "Tense_Strings.WAV", "warm pad.ogg"].contains(untagged))
        #expect(try AssembleVideo.musicTrack(at: url.path, moods: [], seed: Int.min).lastPathComponent.isEmpty == false)
    }

    @Test func aFileIsUsedAsItIsAndAFolderWithoutAudioIsAnError() throws {
        let url = try folder(["readme.txt"])
        defer { try? FileManager.default.removeItem(at: url) }
        let file = url.appendingPathComponent("readme.txt")
        #expect(try AssembleVideo.musicTrack(at: file.path, moods: ["calm"], seed: 0) == file)
        #expect {
            _ = try AssembleVideo.musicTrack(at: url.path, moods: ["calm"], seed: 0)
        } throws: { error in
            (error as? StoryPipelineError)?.message.contains("has no audio files") == true
        }
    }
}
