import Foundation
import StoryModels
import Testing

@Suite("Decoding errors name the failing field")
struct DecodingErrorTests {
    static let validShot = """
        {"id": 1, "start": 0, "end": 3, "duration": 3,
         "narration": {"text": "a", "first_word": 0, "end_word": 1},
         "scene_description": "s", "visual_prompt": "p", "mood": "m", "camera": "c", "motion": "o",
         "transition": "cut"}
        """

    func failure<Value: Decodable>(decoding json: String, as type: Value.Type) -> StoryModelError? {
        do {
            _ = try StoryJSON.decode(type, from: Data(json.utf8))
            return nil
        } catch {
            return error
        }
    }

    @Test("a string where a number belongs: shots[2].duration: expected a number")
    func wrongType() throws {
        let bad = Self.validShot.replacingOccurrences(of: "\"duration\": 3", with: "\"duration\": \"3 s\"")
        let json = "{\"schema_version\": 1, \"shots\": [\(Self.validShot), \(Self.validShot), \(bad)]}"
        let error = try #require(failure(decoding: json, as: Shotlist.self))
        #expect(error.description == "shots[2].duration: expected a number")
        #expect(error.isWrongType)
    }

    @Test("a missing nested field is named in snake_case")
    func missingField() throws {
        let bad = Self.validShot.replacingOccurrences(of: "\"scene_description\": \"s\",", with: "")
        let json = "{\"schema_version\": 1, \"shots\": [\(bad)]}"
        let error = try #require(failure(decoding: json, as: Shotlist.self))
        #expect(error.description == "shots[0].scene_description: missing")
        #expect(error.isMissingField)
    }

    @Test("a missing schema_version is reported")
    func missingSchemaVersion() throws {
        let error = try #require(failure(decoding: "{\"shots\": []}", as: Shotlist.self))
        #expect(error.description == "schema_version: missing")
    }

    @Test("null where a string belongs")
    func nullValue() throws {
        let json = "{\"schema_version\": 1, \"language\": null, \"cues\": []}"
        let error = try #require(failure(decoding: json, as: SubtitleTrack.self))
        #expect(error.description == "language: expected a string, found null")
        #expect(error.isMissingField)
    }

    @Test("an object where an array belongs")
    func objectForArray() throws {
        let json = "{\"schema_version\": 1, \"shots\": {\"id\": 1}}"
        let error = try #require(failure(decoding: json, as: Shotlist.self))
        #expect(error.description == "shots: expected an array")
    }

    @Test("an unknown transition is an invalid value at its path")
    func unknownEnum() throws {
        let bad = Self.validShot.replacingOccurrences(of: "\"cut\"", with: "\"wipe\"")
        let error = try #require(failure(decoding: "{\"schema_version\": 1, \"shots\": [\(bad)]}", as: Shotlist.self))
        #expect(error.path == "shots[0].transition")
        #expect(error.isInvalidValue)
    }

    @Test("a script with no versions is rejected at versions")
    func emptyVersions() throws {
        let json = "{\"schema_version\": 1, \"id\": \"s\", \"language\": \"en\", \"versions\": []}"
        let error = try #require(failure(decoding: json, as: Script.self))
        #expect(error.description == "versions: expected at least one version")
    }

    @Test("a file hash that is not 64 lowercase hex digits is rejected at its path")
    func badHash() throws {
        var manifest = Fixtures.manifest
        manifest.files.append(.init(path: "voice.wav", bytes: 1, sha256: "ABC"))
        let json = String(decoding: try StoryJSON.encode(manifest), as: UTF8.self)
        let error = try #require(failure(decoding: json, as: ExportManifest.self))
        #expect(error.path == "files[1].sha256")
        #expect(error.message == "expected 64 lowercase hex digits")
    }

    @Test("text that is not JSON, or is truncated, is malformed")
    func notJSON() throws {
        for text in ["Sure! Here is your JSON:", "{\"schema_version\": 1, \"shots\": ["] {
            let error = try #require(failure(decoding: text, as: Shotlist.self))
            #expect(error.isMalformedJSON)
            #expect(error.path.isEmpty)
        }
    }

    @Test("an empty shot list decodes and validates as empty")
    func emptyShots() throws {
        let list = try StoryJSON.decode(Shotlist.self, from: Data("{\"schema_version\": 1, \"shots\": []}".utf8))
        #expect(list.validate() == [.empty])
    }
}
