import Foundation
import MediaIO
import StoryForgeCore
import Testing

@Suite("Script alignment")
struct ScriptAlignerTests {
    @Test("markdown is dropped, numbers match spelled-out words, misses are interpolated")
    func aligns() {
        let script = "# Title\n**Welcome** to [our show](https://x.y), episode 42! It's *great*."
        // The transcriber misheard "show" and skipped "great".
        let heard = [
            ("title", 0.0, 0.4), ("welcome", 0.5, 0.9), ("to", 0.9, 1.0), ("our", 1.0, 1.2), ("shore", 1.2, 1.5),
            ("episode", 1.6, 2.0), ("forty-two", 2.0, 2.6), ("it's", 2.8, 3.0), ("um", 3.0, 3.2),
        ].map { TimedWord($0.0, start: $0.1, end: $0.2) }
        let alignment = ScriptAligner().align(script: script, to: heard)
        #expect(
            alignment.words.map(\.word) == [
                "Title", "Welcome", "to", "our", "show,", "episode", "42!", "It's", "great.",
            ])
        #expect(alignment.matched == [true, true, true, true, false, true, true, true, false])
        #expect(abs(alignment.accuracy - 7.0 / 9.0) < 1e-9)
        #expect(alignment.words[6].start == 2.0 && alignment.words[6].end == 2.6)
        // "show" sits between "our" (ends 1.2) and "episode" (starts 1.6).
        #expect(alignment.words[4].start == 1.2 && alignment.words[4].end == 1.6)
        // "great." after the last match runs to the end of the transcript.
        #expect(alignment.words[8].start == 3.0 && alignment.words[8].end == 3.2)
        // Times never go backwards.
        for (a, b) in zip(alignment.words, alignment.words.dropFirst()) { #expect(a.end <= b.start + 1e-9) }
    }

    @Test("a perfect transcript aligns with accuracy 1; an unrelated one scores low")
    func accuracy() {
        let words = "one two three four five six".split(separator: " ").enumerated().map {
            TimedWord(String($0.element), start: Double($0.offset), end: Double($0.offset) + 0.5)
        }
        #expect(ScriptAligner().align(script: "One, two; three four five six.", to: words).accuracy == 1)
        #expect(ScriptAligner().align(script: "completely different words here", to: words).accuracy == 0)
    }
}
