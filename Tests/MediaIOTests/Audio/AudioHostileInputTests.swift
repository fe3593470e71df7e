import Foundation
import MediaIO
import Testing

@Suite("Audio with hostile numbers")
struct AudioHostileInputTests {
    @Test("silence of a NaN, infinite or huge length is an error; a negative one is empty")
    func silence() throws {
        for duration in [Double.nan, .infinity, 1e300, 1e15, .greatestFiniteMagnitude] {
            let error = #expect(throws: AudioError.self, "\(duration)") { _ = try AudioBuffer(silenceOf: duration) }
            #expect(error?.code == .invalidArgument, "\(duration)")
        }
        let error2 = #expect(throws: AudioError.self) {
            _ = try AudioBuffer(silenceOf: 1, sampleRate: 48_000, channelCount: .max)
        }
        #expect(error2?.code == .invalidArgument)
        #expect(try AudioBuffer(silenceOf: -5).frameCount == 0)
        #expect(try AudioBuffer(silenceOf: -.infinity).frameCount == 0)
        #expect(try AudioBuffer(silenceOf: 0.5, sampleRate: 8000, channelCount: 2).samples.count == 8000)
    }

    @Test("trimming silence with a NaN, infinite or huge padding keeps the audio instead of trapping")
    func padding() throws {
        var samples = [Float](repeating: 0, count: 1000)
        samples[500] = 0.5
        let audio = try AudioBuffer(sampleRate: 1000, channelCount: 1, samples: samples)
        for padding in [Double.infinity, 1e300, .greatestFiniteMagnitude] {
            #expect(audio.soundRange(padding: padding) == 0..<1000, "\(padding)")
        }
        #expect(audio.soundRange(padding: .nan) == 500..<501)
        #expect(audio.soundRange(padding: -.infinity) == 500..<501)
        #expect(audio.soundRange(padding: 0.01) == 490..<511)
    }
}
