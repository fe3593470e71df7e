import Foundation

/// 16-bit PCM WAV, just what the local synthesiser needs.
struct PCM16Audio {
    var sampleRate: Int
    var channels: Int
    var samples: [Int16]

    /// Reads a canonical or chunked RIFF/WAVE file with 16-bit PCM.
    init(wav data: Data) throws {
        let bytes = [UInt8](data)
        func u32(_ at: Int) -> Int {
            Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
        }
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        guard bytes.count >= 12, bytes[0..<4] == [0x52, 0x49, 0x46, 0x46], bytes[8..<12] == [0x57, 0x41, 0x56, 0x45]
        else { throw ProviderError.malformedResponse("not a WAV file") }
        var offset = 12
        var rate = 0
        var channelCount = 0
        var bits = 0
        while offset + 8 <= bytes.count {
            let id = String(decoding: bytes[offset..<(offset + 4)], as: UTF8.self)
            var size = u32(offset + 4)
            let body = offset + 8
            if id == "fmt ", body + 16 <= bytes.count {
                channelCount = u16(body + 2)
                rate = u32(body + 4)
                bits = u16(body + 14)
            } else if id == "data" {
                guard bits == 16, channelCount > 0 else {
                    throw ProviderError.malformedResponse("WAV is not 16-bit PCM (\(bits) bits)")
                }
                // Times are sample counts divided by the rate: a zero rate would make them NaN.
                // 768 kHz and 64 channels: past any real audio, and small enough that times and gap
                // lengths computed from them stay far inside an Int.
                guard rate > 0, rate <= 768_000, channelCount <= 64 else {
                    throw ProviderError.malformedResponse(
                        "WAV declares \(rate) Hz and \(channelCount) channels (at most 768000 Hz and 64 channels)")
                }
                // A streamed WAV may declare 0 or 0xFFFFFFFF; take what is there.
                if size == 0 || body + size > bytes.count { size = bytes.count - body }
                var samples = [Int16](repeating: 0, count: size / 2)
                for i in 0..<samples.count { samples[i] = Int16(bitPattern: UInt16(u16(body + i * 2))) }
                self.sampleRate = rate
                self.channels = channelCount
                self.samples = samples
                return
            }
            offset = body + size + (size & 1)
        }
        throw ProviderError.malformedResponse("WAV has no data chunk")
    }

    /// The length in seconds of a 16-bit PCM WAV, read from its header without copying the
    /// samples; `nil` when `data` is not one, or declares no rate. A data chunk that claims more
    /// than the file holds (a streamed WAV's `0xFFFFFFFF`) counts what is there.
    static func duration(ofWAV data: Data) -> Double? {
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> Double? in
            func u32(_ at: Int) -> Int {
                Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
            }
            func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
            guard bytes.count >= 12, Array(bytes[0..<4]) == Array("RIFF".utf8),
                Array(bytes[8..<12]) == Array("WAVE".utf8)
            else { return nil }
            var offset = 12
            var bytesPerSecond = 0
            while offset + 8 <= bytes.count {
                let id = Array(bytes[offset..<(offset + 4)])
                let size = u32(offset + 4)
                let body = offset + 8
                if id == Array("fmt ".utf8), body + 16 <= bytes.count {
                    bytesPerSecond = u32(body + 8)  // the header's byte rate: rate × channels × bytes per sample
                } else if id == Array("data".utf8) {
                    guard bytesPerSecond > 0 else { return nil }
                    let available = min(size == 0 ? Int.max : size, bytes.count - body)
                    return Double(available) / Double(bytesPerSecond)
                }
                offset = body + size + (size & 1)  // sizes are 32-bit: no overflow in a 64-bit Int
            }
            return nil
        }
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
