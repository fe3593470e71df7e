import Foundation

/// Runs a program with an argument array (never a shell string) and waits for it without blocking
/// a thread; cancellation terminates it.
enum Subprocess {
    /// The first executable called `name` on `PATH`, or `name` itself when it is a path.
    static func find(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? URL(filePath: name) : nil }
        for directory in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = URL(filePath: String(directory)).appending(path: name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// Runs `executable` and returns its exit status and the tail of its standard error.
    static func run(_ executable: URL, _ arguments: [String]) async throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let errorPipe = Pipe()
        process.standardError = errorPipe
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        let status: Int32 = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { finished in
                    finished.terminationHandler = nil
                    continuation.resume(returning: finished.terminationStatus)
                }
                do {
                    try process.run()
                } catch {
                    process.terminationHandler = nil
                    continuation.resume(throwing: error)
                }
            }
        } onCancel: {
            if process.isRunning { process.terminate() }
        }
        let errorData = (try? errorPipe.fileHandleForReading.readToEnd()) ?? Data()
        try Task.checkCancellation()
        return (status, String(decoding: errorData.suffix(2000), as: UTF8.self))
    }
}

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
        func put32(_ value: Int) { withUnsafeBytes(of: UInt32(value).littleEndian) { data.append(contentsOf: $0) } }
        func put16(_ value: Int) { withUnsafeBytes(of: UInt16(value).littleEndian) { data.append(contentsOf: $0) } }
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
