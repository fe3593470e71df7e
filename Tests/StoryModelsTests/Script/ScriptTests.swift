import Foundation
import StoryModels
import Testing

@Suite("Script")
struct ScriptTests {
    @Test("lineage: generated → revised for speech → enhanced, each keeping its source")
    func lineage() throws {
        var script = Script(id: "s", language: "en", generated: "It was 3 a.m. **Dark.**")
        try script.append(.revisedForSpeech, text: "It was three in the morning. Dark.")
        try script.append(.enhanced, text: "It was three in the morning, and dark.")
        #expect(script.versions.map(\.kind) == [.generated, .revisedForSpeech, .enhanced])
        #expect(script.versions.map(\.source) == [nil, 1, 2])
        #expect(script.current.number == 3)
        #expect(script.lineage(of: 3).map(\.number) == [1, 2, 3])
        try script.append(.revisedForSpeech, text: "Again.", from: 1)
        #expect(script.lineage(of: 4).map(\.number) == [1, 4])
    }

    @Test("only the first version is generated, and sources must exist")
    func invalidLineage() {
        var script = Script(id: "s", language: "en", generated: "x")
        // Errors compare by code only, so the messages are checked on their own.
        let generated = #expect(throws: StoryModelError.self) { try script.append(.generated, text: "y") }
        #expect(generated?.code == .invalidLineage)
        #expect(generated?.message == "only the first version is generated")
        let missing = #expect(throws: StoryModelError.self) { try script.append(.enhanced, text: "y", from: 7) }
        #expect(missing?.code == .invalidLineage)
        #expect(missing?.message == "no version 7 to derive from")
        #expect(script.versions.count == 1)
    }

    @Test("decoding rejects a version whose source does not precede it")
    func decodedLineageIsChecked() throws {
        var script = Script(id: "s", language: "en", generated: "x")
        try script.append(.enhanced, text: "y")
        var json = String(decoding: try StoryJSON.encode(script), as: UTF8.self)
        json = json.replacingOccurrences(of: "\"source\" : 1", with: "\"source\" : 2")
        let error = #expect(throws: StoryModelError.self) { try StoryJSON.decode(Script.self, from: Data(json.utf8)) }
        #expect(error?.code == .invalidValue)
        #expect(error?.path == "versions")
        #expect(error?.message == "version 2: its source must be an earlier version")
    }

    @Test("word count and spoken duration follow the language's rate")
    func duration() {
        let english = ScriptVersion(
            number: 1, kind: .generated, source: nil, text: "one two, three — four five. 6", language: "en-US")
        #expect(english.wordCount == 6)
        #expect(abs(english.estimatedDuration - 6 * 60 / 150) < 1e-9)
        let german = ScriptVersion(number: 1, kind: .generated, source: nil, text: "eins zwei", language: "de")
        #expect(abs(german.estimatedDuration - 2 * 60 / 130) < 1e-9)
        #expect(SpeakingRate.wordsPerMinute(for: "pt_BR") == 150)
        #expect(SpeakingRate.wordsPerMinute(for: "xx") == SpeakingRate.defaultWordsPerMinute)
        #expect(SpeakingRate.wordCount(of: "从前，有一座山。", language: "zh-Hans") == 6)
        #expect(SpeakingRate.wordCount(of: "", language: "en") == 0)
    }
}
