import Foundation

/// ``LoudnessMeter``'s measurement fed in blocks: interleaved frames in any number of calls, in order, then
/// ``finish()``. Memory is the per-channel filter states and one `Double` per 100 ms of programme (96 KB for
/// 20 minutes), so a long programme is measured without holding its samples (the QC pass streams ffmpeg's decode
/// through it; the composer reads the mastered WAV in blocks).
///
/// The arithmetic is the whole-buffer meter's, in the same order (per channel: K-weighting, squares summed per
/// 100 ms segment, then the channels' weighted sums added in channel order; true peak from the same polyphase
/// filter run through the samples and `tapsPerPhase` zeros after them), so a buffer measured in one call or in
/// blocks of any size gives bit-identical figures.
struct LoudnessAccumulator {
    let sampleRate: Int
    let channels: Int
    private let hop: Int
    private let weights: [Double]
    private var filters: [KWeightingFilter]
    private var peaks: [TruePeakOversampler.State]
    private let oversampler = TruePeakOversampler()
    /// Each channel's sum of squares in the segment under way, and how many frames it holds.
    private var partial: [Double]
    private var framesInSegment = 0
    private var segmentEnergy = [Double]()
    private var samplePeak: Float = 0
    /// Whole frames seen so far.
    private(set) var frameCount = 0
    /// The index of the last frame with a sample above ``loudThreshold`` in magnitude, if any.
    private(set) var lastLoudFrame: Int?
    /// −45 dBFS as an amplitude: where ``QualityGate`` puts the end of sound.
    let loudThreshold = Float(pow(10, -45.0 / 20))

    /// - Throws: ``AudioError/invalidArgument`` for a rate under 10 Hz (no 100 ms hop) or no channels.
    init(sampleRate: Int, channels: Int) throws {
        let hop = sampleRate / 10  // 100 ms
        guard hop > 0 else {
            throw AudioError.invalidArgument("a sample rate of \(sampleRate) Hz is too low to measure")
        }
        guard channels > 0 else { throw AudioError.invalidArgument("cannot measure audio with no channels") }
        self.sampleRate = sampleRate
        self.channels = channels
        self.hop = hop
        // BS.1770 weights for up to 5.1 (L, R, C, LFE, Ls, Rs); more channels weigh 1.
        let table: [Double] = [1, 1, 1, 0, 1.41, 1.41]
        weights = (0..<channels).map { $0 < table.count ? table[$0] : 1 }
        filters = Array(repeating: KWeightingFilter(sampleRate: Double(sampleRate)), count: channels)
        peaks = Array(repeating: TruePeakOversampler.State(), count: channels)
        partial = Array(repeating: 0, count: channels)
    }

    /// Adds interleaved samples; a trailing partial frame is ignored (callers hand whole frames).
    mutating func add(_ samples: UnsafeBufferPointer<Float>) {
        let frames = samples.count / channels
        guard frames > 0 else { return }
        let startInSegment = framesInSegment
        var completed = [[Double]](repeating: [], count: channels)
        var endInSegment = startInSegment
        for channel in 0..<channels {
            var filter = filters[channel]
            var sum = partial[channel]
            var position = startInSegment
            var index = channel
            var done = [Double]()
            var peak: Float = 0
            for _ in 0..<frames {
                let x = samples[index]
                let y = filter.process(Double(x))
                sum += y * y
                peak = max(peak, abs(x))
                position += 1
                if position == hop {
                    done.append(sum)
                    sum = 0
                    position = 0
                }
                index += channels
            }
            filters[channel] = filter
            partial[channel] = sum
            completed[channel] = done
            endInSegment = position
            samplePeak = max(samplePeak, peak)
            oversampler.feed(samples, channel: channel, channels: channels, frames: frames, into: &peaks[channel])
        }
        framesInSegment = endInSegment
        for segment in 0..<completed[0].count {
            var energy = 0.0
            for channel in 0..<channels { energy += weights[channel] * completed[channel][segment] }
            segmentEnergy.append(energy)
        }
        // The end of sound: the last frame of this block with a loud sample.
        var frame = frames - 1
        while frame >= 0 {
            let base = frame * channels
            var loud = false
            for channel in 0..<channels where abs(samples[base + channel]) > loudThreshold { loud = true }
            if loud {
                lastLoudFrame = frameCount + frame
                break
            }
            frame -= 1
        }
        frameCount += frames
    }

    /// Seconds from the start to the end of the last frame above −45 dBFS; 0 when none is.
    var endOfSound: Double {
        guard let lastLoudFrame else { return 0 }
        return Double(lastLoudFrame + 1) / Double(sampleRate)
    }

    /// The measurement of everything added (the segment under way, shorter than 100 ms, is not measured).
    func finish() -> LoudnessMeasurement {
        var truePeak: Float = 0
        for channel in 0..<channels {
            var state = peaks[channel]
            oversampler.flush(&state)
            truePeak = max(truePeak, state.peak)
        }
        let momentary = Self.blockLoudness(segmentEnergy, blockSegments: 4, hop: hop)
        let shortTerm = Self.blockLoudness(segmentEnergy, blockSegments: 30, hop: hop)
        return LoudnessMeasurement(
            integrated: Self.integratedLoudness(momentary),
            range: Self.loudnessRange(shortTerm),
            truePeak: decibels(Double(max(truePeak, samplePeak))),
            samplePeak: decibels(Double(samplePeak)))
    }

    /// Mean-square energies of blocks of `blockSegments` 100 ms segments, one block per segment.
    private static func blockLoudness(_ energy: [Double], blockSegments: Int, hop: Int) -> [Double] {
        guard energy.count >= blockSegments else { return [] }
        var blocks = [Double]()
        blocks.reserveCapacity(energy.count - blockSegments + 1)
        var sum = energy[0..<blockSegments].reduce(0, +)
        let scale = 1 / Double(blockSegments * hop)
        blocks.append(sum * scale)
        for end in blockSegments..<energy.count {
            sum += energy[end] - energy[end - blockSegments]
            blocks.append(max(0, sum) * scale)
        }
        return blocks
    }

    private static func integratedLoudness(_ blocks: [Double]) -> Double {
        let absolute = blocks.filter { lufs($0) > -70 }
        guard !absolute.isEmpty else { return -70 }
        let relativeGate = lufs(absolute.reduce(0, +) / Double(absolute.count)) - 10
        let gated = absolute.filter { lufs($0) > relativeGate }
        guard !gated.isEmpty else { return -70 }
        return lufs(gated.reduce(0, +) / Double(gated.count))
    }

    private static func loudnessRange(_ blocks: [Double]) -> Double {
        let absolute = blocks.filter { lufs($0) > -70 }
        guard !absolute.isEmpty else { return 0 }
        let relativeGate = lufs(absolute.reduce(0, +) / Double(absolute.count)) - 20
        let gated = absolute.map(lufs).filter { $0 > relativeGate }.sorted()
        guard gated.count > 1 else { return 0 }
        let low = gated[Int((Double(gated.count - 1) * 0.10).rounded())]
        let high = gated[Int((Double(gated.count - 1) * 0.95).rounded())]
        return high - low
    }
}
