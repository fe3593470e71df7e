import Foundation
import StoryForgeCore

/// ffmpeg's and ffprobe's runner: StoryForgeCore's ``Subprocess`` (a child that dies with this process, pipes
/// read while it runs, 64 KiB of stderr kept), with a failure to start reported as an ``FFmpegError``.
enum FFmpegProcess {
    static func run(
        _ executable: URL, _ arguments: [String], collectStdout: Bool,
        onStdoutLine: (@Sendable (String) -> Void)? = nil
    ) async throws -> SubprocessResult {
        do {
            return try await Subprocess.run(
                executable, arguments, outputLimit: collectStdout ? .max : 0, onStdoutLine: onStdoutLine)
        } catch let error as SubprocessError {
            throw error.code == .outOfMemory ? FFmpegError.invalidArgument(error.message) : .notFound(error.message)
        }
    }

    /// As above with stdout handed raw, as it arrives, to `onStdoutBytes` on a thread of its own (which may block;
    /// none of it is kept), and `errorTailLimit` of stderr kept.
    static func runStreaming(
        _ executable: URL, _ arguments: [String], errorTailLimit: Int = Subprocess.defaultErrorTailLimit,
        onStdoutBytes: @escaping @Sendable (UnsafeRawBufferPointer) -> Void
    ) async throws -> SubprocessResult {
        do {
            return try await Subprocess.runStreaming(
                executable, arguments, errorTailLimit: errorTailLimit, onStdoutBytes: onStdoutBytes)
        } catch let error as SubprocessError {
            throw error.code == .outOfMemory ? FFmpegError.invalidArgument(error.message) : .notFound(error.message)
        }
    }

    /// As above with ffmpeg's stdin on a pipe that `input` writes from a thread of its own.
    static func run(
        _ executable: URL, _ arguments: [String], collectStdout: Bool,
        onStdoutLine: (@Sendable (String) -> Void)? = nil, input: @escaping @Sendable (FFmpegInput) throws -> Void
    ) async throws -> SubprocessResult {
        do {
            return try await Subprocess.run(
                executable, arguments, outputLimit: collectStdout ? .max : 0, onStdoutLine: onStdoutLine
            ) { pipe in
                try input(FFmpegInput(pipe: pipe))
            }
        } catch let error as SubprocessError {
            switch error.code {
            case .outOfMemory: throw FFmpegError.invalidArgument(error.message)
            case .cannotStart: throw FFmpegError.notFound(error.message)
            default: throw FFmpegError.invalidArgument(error.message, underlying: error)
            }
        }
    }
}
