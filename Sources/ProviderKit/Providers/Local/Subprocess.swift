import Foundation

/// Runs a program with an argument array (never a shell string) and waits for it without blocking
/// a thread; cancellation terminates it.
///
/// Standard output and standard error are read while the child runs, each on its own thread, so a
/// child that writes more than a pipe holds (64 KiB on Linux) never blocks on a full pipe; only
/// the first ``outputLimit`` bytes of output and the last ``errorTailLimit`` bytes of error are
/// kept, the rest is read and dropped.
///
/// On Linux the child dies with this process: it is started through `setpriv --pdeathsig KILL`
/// (util-linux), from one thread that lives as long as the process, because the kernel sends the
/// death signal when the thread that started the child ends, not only the process. Where
/// `setpriv` is missing the child is started directly and may outlive a killed parent.
enum Subprocess {
    /// The most standard output kept (1 MiB); `espeak-ng` writes its audio to a file, so its
    /// output is at most a version line.
    static let outputLimit = 1 << 20
    /// The most standard error kept for an error message: its last 4 KiB, where a failing
    /// program says why.
    static let errorTailLimit = 4 << 10

    /// The first executable called `name` on `PATH`, or `name` itself when it is a path.
    static func find(_ name: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? URL(filePath: name) : nil }
        for directory in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = URL(filePath: String(directory)).appending(path: name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// `setpriv`, when this system has one that can set a parent-death signal; looked up in the
    /// system's own directories only, never on `PATH`.
    static let deathSignalWrapper: URL? = {
        #if os(Linux)
            for path in ["/usr/bin/setpriv", "/bin/setpriv", "/usr/sbin/setpriv", "/sbin/setpriv"]
            where FileManager.default.isExecutableFile(atPath: path) {
                return URL(filePath: path)
            }
        #endif
        return nil
    }()

    /// The program and arguments that start `executable` so that it dies with this process.
    static func command(_ executable: URL, _ arguments: [String]) -> (executable: URL, arguments: [String]) {
        guard let wrapper = deathSignalWrapper else { return (executable, arguments) }
        // `--` ends setpriv's options: nothing in `arguments` can read as one of them.
        return (wrapper, ["--pdeathsig", "KILL", "--", executable.path] + arguments)
    }

    /// Runs `executable` and returns its exit status and the tail of its standard error.
    static func run(_ executable: URL, _ arguments: [String]) async throws -> (status: Int32, stderr: String) {
        let result = try await capture(executable, arguments)
        return (result.status, result.stderr)
    }

    /// Runs `executable` and returns its exit status, the head of its standard output (at most
    /// `outputLimit` bytes) and the tail of its standard error (at most `errorTailLimit` bytes).
    static func capture(
        _ executable: URL,
        _ arguments: [String],
        outputLimit: Int = Subprocess.outputLimit,
        errorTailLimit: Int = Subprocess.errorTailLimit
    ) async throws -> (status: Int32, stdout: Data, stderr: String) {
        let (program, programArguments) = command(executable, arguments)
        let process = Process()
        process.executableURL = program
        process.arguments = programArguments
        let outputPipe = Pipe()
        let errorPipe = Pipe()
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        process.standardInput = FileHandle.nullDevice
        let outputReader = PipeReader(outputPipe.fileHandleForReading, keep: .head(max(0, outputLimit)))
        let errorReader = PipeReader(errorPipe.fileHandleForReading, keep: .tail(max(0, errorTailLimit)))
        let cancellation = CancellationFlag()
        let status: Int32 = try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                process.terminationHandler = { finished in
                    finished.terminationHandler = nil
                    continuation.resume(returning: finished.terminationStatus)
                }
                SpawnThread.shared.submit {
                    do {
                        try process.run()
                    } catch {
                        process.terminationHandler = nil
                        continuation.resume(throwing: error)
                        return
                    }
                    outputReader.start()
                    errorReader.start()
                    // Cancelled while it was being started: the handler found nothing to stop.
                    if cancellation.isSet, process.isRunning { process.terminate() }
                }
            }
        } onCancel: {
            cancellation.set()
            if process.isRunning { process.terminate() }
        }
        let stdout = await outputReader.finished()
        let stderr = await errorReader.finished()
        try Task.checkCancellation()
        return (status, stdout, String(decoding: stderr, as: UTF8.self))
    }
}

/// One thread that starts every child process and never ends, so that a child's parent-death
/// signal fires only when this process dies (the kernel ties it to the starting thread).
private final class SpawnThread: @unchecked Sendable {
    // `@unchecked Sendable`: `jobs` is only touched while `condition` is locked.
    static let shared = SpawnThread()

    private let condition = NSCondition()
    private var jobs: [@Sendable () -> Void] = []

    private init() {
        let thread = Thread { [self] in loop() }
        thread.name = "storyforge.subprocess.spawn"
        thread.start()
    }

    /// Runs `job` on the spawn thread, after the jobs before it.
    func submit(_ job: @escaping @Sendable () -> Void) {
        condition.lock()
        jobs.append(job)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while jobs.isEmpty { condition.wait() }
            let job = jobs.removeFirst()
            condition.unlock()
            job()
        }
    }
}

/// A flag set once, read from any thread.
private final class CancellationFlag: @unchecked Sendable {
    // `@unchecked Sendable`: `value` is only touched under `lock`.
    private let lock = NSLock()
    private var value = false

    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

/// Reads a pipe to its end on a thread of its own, keeping a bounded part of what comes.
final class PipeReader: @unchecked Sendable {
    // `@unchecked Sendable`: `kept`, `done` and `waiter` are only touched under `lock`; `handle`
    // is read by the reading thread alone once started.
    /// Which part of the stream to keep.
    enum Keep {
        /// The first bytes, up to a count.
        case head(Int)
        /// The last bytes, up to a count.
        case tail(Int)
    }

    private let handle: FileHandle
    private let keep: Keep
    private let lock = NSLock()
    private var kept = Data()
    private var done = false
    private var waiter: CheckedContinuation<Data, Never>?

    init(_ handle: FileHandle, keep: Keep) {
        self.handle = handle
        self.keep = keep
    }

    /// Starts reading on a new thread; call once.
    func start() {
        let thread = Thread { [self] in readToEnd() }
        thread.name = "storyforge.subprocess.pipe"
        thread.start()
    }

    /// What was kept, once the writer has closed the pipe.
    func finished() async -> Data {
        await withCheckedContinuation { continuation in
            let ready: Data? = lock.withLock {
                if done { return kept }
                waiter = continuation
                return nil
            }
            if let ready { continuation.resume(returning: ready) }
        }
    }

    private func readToEnd() {
        let descriptor = handle.fileDescriptor
        let size = 64 << 10
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 1)
        defer { buffer.deallocate() }
        var collected = Data()
        while true {
            let count = read(descriptor, buffer, size)
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            let chunk = UnsafeRawBufferPointer(start: buffer, count: count)
            switch keep {
            case .head(let limit):
                if collected.count < limit { collected.append(contentsOf: chunk.prefix(limit - collected.count)) }
            case .tail(let limit):
                collected.append(contentsOf: chunk.suffix(limit))
                // Trim in batches, not on every read: the buffer stays under twice the limit.
                if collected.count > 2 * limit { collected = Data(collected.suffix(limit)) }
            }
        }
        if case .tail(let limit) = keep, collected.count > limit { collected = Data(collected.suffix(limit)) }
        try? handle.close()
        let waiting: CheckedContinuation<Data, Never>? = lock.withLock {
            kept = collected
            done = true
            defer { waiter = nil }
            return waiter
        }
        waiting?.resume(returning: collected)
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
