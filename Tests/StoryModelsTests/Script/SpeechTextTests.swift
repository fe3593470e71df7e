import Testing

@testable import StoryModels

@Suite struct SpeechTextTests {
    @Test(arguments: [
        ("She was 42.", "She was forty-two."),
        ("It cost $3.50 in 1999.", "It cost three point five zero dollars in nineteen ninety-nine."),
        (
            "In 2007, 25% of 1,200 people left.",
            "In two thousand seven, twenty-five percent of one thousand two hundred people left."
        ),
        ("Dr. Lee met Mr. Park, e.g. on Mt. Fuji.", "Doctor Lee met Mister Park, for example on Mount Fuji."),
        ("# The **Last** Light\n- she *ran*", "The Last Light\nshe ran"),
        ("NARRATOR: It was late. [pause] (softly) *sighs* She smiled.", "It was late. She smiled."),
        ("See [the map](https://example.com/map) & go.", "See the map and go."),
        ("Room 101 in 1905.", "Room one hundred one in nineteen oh five."),
    ])
    func rewritesForTheEar(input: String, expected: String) {
        #expect(SpeechText.normalize(input) == expected)
    }

    @Test func otherLanguagesKeepTheirDigits() {
        #expect(SpeechText.normalize("Er war **42** Jahre alt.", language: "de") == "Er war 42 Jahre alt.")
    }

    @Test func numberWordsCoverLargeValues() {
        #expect(SpeechText.words(0) == "zero")
        #expect(SpeechText.words(90) == "ninety")
        #expect(SpeechText.words(1_000_001) == "one million one")
        #expect(SpeechText.words(2_500_000_000) == "two billion five hundred million")
        #expect(SpeechText.year(1800) == "eighteen hundred")
    }

    @Test func theHeuristicScorerRewardsASpeakableScriptOfTheRightLength() async throws {
        let scorer = HeuristicScriptScorer()
        let good = """
            Have you ever heard a lighthouse sing? Every night the keeper climbed the stairs and lit the lamp. \
            One stormy night, the light went out and the sea went quiet. She felt afraid, but she climbed anyway. \
            At the top she found a small bird, warm and alive, sheltering by the glass. She smiled, lit the lamp, \
            and the song came back.
            """
        let bad = "Text 42 [x] (y) *z* with 1234567 numbers and no end"
        let goodScore = try await scorer.score(good, language: "en", targetSeconds: 25)
        let badScore = try await scorer.score(bad, language: "en", targetSeconds: 25)
        #expect(goodScore.overall > badScore.overall + 20)
        #expect(goodScore.voiceSuitability == 100)
        #expect(badScore.feedback.contains("digits"))
        #expect(try await scorer.score(good, language: "en", targetSeconds: 25) == goodScore)
    }
}
