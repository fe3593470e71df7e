import Foundation
import StoryForgeCore

/// 16-bit PCM WAV, just what the local synthesiser needs.
struct PCM16Audio {
    var sampleRate: Int
    var channels: Int
    var samples: [Int16]

    /// Reads a canonical or chunked RIFF/WAVE file with 16-bit PCM.
    init(wav data: Data) throws {
        let layout: WAVLayout
        do {
            // espeak-ng writing to a pipe declares a data size of 0: the samples are the rest of the file.
            layout = try WAVLayout.parse(data, zeroSizeMeansRest: true)
        } catch {
            throw ProviderError.malformedResponse(error.message)
        }
        guard layout.formatTag == 1, layout.bitsPerSample == 16, layout.channels > 0 else {
            throw ProviderError.malformedResponse("WAV is not 16-bit PCM (\(layout.bitsPerSample) bits)")
        }
        // Times are sample counts divided by the rate: a zero rate would make them NaN.
        // 768 kHz and 64 channels: past any real audio, and small enough that times and gap
        // lengths computed from them stay far inside an Int.
        guard layout.sampleRate > 0, layout.sampleRate <= 768_000, layout.channels <= 64 else {
            throw ProviderError.malformedResponse(
                "WAV declares \(layout.sampleRate) Hz and \(layout.channels) channels (at most 768000 Hz and 64 channels)"
            )
        }
        var samples = [Int16](repeating: 0, count: layout.dataCount / 2)
        data.withUnsafeBytes { raw in
            for index in samples.indices {
                let at = layout.dataOffset + index * 2
                samples[index] = Int16(bitPattern: UInt16(raw[at]) | UInt16(raw[at + 1]) << 8)
            }
        }
        self.sampleRate = layout.sampleRate
        self.channels = layout.channels
        self.samples = samples
    }

    /// The length in seconds of a WAV, from its header's byte rate and the sample bytes present, without
    /// copying the samples; `nil` when `data` is not one, or declares no byte rate. A data chunk that claims more
    /// than the file holds (a streamed WAV's `0xFFFFFFFF`) or 0 counts what is there.
    static func duration(ofWAV data: Data) -> Double? {
        let layout = try? WAVLayout.parse(data, zeroSizeMeansRest: true)
        guard let layout, layout.byteRate > 0 else { return nil }
        return Double(layout.dataCount) / Double(layout.byteRate)
    }

    init(sampleRate: Int, channels: Int, samples: [Int16]) {
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
    }

    var duration: Double { Double(samples.count) / Double(max(1, sampleRate * channels)) }

    /// The first and last sample above `threshold`, as times in seconds.
    func voicedRange(threshold: Int16 = 300) -> (start: Double, end: Double)? {
        guard let first = samples.firstIndex(where: { abs(Int32($0)) > threshold }),
            let last = samples.lastIndex(where: { abs(Int32($0)) > threshold })
        else { return nil }
        let perSecond = Double(sampleRate * channels)
        return (Double(first) / perSecond, Double(last + 1) / perSecond)
    }

    /// Silent stretches of at least `minimum` seconds strictly inside `range` (10 ms frames whose
    /// peak stays under `threshold`).
    func silentGaps(
        within range: (start: Double, end: Double),
        minimum: Double = 0.06,
        threshold: Int16 = 300
    ) -> [(start: Double, end: Double)] {
        let perSecond = Double(sampleRate * channels)
        let frame = max(1, Int(perSecond * 0.01))
        let first = Int(range.start * perSecond)
        let last = min(samples.count, Int(range.end * perSecond))
        var gaps: [(start: Double, end: Double)] = []
        var silentFrom: Int?
        var index = first
        while index < last {
            let stop = min(last, index + frame)
            var quiet = true
            for sample in samples[index..<stop] where abs(Int32(sample)) > Int32(threshold) {
                quiet = false
                break
            }
            if quiet {
                if silentFrom == nil { silentFrom = index }
            } else if let from = silentFrom {
                if Double(index - from) / perSecond >= minimum {
                    gaps.append((Double(from) / perSecond, Double(index) / perSecond))
                }
                silentFrom = nil
            }
            index = stop
        }
        return gaps
    }

    var wav: Data {
        var data = Data()
        // A RIFF size past 4 GiB cannot be written; 0xFFFFFFFF is what streamed WAVs use for "unknown".
        func put32(_ value: Int) {
            withUnsafeBytes(of: UInt32(clamping: value).littleEndian) { data.append(contentsOf: $0) }
        }
        func put16(_ value: Int) {
            withUnsafeBytes(of: UInt16(clamping: value).littleEndian) { data.append(contentsOf: $0) }
        }
        let dataSize = samples.count * 2
        data.append(contentsOf: Array("RIFF".utf8))
        put32(36 + dataSize)
        data.append(contentsOf: Array("WAVEfmt ".utf8))
        put32(16)
        put16(1)
        put16(channels)
        put32(sampleRate)
        put32(sampleRate * channels * 2)
        put16(channels * 2)
        put16(16)
        data.append(contentsOf: Array("data".utf8))
        put32(dataSize)
        samples.withUnsafeBufferPointer { pointer in
            for sample in pointer { withUnsafeBytes(of: sample.littleEndian) { data.append(contentsOf: $0) } }
        }
        return data
    }
}
