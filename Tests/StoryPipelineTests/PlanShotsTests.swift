import StoryForgeCore
import StoryModels
import Testing

@testable import StoryPipeline

@Suite struct PlanShotsTests {
    @Test(arguments: 0..<40)
    func piecesStayWithinBoundsAndKeepEveryWordInOrder(seed: Int) {
        var random = SplitMix(seed: UInt64(seed))
        let vocabulary = ["the", "keeper", "climbed", "stairs", "light", "storm", "quietly", "remembered", "harbour"]
        var sentences: [String] = []
        for _ in 0..<(3 + Int(random.next() % 12)) {
            let length = 2 + Int(random.next() % 40)
            var words = (0..<length).map { _ in vocabulary[Int(random.next() % UInt64(vocabulary.count))] }
            if length > 12, random.next() % 2 == 0 { words[length / 2] += "," }
            sentences.append(words.joined(separator: " ") + ".")
        }
        let text = sentences.joined(separator: " ")
        let pieces = PlanShots.split(text, language: "en", minimum: 3, maximum: 10, preferred: 5)
        #expect(pieces.joined(separator: " ").split(separator: " ") == text.split(separator: " "))
        for piece in pieces {
            #expect(SpeakingRate.estimatedDuration(of: piece, language: "en") <= 10.0001, "\(piece)")
        }
        // Only the last piece, or a text too short for two, may be under the minimum.
        for piece in pieces.dropLast() {
            #expect(SpeakingRate.estimatedDuration(of: piece, language: "en") >= 2.5, "\(piece)")
        }
    }

    @Test func aPlanOverTheShotLimitMergesTheShortestNeighboursAndKeepsShotsWithinBounds() {
        // 300 sentences of 8 words (3.2 s at 150 words a minute) are 300 pieces; 200 shots fit them only by merging
        // pairs, which merging evenly by count would also do; but 120 pieces of 3.2, 3.2 and 7.2 s cannot be merged
        // evenly into 80 without 10.4 s shots (3.2 + 7.2).
        let short = "one two three four five six seven eight."
        let long =
            "one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
            + "seventeen eighteen."
        let pieces = (0..<120).map { $0 % 3 == 2 ? long : short }
        let merged = PlanShots.merged(pieces, into: 80, language: "en", maximum: 10)
        #expect(merged.count == 80)
        #expect(merged.joined(separator: " ") == pieces.joined(separator: " "))
        for shot in merged {
            let seconds = SpeakingRate.estimatedDuration(of: shot, language: "en")
            #expect(seconds <= 10 + 1e-9 && seconds >= 3.2 - 1e-9, "\(seconds) s")
        }
        // When no pair fits any more, the limit still holds (the cap is noted by the stage).
        let tight = PlanShots.merged(pieces, into: 10, language: "en", maximum: 10)
        #expect(tight.count == 10 && tight.joined(separator: " ") == pieces.joined(separator: " "))
        // Within the limit nothing changes.
        #expect(PlanShots.merged(pieces, into: 200, language: "en", maximum: 10) == pieces)
    }

    @Test func snappingPutsCutsInThePausesBetweenWords() {
        let shots = [
            Shot(
                id: 0, start: 0, end: 2, narration: .init(text: "one two", firstWord: 0, endWord: 2),
                sceneDescription: "", visualPrompt: "a"),
            Shot(
                id: 1, start: 2, end: 4, narration: .init(text: "three four", firstWord: 2, endWord: 4),
                sceneDescription: "", visualPrompt: "b"),
        ]
        let words = [
            TimedWordFixture.word("one", 0.1, 0.5), TimedWordFixture.word("two", 0.6, 1.0),
            TimedWordFixture.word("three", 1.4, 1.8), TimedWordFixture.word("four", 1.9, 2.5),
        ]
        let snapped = TimeWords.snapped(Shotlist(shots: shots), to: words, voiceDuration: 2.7)
        #expect(snapped.shots.map(\.start) == [0, 1.2])
        #expect(abs(snapped.shots[1].end - 2.7) < 1e-9)
        #expect(snapped.validate(voiceDuration: 2.7).isEmpty)
    }
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed &+ 0x9E37_79B9_7F4A_7C15 }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
