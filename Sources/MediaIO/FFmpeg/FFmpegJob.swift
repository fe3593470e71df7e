import Foundation
import StoryForgeCore

/// One ffmpeg run with a progress stream. Start it with ``run()`` and read ``progress`` alongside;
/// cancelling the task that awaits ``run()`` terminates ffmpeg.
///
/// ```swift
/// let job = ffmpeg.job(arguments, expectedDuration: 45)
/// async let finished = job.run()
/// for await report in job.progress { print(Int((report.fraction ?? 0) * 100), "%") }
/// try await finished
/// ```
public final class FFmpegJob: Sendable {
    /// Progress reports, about two a second; the stream finishes when ffmpeg exits.
    public let progress: AsyncStream<FFmpegProgress>
    private let continuation: AsyncStream<FFmpegProgress>.Continuation
    private let ffmpeg: FFmpeg
    private let arguments: [String]
    private let expectedDuration: Double?
    private let input: (@Sendable (FFmpegInput) throws -> Void)?

    init(
        ffmpeg: FFmpeg, arguments: [String], expectedDuration: Double?,
        input: (@Sendable (FFmpegInput) throws -> Void)? = nil
    ) {
        self.ffmpeg = ffmpeg
        // -nostdin turns off ffmpeg's keyboard commands only; an input named pipe:0 is still read.
        self.arguments = ["-hide_banner", "-nostdin", "-nostats", "-progress", "pipe:1"] + arguments
        self.expectedDuration = expectedDuration
        self.input = input
        (progress, continuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(16))
    }

    /// Runs ffmpeg once to the end.
    /// - Returns: ffmpeg's stderr (its last 64 KiB).
    /// - Throws: ``FFmpegError/failed`` with the command line and stderr tail; for a job with an input,
    ///   ``FFmpegError/brokenPipe`` (with the stderr tail) when ffmpeg stopped reading mid-stream, and the error
    ///   the input closure threw (ffmpeg is then ended); `CancellationError`.
    @discardableResult
    public func run() async throws -> String {
        let parser = ProgressParser(expectedDuration: expectedDuration, continuation: continuation)
        defer { continuation.finish() }
        let consume: @Sendable (String) -> Void = { line in parser.consume(line) }
        let result: SubprocessResult
        if let input {
            result = try await FFmpegProcess.run(
                ffmpeg.ffmpegURL, arguments, collectStdout: false, onStdoutLine: consume, input: input)
        } else {
            result = try await FFmpegProcess.run(
                ffmpeg.ffmpegURL, arguments, collectStdout: false, onStdoutLine: consume)
        }
        guard !result.inputInterrupted else {
            throw ffmpeg.failure(tool: ffmpeg.ffmpegURL, arguments: arguments, result: result)
        }
        guard result.status == 0 else {
            throw ffmpeg.failure(tool: ffmpeg.ffmpegURL, arguments: arguments, result: result)
        }
        return String(decoding: result.stderrTail, as: UTF8.self)
    }
}

/// Turns `key=value` lines of `-progress` into reports. `@unchecked Sendable`: called from one
/// reader thread only, and `values` is guarded by `lock` all the same.
private final class ProgressParser: @unchecked Sendable {
    private let lock = NSLock()
    private var values = [String: String]()
    private let expectedDuration: Double?
    private let continuation: AsyncStream<FFmpegProgress>.Continuation

    init(expectedDuration: Double?, continuation: AsyncStream<FFmpegProgress>.Continuation) {
        self.expectedDuration = expectedDuration
        self.continuation = continuation
    }

    func consume(_ line: String) {
        guard let equals = line.firstIndex(of: "=") else { return }
        let key = String(line[..<equals]).trimmingCharacters(in: .whitespaces)
        let value = String(line[line.index(after: equals)...]).trimmingCharacters(in: .whitespaces)
        let report: FFmpegProgress? = lock.withLock {
            guard key == "progress" else {
                values[key] = value
                return nil
            }
            // out_time_us and out_time_ms are both microseconds in ffmpeg 5.x.
            let micros = Double(values["out_time_us"] ?? values["out_time_ms"] ?? "") ?? 0
            let outTime = max(0, micros / 1_000_000)
            let speed = values["speed"].flatMap { Double($0.replacingOccurrences(of: "x", with: "")) }
            let fraction = expectedDuration.flatMap { $0 > 0 ? min(1, outTime / $0) : nil }
            let finished = value == "end"
            return FFmpegProgress(
                outTime: outTime, frame: Int(values["frame"] ?? "") ?? 0, speed: speed,
                fraction: finished && expectedDuration != nil ? 1 : fraction, isFinished: finished)
        }
        if let report { continuation.yield(report) }
    }
}
