/// An error from finding or running ffmpeg or ffprobe.
///
/// A failed run carries the command line (secrets redacted) and the tail of ffmpeg's stderr, so the
/// message shows what ffmpeg itself said.
public struct FFmpegError: Error, Hashable, Sendable, CustomStringConvertible {
    private enum Code: Hashable, Sendable {
        case notFound
        case unsupportedVersion
        case failed
        case invalidOutput
        case invalidArgument
    }

    private let code: Code
    /// What went wrong, in words a person can act on.
    public let message: String
    /// The command line that failed, secrets redacted; empty when nothing ran.
    public let commandLine: String
    /// The last lines ffmpeg wrote to stderr; empty when nothing ran.
    public let stderrTail: String
    /// The exit status, when the process ran and exited.
    public let exitStatus: Int32?

    private init(
        _ code: Code, _ message: String, commandLine: String = "", stderrTail: String = "", exitStatus: Int32? = nil
    ) {
        self.code = code
        self.message = message
        self.commandLine = commandLine
        self.stderrTail = stderrTail
        self.exitStatus = exitStatus
    }

    /// ffmpeg or ffprobe is not on PATH nor at the configured path.
    public static func notFound(_ message: String) -> Self { Self(.notFound, message) }
    /// The installed ffmpeg is older than the minimum version.
    public static func unsupportedVersion(_ message: String) -> Self { Self(.unsupportedVersion, message) }
    /// The process exited with a failure.
    public static func failed(_ message: String, commandLine: String, stderrTail: String, exitStatus: Int32?) -> Self {
        Self(.failed, message, commandLine: commandLine, stderrTail: stderrTail, exitStatus: exitStatus)
    }
    /// ffprobe's output could not be understood.
    public static func invalidOutput(_ message: String) -> Self { Self(.invalidOutput, message) }
    /// A parameter was invalid (an input file missing, a duration not positive, ...).
    public static func invalidArgument(_ message: String) -> Self { Self(.invalidArgument, message) }

    /// A not-found error, for pattern matching.
    public static let notFound = Self(.notFound, "")
    /// An unsupported-version error, for pattern matching.
    public static let unsupportedVersion = Self(.unsupportedVersion, "")
    /// A failed-run error, for pattern matching.
    public static let failed = Self(.failed, "")
    /// An invalid-output error, for pattern matching.
    public static let invalidOutput = Self(.invalidOutput, "")
    /// An invalid-argument error, for pattern matching.
    public static let invalidArgument = Self(.invalidArgument, "")

    /// Errors are equal when they are of the same kind, whatever their messages.
    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.code == rhs.code }

    /// Hashes the kind of error only, consistent with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(code) }

    /// The kind, the message, the command line and the stderr tail.
    public var description: String {
        let kind =
            switch code {
            case .notFound: "not found"
            case .unsupportedVersion: "unsupported version"
            case .failed: "failed"
            case .invalidOutput: "invalid output"
            case .invalidArgument: "invalid argument"
            }
        var text = "\(kind): \(message)"
        if !commandLine.isEmpty { text += "\ncommand: \(commandLine)" }
        if !stderrTail.isEmpty { text += "\nstderr (last lines):\n\(stderrTail)" }
        return text
    }
}
