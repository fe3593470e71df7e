public import Foundation
import StoryForgeCore

/// Runs ffmpeg and ffprobe: found on PATH or at configured paths, version-checked (5.1 or newer),
/// always with argument arrays (never a shell), with progress, cancellation and errors that show
/// ffmpeg's own words.
///
/// ```swift
/// let ffmpeg = try await FFmpeg.locate()
/// let job = ffmpeg.job(["-i", "in.mp4", "out.mp4"], expectedDuration: 45)
/// async let finished: Void = job.run()
/// for await progress in job.progress { print(progress.fraction ?? 0) }
/// try await finished
/// ```
public struct FFmpeg: Sendable {
    /// Where to find the tools and what to require of them.
    public struct Configuration: Sendable, Hashable {
        /// The ffmpeg executable; nil searches PATH.
        public var ffmpegPath: String?
        /// The ffprobe executable; nil looks beside ffmpeg, then on PATH.
        public var ffprobePath: String?
        /// The oldest accepted version. 5.1: the release the composer and the quality gate are
        /// tested with (Debian 12's ffmpeg).
        public var minimumVersion: FFmpegVersion
        /// Strings replaced by `***` wherever a command line is shown (API keys in URLs, tokens).
        public var secrets: [String]
        /// How many stderr lines a failure error keeps.
        public var stderrTailLines: Int

        /// Creates a configuration.
        public init(
            ffmpegPath: String? = nil, ffprobePath: String? = nil,
            minimumVersion: FFmpegVersion = .init(major: 5, minor: 1), secrets: [String] = [],
            stderrTailLines: Int = 25
        ) {
            self.ffmpegPath = ffmpegPath
            self.ffprobePath = ffprobePath
            self.minimumVersion = minimumVersion
            self.secrets = secrets
            self.stderrTailLines = stderrTailLines
        }
    }

    /// The ffmpeg executable in use.
    public let ffmpegURL: URL
    /// The ffprobe executable in use.
    public let ffprobeURL: URL
    /// ffmpeg's version; nil for a development build without a release number.
    public let version: FFmpegVersion?
    /// The configuration the tools were found with.
    public let configuration: Configuration

    /// Finds ffmpeg and ffprobe and checks ffmpeg's version.
    /// - Throws: ``FFmpegError/notFound`` or ``FFmpegError/unsupportedVersion``, naming the fix.
    public static func locate(configuration: Configuration = .init()) async throws -> FFmpeg {
        let ffmpeg = try find("ffmpeg", configured: configuration.ffmpegPath, near: nil)
        let ffprobe = try find("ffprobe", configured: configuration.ffprobePath, near: ffmpeg)
        let result = try await FFmpegProcess.run(ffmpeg, ["-hide_banner", "-version"], collectStdout: true)
        let firstLine = String(decoding: result.stdout, as: UTF8.self).split(separator: "\n").first.map(String.init)
        let version = firstLine.flatMap(FFmpegVersion.init(versionOutput:))
        if let version, version < configuration.minimumVersion {
            throw FFmpegError.unsupportedVersion(
                "\(ffmpeg.path) is version \(version); version \(configuration.minimumVersion) or newer is needed. "
                    + "Install a newer ffmpeg or set FFmpeg.Configuration.ffmpegPath to one.")
        }
        return FFmpeg(ffmpegURL: ffmpeg, ffprobeURL: ffprobe, version: version, configuration: configuration)
    }

    /// A job that runs ffmpeg with these arguments; `-hide_banner -nostdin -nostats -progress pipe:1`
    /// are added in front.
    /// - Parameter expectedDuration: the output length in seconds, for ``FFmpegProgress/fraction``.
    public func job(_ arguments: [String], expectedDuration: Double? = nil) -> FFmpegJob {
        FFmpegJob(ffmpeg: self, arguments: arguments, expectedDuration: expectedDuration)
    }

    /// Runs ffmpeg to completion, ignoring progress.
    /// - Returns: what ffmpeg wrote to stderr (its last 64 KiB), for filters that report there.
    /// - Throws: ``FFmpegError/failed`` with the command line and stderr tail; `CancellationError`
    ///   when the task is cancelled (ffmpeg is terminated).
    @discardableResult
    public func run(_ arguments: [String]) async throws -> String {
        try await job(arguments).run()
    }

    /// Runs ffprobe on a file and decodes its JSON.
    /// - Throws: ``FFmpegError/failed`` when ffprobe cannot read the file, ``FFmpegError/invalidOutput``
    ///   when its JSON does not decode.
    public func probe(_ url: URL) async throws -> MediaProbe {
        let arguments = [
            "-v", "error", "-print_format", "json", "-show_format", "-show_streams", "file:" + url.path,
        ]
        let result = try await FFmpegProcess.run(ffprobeURL, arguments, collectStdout: true)
        guard result.status == 0 else {
            throw failure(tool: ffprobeURL, arguments: arguments, result: result)
        }
        return try MediaProbe(json: result.stdout)
    }

    /// The command line as a person would type it, with configured secrets and URL credentials
    /// replaced by `***`.
    public func displayCommandLine(_ executable: URL, _ arguments: [String]) -> String {
        ([executable.path] + arguments).map { argument in
            let text = redact(argument)
            let safe = text.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=+,@%".contains($0) }
            return safe && !text.isEmpty ? text : "'" + text.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
        }.joined(separator: " ")
    }

    /// The text with configured secrets, URL credentials (`user:password@`) and key, token,
    /// password, secret and signature query parameters replaced by `***`.
    public func redact(_ text: String) -> String {
        var text = text
        for secret in configuration.secrets where !secret.isEmpty {
            text = text.replacingOccurrences(of: secret, with: "***")
        }
        text = text.replacingOccurrences(of: #"://[^/@\s]+@"#, with: "://***@", options: .regularExpression)
        return text.replacingOccurrences(
            of: #"(?i)((?:api[_-]?key|token|password|secret|signature|sig)=)[^&\s]+"#, with: "$1***",
            options: .regularExpression)
    }

    /// The job's arguments `-hide_banner -nostdin -nostats -progress pipe:1` are added in front of; `input` runs on
    /// a thread of its own and writes ffmpeg's stdin (name `pipe:0` as an input), blocking while the pipe is full.
    ///
    /// ```swift
    /// let job = ffmpeg.job(["-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", "1080x1920", "-i", "pipe:0", "out.mp4"]) {
    ///     input in
    ///     for frame in frames { try input.write(frame) }
    /// }
    /// try await job.run()
    /// ```
    /// - Parameter expectedDuration: the output length in seconds, for ``FFmpegProgress/fraction``.
    public func job(
        _ arguments: [String], expectedDuration: Double? = nil,
        input: @escaping @Sendable (FFmpegInput) throws -> Void
    ) -> FFmpegJob {
        FFmpegJob(ffmpeg: self, arguments: arguments, expectedDuration: expectedDuration, input: input)
    }

    func failure(tool: URL, arguments: [String], result: SubprocessResult) -> FFmpegError {
        let lines = redact(String(decoding: result.stderrTail, as: UTF8.self)).split(separator: "\n")
        let tail = lines.suffix(max(1, configuration.stderrTailLines)).joined(separator: "\n")
        // ffmpeg's last line is often only "Conversion failed!": the cause (a full disk, a missing file, a bad
        // filter) is the last line before it that names an error.
        // A system error names the cause better than the lines it sets off ("Error initializing output stream" after
        // "No space left on device"), so those are looked for first.
        let systemCauses = [
            "No space left", "Permission denied", "No such file", "Broken pipe", "Read-only file system",
        ]
        let causes = ["Invalid", "Error", "error", "failed"]
        let informative =
            lines.last { line in systemCauses.contains { line.contains($0) } }
            ?? lines.last { line in line != "Conversion failed!" && causes.contains { line.contains($0) } }
        let last = (informative ?? lines.last).map(String.init) ?? "no output"
        if result.inputInterrupted {
            return .brokenPipe(
                "\(tool.lastPathComponent) stopped reading its input mid-stream (exit status \(result.status)): \(last)",
                commandLine: displayCommandLine(tool, arguments), stderrTail: tail, exitStatus: result.status)
        }
        return .failed(
            "\(tool.lastPathComponent) exited with status \(result.status): \(last)",
            commandLine: displayCommandLine(tool, arguments), stderrTail: tail, exitStatus: result.status)
    }

    private static func find(_ name: String, configured: String?, near sibling: URL?) throws -> URL {
        let manager = FileManager.default
        if let configured {
            guard manager.isExecutableFile(atPath: configured) else {
                throw FFmpegError.notFound("\(configured) (configured for \(name)) is not an executable file")
            }
            return URL(fileURLWithPath: configured)
        }
        var directories = [String]()
        if let sibling { directories.append(sibling.deletingLastPathComponent().path) }
        directories += (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin")
            .split(separator: ":").map(String.init)
        for directory in directories where !directory.isEmpty {
            let candidate = (directory as NSString).appendingPathComponent(name)
            if manager.isExecutableFile(atPath: candidate) { return URL(fileURLWithPath: candidate) }
        }
        throw FFmpegError.notFound(
            "\(name) is not on PATH; install ffmpeg 5.1 or newer (apt install ffmpeg, brew install ffmpeg) "
                + "or set FFmpeg.Configuration.\(name)Path")
    }
}
