import Foundation

/// Uncompressed audio: interleaved Float32 samples in [−1, 1], any sample rate, any channel count.
///
/// ```swift
/// let voice = try WAV.read(from: url).resampled(to: 48_000).mixed(toChannels: 2)
/// print(voice.duration)
/// ```
public struct AudioBuffer: Sendable, Hashable {
    /// Frames per second.
    public var sampleRate: Int
    /// Channels per frame (1 = mono, 2 = stereo).
    public var channelCount: Int
    /// Interleaved samples: frame 0 channel 0, frame 0 channel 1, ..., frame 1 channel 0, ...
    public var samples: [Float]

    /// Wraps interleaved samples.
    ///
    /// - Throws: ``AudioError/invalidArgument`` when the rate or channel count is not positive or
    ///   the sample count is not a multiple of the channel count.
    public init(sampleRate: Int, channelCount: Int, samples: [Float]) throws {
        guard sampleRate > 0, channelCount > 0 else {
            throw AudioError.invalidArgument(
                "sample rate \(sampleRate) and channel count \(channelCount) must both be positive")
        }
        guard samples.count % channelCount == 0 else {
            throw AudioError.invalidArgument(
                "\(samples.count) samples do not divide into \(channelCount) channels; pass whole frames")
        }
        self.sampleRate = sampleRate
        self.channelCount = channelCount
        self.samples = samples
    }

    /// Silence of the given length (a negative one is empty).
    ///
    /// - Throws: ``AudioError/invalidArgument`` for a rate or channel count that is not positive,
    ///   or a duration that is NaN, infinite or too long to count its samples in an `Int`.
    public init(silenceOf duration: Double, sampleRate: Int = 48_000, channelCount: Int = 1) throws {
        let exact = (duration * Double(sampleRate)).rounded()
        // 2⁵³: where Double stops counting whole frames; far past any memory.
        guard exact.isFinite || exact == -.infinity, exact < 0x1p53 else {
            throw AudioError.invalidArgument("silence of \(duration) s at \(sampleRate) Hz has no countable length")
        }
        let frames = exact > 0 ? Int(exact) : 0
        let (count, overflow) = frames.multipliedReportingOverflow(by: max(channelCount, 1))
        // Four bytes a sample: more than the machine's memory would abort in the allocation.
        guard !overflow, UInt64(count) <= ProcessInfo.processInfo.physicalMemory / 4 else {
            throw AudioError.invalidArgument(
                "silence of \(duration) s × \(channelCount) channels at \(sampleRate) Hz needs more memory than "
                    + "this machine has")
        }
        try self.init(
            sampleRate: sampleRate, channelCount: channelCount, samples: [Float](repeating: 0, count: count))
    }

    /// The number of frames (samples per channel).
    public var frameCount: Int { samples.count / channelCount }

    /// The length in seconds.
    public var duration: Double { Double(frameCount) / Double(sampleRate) }

    /// The samples of one channel.
    public func channel(_ index: Int) -> [Float] {
        precondition(index >= 0 && index < channelCount, "channel \(index) out of range")
        return stride(from: index, to: samples.count, by: channelCount).map { samples[$0] }
    }

    /// The same audio with another channel count.
    ///
    /// Mono is duplicated into every channel; mixing down to mono averages the channels (so a
    /// stereo signal with identical channels keeps its level); other conversions keep the first
    /// channels and fill new ones with silence.
    public func mixed(toChannels target: Int) -> AudioBuffer {
        let target = max(1, target)
        if target == channelCount { return self }
        let frames = frameCount
        var out = [Float](repeating: 0, count: frames * target)
        let source = channelCount
        samples.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { output in
                if source == 1 {
                    for frame in 0..<frames {
                        for channel in 0..<target { output[frame * target + channel] = input[frame] }
                    }
                } else if target == 1 {
                    let scale = 1 / Float(source)
                    for frame in 0..<frames {
                        var sum: Float = 0
                        for channel in 0..<source { sum += input[frame * source + channel] }
                        output[frame] = sum * scale
                    }
                } else {
                    for frame in 0..<frames {
                        for channel in 0..<min(source, target) {
                            output[frame * target + channel] = input[frame * source + channel]
                        }
                    }
                }
            }
        }
        return AudioBuffer(unchecked: sampleRate, target, out)
    }

    /// The frames in a range, clamped to the buffer.
    public func frames(_ range: Range<Int>) -> AudioBuffer {
        let lower = min(max(range.lowerBound, 0), frameCount)
        let upper = min(max(range.upperBound, lower), frameCount)
        return AudioBuffer(
            unchecked: sampleRate, channelCount, Array(samples[(lower * channelCount)..<(upper * channelCount)]))
    }

    init(unchecked sampleRate: Int, _ channelCount: Int, _ samples: [Float]) {
        self.sampleRate = sampleRate
        self.channelCount = channelCount
        self.samples = samples
    }
}
