import StoryForgeCore

/// ffmpeg's stdin, as the `input` closure of ``FFmpeg/job(_:expectedDuration:input:)`` sees it: blocking writes,
/// so a producer never runs more than a pipe (1 MiB on Linux) ahead of ffmpeg.
///
/// A write to an ffmpeg that has stopped reading throws instead of raising SIGPIPE; let that error out of the
/// closure and the job throws ``FFmpegError/brokenPipe`` with ffmpeg's own stderr tail, which says why it stopped.
public struct FFmpegInput: Sendable {
    private let pipe: SubprocessInput

    init(pipe: SubprocessInput) { self.pipe = pipe }

    /// True once the task running the job has been cancelled: stop producing and return.
    public var isCancelled: Bool { pipe.isCancelled }

    /// Writes all of `bytes`, blocking while the pipe is full.
    /// - Throws: an error when ffmpeg no longer reads (the job reports it as ``FFmpegError/brokenPipe``).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try pipe.write(bytes)
    }

    /// Writes a frame's three planes, as `-f rawvideo -pix_fmt yuv420p` reads them.
    /// - Throws: an error when ffmpeg no longer reads (the job reports it as ``FFmpegError/brokenPipe``).
    public func write(_ frame: YUV420Frame) throws {
        try frame.bytes.withUnsafeBytes { try pipe.write($0) }
    }
}
