import Foundation
import MediaIO
import PropertyBased
import StoryForgeCore
import Testing

@Suite("Subtitle segmentation")
struct SubtitleSegmenterTests {
    static let vocabulary = [
        "the", "a", "quick", "brown", "fox", "jumps", "over", "lazy", "dog.", "and,", "then", "extraordinary",
        "runs!", "away?", "supercalifragilistic", "I", "we'll", "wonderful", "because;", "mountains",
    ]

    /// Random words with random lengths and gaps, in time order.
    static func words(count: Int, seed: UInt64) -> [TimedWord] {
        var generator = SplitMix(seed: seed)
        var time = Double(generator.next() % 100) / 100
        return (0..<count).map { _ in
            let text = vocabulary[Int(generator.next() % UInt64(vocabulary.count))]
            let length = 0.05 + Double(generator.next() % 80) / 100
            let gap = generator.next() % 5 == 0 ? Double(generator.next() % 150) / 100 : 0.02
            defer { time += length + gap }
            return TimedWord(text, start: time, end: time + length)
        }
    }

    @Test("cues keep every invariant on random word timings")
    func invariants() async {
        await propertyCheck(count: 300, input: Gen.int(in: 0...120), Gen.uint64(), Gen.int(in: 12...60)) {
            count, seed, lineLimit in
            let words = Self.words(count: count, seed: seed)
            let configuration = SubtitleSegmenter.Configuration(maxCharactersPerLine: lineLimit)
            let cues = SubtitleSegmenter(configuration: configuration).segment(words)
            // Every word appears once, in order (an over-long word split in pieces).
            #expect(cues.flatMap(\.words).map(\.word).joined() == words.map(\.word).joined())
            for (index, cue) in cues.enumerated() {
                #expect(cue.lines.count <= 2)
                for line in cue.lines { #expect(line.count <= lineLimit, "\(line)") }
                #expect(cue.end > cue.start)
                #expect(cue.duration <= configuration.maxDuration + 1e-9)
                if index + 1 < cues.count {
                    let next = cues[index + 1]
                    #expect(cue.end <= next.start + 1e-9, "overlap")
                    // Shorter than the minimum only when the next cue starts right there.
                    #expect(cue.duration >= configuration.minDuration - 1e-9 || abs(cue.end - next.start) < 1e-9)
                } else {
                    #expect(cue.duration >= configuration.minDuration - 1e-9)
                }
                #expect(cue.start <= cue.words[0].start + 1e-9)
            }
        }
    }

    @Test("breaks after sentence punctuation and at pauses")
    func breaks() {
        let words = [
            TimedWord("It", start: 0, end: 0.3), TimedWord("rained.", start: 0.3, end: 1.2),
            TimedWord("Then", start: 1.3, end: 1.6), TimedWord("sun", start: 1.6, end: 2.0),
            TimedWord("came", start: 3.0, end: 3.4), TimedWord("out", start: 3.4, end: 3.9),
        ]
        let cues = SubtitleSegmenter().segment(words)
        #expect(cues.map(\.text) == ["It rained.", "Then sun", "came out"])
    }

    @Test("long text wraps into balanced lines of at most 42 characters")
    func balanced() {
        let text = "This sentence is long enough that it needs two lines to fit on screen"
        var time = 0.0
        let words = text.split(separator: " ").map { word -> TimedWord in
            defer { time += 0.2 }
            return TimedWord(String(word), start: time, end: time + 0.2)
        }
        let cues = SubtitleSegmenter().segment(words)
        #expect(cues.count == 1)
        let lines = cues[0].lines
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.count <= 42 })
        #expect(abs(lines[0].count - lines[1].count) <= 8)
    }

    @Test("CJK text wraps between characters, not at spaces")
    func cjk() {
        let words = [
            TimedWord("今日はとても良い天気ですね", start: 0, end: 2),
            TimedWord("散歩に行きましょう。", start: 2, end: 3.5),
        ]
        let cues = SubtitleSegmenter(configuration: .init(maxCharactersPerLine: 16)).segment(words)
        #expect(cues.count == 1)
        let lines = cues[0].lines
        #expect(lines.count == 2)
        #expect(lines.allSatisfy { $0.count <= 16 && !$0.contains(" ") })
        #expect(lines.joined() == "今日はとても良い天気ですね散歩に行きましょう。")
        #expect(!lines[1].hasPrefix("、") && !lines[1].hasPrefix("。"))
    }
}

/// A small deterministic generator, so a failing seed replays.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
