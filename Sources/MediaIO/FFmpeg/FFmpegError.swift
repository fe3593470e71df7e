/// An error from finding or running ffmpeg or ffprobe.
///
/// A failed run carries the command line (secrets redacted) and the tail of ffmpeg's stderr, so the
/// message shows what ffmpeg itself said. Compare ``code`` to act on a kind (`error.code == .notFound`).
public struct FFmpegError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The kind of failure; compare with `==` (`error.code == .notFound`). New codes may be added, so a
    /// `switch` over codes needs a `default`.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: Hashable, Sendable {
            case notFound, unsupportedVersion, failed, invalidOutput, invalidArgument, brokenPipe, unsupportedMedia
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// ffmpeg or ffprobe is not on PATH nor at the configured path.
        public static let notFound = Code(.notFound)
        /// The installed ffmpeg is older than the minimum version.
        public static let unsupportedVersion = Code(.unsupportedVersion)
        /// The process exited with a failure.
        public static let failed = Code(.failed)
        /// ffprobe's output could not be understood.
        public static let invalidOutput = Code(.invalidOutput)
        /// A parameter was invalid.
        public static let invalidArgument = Code(.invalidArgument)
        /// ffmpeg stopped reading the frames written to its stdin (it failed or exited mid-stream); the error
        /// carries its stderr tail and exit status.
        public static let brokenPipe = Code(.brokenPipe)
        /// A file is not the kind of media it was given as (a text file named `.mp4` given as a clip, a still image
        /// given as a video); the message names the file.
        public static let unsupportedMedia = Code(.unsupportedMedia)

        /// The kind in words, e.g. `not found`.
        public var description: String {
            switch base {
            case .notFound: "not found"
            case .unsupportedVersion: "unsupported version"
            case .failed: "failed"
            case .invalidOutput: "invalid output"
            case .invalidArgument: "invalid argument"
            case .brokenPipe: "broken pipe"
            case .unsupportedMedia: "unsupported media"
            }
        }
    }

    /// The kind of failure.
    public let code: Code
    /// What went wrong, in words a person can act on.
    public let message: String
    /// The command line that failed, secrets redacted; empty when nothing ran.
    public let commandLine: String
    /// The last lines ffmpeg wrote to stderr; empty when nothing ran.
    public let stderrTail: String
    /// The exit status, when the process ran and exited.
    public let exitStatus: Int32?
    /// The error underneath, when there is one (not part of equality).
    public let underlying: (any Error)?

    private init(
        _ code: Code, _ message: String, commandLine: String = "", stderrTail: String = "", exitStatus: Int32? = nil,
        underlying: (any Error)? = nil
    ) {
        self.code = code
        self.message = message
        self.commandLine = commandLine
        self.stderrTail = stderrTail
        self.exitStatus = exitStatus
        self.underlying = underlying
    }

    /// ffmpeg or ffprobe is not on PATH nor at the configured path.
    public static func notFound(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.notFound, message, underlying: underlying)
    }
    /// The installed ffmpeg is older than the minimum version.
    public static func unsupportedVersion(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.unsupportedVersion, message, underlying: underlying)
    }
    /// The process exited with a failure.
    public static func failed(
        _ message: String, commandLine: String, stderrTail: String, exitStatus: Int32?, underlying: (any Error)? = nil
    ) -> Self {
        Self(
            .failed, message, commandLine: commandLine, stderrTail: stderrTail, exitStatus: exitStatus,
            underlying: underlying)
    }
    /// ffmpeg stopped reading its stdin before all the input was written: it failed or exited mid-stream.
    public static func brokenPipe(
        _ message: String, commandLine: String, stderrTail: String, exitStatus: Int32?, underlying: (any Error)? = nil
    ) -> Self {
        Self(
            .brokenPipe, message, commandLine: commandLine, stderrTail: stderrTail, exitStatus: exitStatus,
            underlying: underlying)
    }
    /// ffprobe's output could not be understood.
    public static func invalidOutput(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.invalidOutput, message, underlying: underlying)
    }
    /// A file is not the kind of media it was given as; the message names it.
    public static func unsupportedMedia(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.unsupportedMedia, message, underlying: underlying)
    }
    /// A parameter was invalid (an input file missing, a duration not positive, ...).
    public static func invalidArgument(_ message: String, underlying: (any Error)? = nil) -> Self {
        Self(.invalidArgument, message, underlying: underlying)
    }

    /// Errors are equal when they have the same ``code``, whatever their messages and underlying errors.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the ``code`` only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The kind, the message, the command line and the stderr tail.
    public var description: String {
        var text = "\(code): \(message)"
        if !commandLine.isEmpty { text += "\ncommand: \(commandLine)" }
        if !stderrTail.isEmpty { text += "\nstderr (last lines):\n\(stderrTail)" }
        return text
    }
}
