import Foundation
import StoryForgeCore
import StoryModels
import Testing

@Suite("StoryJSON")
struct StoryJSONTests {
    func roundTrip<Value: Codable & Equatable>(_ value: Value) throws {
        let data = try StoryJSON.encode(value)
        #expect(try StoryJSON.decode(Value.self, from: data) == value)
    }

    @Test("every model survives encode → decode unchanged")
    func roundTrips() throws {
        try roundTrip(Fixtures.idea)
        var script = Script(id: "s", ideaId: "idea-1", language: "en", generated: "One two three.")
        try script.append(
            .revisedForSpeech, text: "One, two, three.",
            score: ScriptScore(
                hook: 1, structure: 2, clarity: 3, emotionalImpact: 4, voiceSuitability: 5, overall: 6,
                feedback: "ok"))
        try roundTrip(script)
        try roundTrip(Shotlist(shots: [Fixtures.shot(1, 0, 2.5), Fixtures.shot(2, 2.5, 6)]))
        try roundTrip(
            SubtitleTrack(
                language: "en",
                cues: [.init(start: 0, end: 1, text: "Hi", words: [TimedWord(word: "Hi", start: 0, end: 1)])]))
        try roundTrip(KeyframePrompt(shotId: 3, prompt: "a lighthouse", negativePrompt: "text", style: "oil", seed: 42))
        try roundTrip(QCSummary(checks: [.init(name: "loudness", passed: true, measured: -14.1, threshold: 1)]))
        try roundTrip(Fixtures.manifest)
    }

    @Test("keys are snake_case, sorted, with schema_version and ISO-8601 dates (golden)")
    func goldenManifest() throws {
        let json = String(decoding: try StoryJSON.encode(Fixtures.manifest), as: UTF8.self)
        let golden = """
            {
              "alternative_titles" : [
                "The Keeper"
              ],
              "created_at" : "2023-11-14T22:13:20Z",
              "description" : "A ghost story.",
              "files" : [
                {
                  "bytes" : 10,
                  "path" : "video.mp4",
                  "sha256" : "abababababababababababababababababababababababababababababababab"
                }
              ],
              "hashtags" : [
                "ghost"
              ],
              "idea_id" : "idea-1",
              "run_id" : "run-1",
              "schema_version" : 1,
              "script_id" : "script-1",
              "stages" : [
                {
                  "cost_usd" : 0.25,
                  "duration" : 2.5,
                  "model" : "gpt-4o-mini",
                  "provider" : "openai",
                  "stage" : "script",
                  "usage" : {
                    "completion_tokens" : 50,
                    "prompt_tokens" : 100
                  }
                },
                {
                  "cost_usd" : 0.5,
                  "duration" : 1,
                  "model" : "",
                  "provider" : "espeak-ng",
                  "stage" : "voice"
                }
              ],
              "title" : "Lights Out",
              "video_duration" : 44.6,
              "voice_duration" : 44.5
            }
            """
        #expect(json == golden)
    }

    @Test("a shot list in golden snake_case JSON decodes")
    func goldenShotlistDecodes() throws {
        let json = """
            {"schema_version": 1, "shots": [{"id": 1, "start": 0, "end": 3.5, "duration": 3.5,
              "narration": {"text": "Once", "first_word": 0, "end_word": 1},
              "scene_description": "a shore", "visual_prompt": "foggy shore", "mood": "calm",
              "camera": "wide", "motion": "pan left", "transition": "fade_to_black"}]}
            """
        let list = try StoryJSON.decode(Shotlist.self, from: Data(json.utf8))
        #expect(list.schemaVersion == 1)
        #expect(list.shots.first?.narration.endWord == 1)
        #expect(list.shots.first?.sceneDescription == "a shore")
        #expect(list.shots.first?.transition == .fadeToBlack)
        let reencoded = String(decoding: try StoryJSON.encode(list), as: UTF8.self)
        #expect(reencoded.contains("\"visual_prompt\" : \"foggy shore\""))
        #expect(reencoded.contains("\"schema_version\" : 1"))
        #expect(!reencoded.contains("visualPrompt"))
    }

    @Test("fields added by a later version are ignored, and optional fields may be absent")
    func forwardCompatible() throws {
        let json = """
            {"schema_version": 1, "language": "en", "future_field": {"x": 1},
             "cues": [{"start": 0, "end": 1.5, "text": "Hi", "words": [{"word": "Hi", "start": 0, "end": 1}],
                       "speaker": "narrator"}]}
            """
        let track = try StoryJSON.decode(SubtitleTrack.self, from: Data(json.utf8))
        #expect(track.cues.first?.end == 1.5)
        #expect(track.words == [TimedWord(word: "Hi", start: 0, end: 1, confidence: nil)])
    }
}
