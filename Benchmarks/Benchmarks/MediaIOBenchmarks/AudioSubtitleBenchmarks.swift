import Benchmark
import Foundation
import MediaIO
import StoryForgeCore

// Swift loudness measurement and subtitle segmentation, on inputs generated in memory.
//
// Loudness: 60 s of 48 kHz stereo (a tone under noise, amplitude-modulated like speech); one
// iteration measures all of it, so real-time factor = 60 s / wall-clock time per iteration.
// Segmentation: 2000 words (~13 minutes of speech) with speech-like durations and pauses.
func registerAudioAndSubtitleBenchmarks() {
    let seconds = 60
    let rate = 48_000
    var state: UInt64 = 42
    func random() -> Float {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(state >> 40) / Float(1 << 24) - 0.5
    }
    var samples = [Float](repeating: 0, count: seconds * rate * 2)
    for frame in 0..<(seconds * rate) {
        let t = Double(frame) / Double(rate)
        let envelope = Float(0.5 + 0.5 * sin(2 * Double.pi * 0.7 * t))
        let tone = Float(0.3 * sin(2 * Double.pi * 220 * t))
        samples[2 * frame] = envelope * (tone + 0.2 * random())
        samples[2 * frame + 1] = envelope * (tone + 0.2 * random())
    }
    let audio = try? AudioBuffer(sampleRate: rate, channelCount: 2, samples: samples)
    Benchmark(
        "Loudness measure 60 s stereo 48 kHz",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxIterations: 20)
    ) { benchmark in
        guard let audio else { return }
        for _ in benchmark.scaledIterations {
            blackHole(try LoudnessMeter().measure(audio))
        }
    }

    let vocabulary = ["we", "walked", "into", "the", "old", "lighthouse,", "and", "nobody", "spoke.", "Then", "a"]
    var time = 0.0
    let words = (0..<2000).map { index -> TimedWord in
        let text = vocabulary[index % vocabulary.count]
        let length = 0.12 + 0.04 * Double(text.count)
        defer { time += length + (index % 17 == 0 ? 0.7 : 0.05) }
        return TimedWord(text, start: time, end: time + length)
    }
    Benchmark(
        "Subtitle segmentation 2000 words",
        configuration: .init(metrics: [.wallClock, .throughput, .mallocCountTotal], maxIterations: 50)
    ) { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(SubtitleSegmenter().segment(words))
        }
    }
}
