import Foundation
import StoryModels
import Testing

@Suite("Golden JSON of scripts and ideas")
struct GoldenScriptTests {
    @Test("a script's versions keep their snake_case field names and kind values")
    func script() throws {
        var script = Script(id: "s", ideaId: "i", language: "en", generated: "one two three")
        try script.append(.revisedForSpeech, text: "one two")
        let json = String(decoding: try StoryJSON.encode(script), as: UTF8.self)
        let golden = """
            {
              "id" : "s",
              "idea_id" : "i",
              "language" : "en",
              "schema_version" : 1,
              "versions" : [
                {
                  "estimated_duration" : 1.2,
                  "kind" : "generated",
                  "number" : 1,
                  "text" : "one two three",
                  "word_count" : 3
                },
                {
                  "estimated_duration" : 0.8,
                  "kind" : "revised_for_speech",
                  "number" : 2,
                  "source" : 1,
                  "text" : "one two",
                  "word_count" : 2
                }
              ]
            }
            """
        #expect(json == golden)
    }

    @Test("an idea's viral scores and suggestions keep their snake_case field names")
    func idea() throws {
        let json = String(decoding: try StoryJSON.encode(Fixtures.idea), as: UTF8.self)
        for key in [
            "\"target_audience\" : \"adults\"", "\"viral_potential\" : {", "\"age_groups\" : [",
            "\"segment\" : \"18-24\"", "\"title_suggestions\" : [", "\"tag_suggestions\" : [",
            "\"schema_version\" : 1",
        ] {
            #expect(json.contains(key), "missing \(key)")
        }
    }
}
