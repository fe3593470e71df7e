public import Foundation

/// Checks a rendered video before export, from ffprobe and from the media itself: format,
/// resolution, frame rate, A/V sync, loudness and true peak (measured by ``LoudnessMeter``), black
/// and frozen stretches (`blackdetect`, `freezedetect`), subtitle coverage, size and bit rate.
///
/// ```swift
/// let report = try await QualityGate(ffmpeg: ffmpeg).check(video, subtitles: cues, speechEnd: 44.2)
/// guard report.passed else { print(report); return }
/// ```
public struct QualityGate: Sendable {
    /// What passes. Every bound is configurable; the defaults suit 1080×1920 social video.
    public struct Thresholds: Sendable, Hashable {
        /// Accepted video codec.
        public var videoCodec: String
        /// Accepted H.264 profiles.
        public var profiles: Set<String>
        /// Accepted pixel format.
        public var pixelFormat: String
        /// Expected width.
        public var width: Int
        /// Expected height.
        public var height: Int
        /// Expected frames per second.
        public var frameRate: Double
        /// Accepted audio codec.
        public var audioCodec: String
        /// Accepted audio sample rate.
        public var sampleRate: Int
        /// Largest allowed difference between video and audio durations, in frames.
        public var maxDurationMismatchFrames: Double
        /// Target integrated loudness, LUFS.
        public var loudnessTarget: Double
        /// Allowed distance from the target, LU.
        public var loudnessTolerance: Double
        /// Highest allowed true peak, dBTP. 0.1 dB of slack covers the AAC decoder's rounding.
        public var maxTruePeak: Double
        /// Longest allowed black stretch, seconds.
        public var maxBlackSeconds: Double
        /// Longest allowed frozen stretch, seconds (a still shot counts as frozen).
        public var maxFrozenSeconds: Double
        /// The last cue must end within this many seconds of the end of speech.
        public var subtitleEndTolerance: Double
        /// File size bounds in bytes.
        public var fileSize: ClosedRange<Int>
        /// Overall bit-rate bounds in bits per second.
        public var bitRate: ClosedRange<Int>

        /// Creates thresholds.
        public init(
            videoCodec: String = "h264", profiles: Set<String> = ["High"], pixelFormat: String = "yuv420p",
            width: Int = 1080, height: Int = 1920, frameRate: Double = 30, audioCodec: String = "aac",
            sampleRate: Int = 48_000, maxDurationMismatchFrames: Double = 1, loudnessTarget: Double = -14,
            loudnessTolerance: Double = 1, maxTruePeak: Double = -0.9, maxBlackSeconds: Double = 0.5,
            maxFrozenSeconds: Double = 3, subtitleEndTolerance: Double = 0.5,
            fileSize: ClosedRange<Int> = 1...500_000_000,
            bitRate: ClosedRange<Int> = 100_000...30_000_000
        ) {
            self.videoCodec = videoCodec
            self.profiles = profiles
            self.pixelFormat = pixelFormat
            self.width = width
            self.height = height
            self.frameRate = frameRate
            self.audioCodec = audioCodec
            self.sampleRate = sampleRate
            self.maxDurationMismatchFrames = maxDurationMismatchFrames
            self.loudnessTarget = loudnessTarget
            self.loudnessTolerance = loudnessTolerance
            self.maxTruePeak = maxTruePeak
            self.maxBlackSeconds = maxBlackSeconds
            self.maxFrozenSeconds = maxFrozenSeconds
            self.subtitleEndTolerance = subtitleEndTolerance
            self.fileSize = fileSize
            self.bitRate = bitRate
        }
    }

    /// The ffmpeg installation used.
    public let ffmpeg: FFmpeg
    /// The bounds in use.
    public var thresholds: Thresholds

    /// Creates a gate.
    public init(ffmpeg: FFmpeg, thresholds: Thresholds = .init()) {
        self.ffmpeg = ffmpeg
        self.thresholds = thresholds
    }

    /// Checks a video.
    /// - Parameters:
    ///   - subtitles: the cues shown with the video; without them the subtitle check is skipped.
    ///   - speechEnd: when the voice stops, seconds; without it, the end of the last sound above
    ///     −45 dBFS is used.
    ///   - intendedHolds: stretches, in seconds, where the composition holds one picture on purpose (a still shot
    ///     without motion, a clip held on its last frame: ``RenderReport/heldStretches``). A frozen stretch inside
    ///     one (within ``holdTolerance``) does not fail the frozen-frame check; a freeze anywhere else, a clip
    ///     that stops in its middle, still does.
    /// - Throws: ``FFmpegError`` when the file cannot be probed or decoded.
    public func check(
        _ video: URL, subtitles: [SubtitleCue]? = nil, speechEnd: Double? = nil,
        intendedHolds: [ClosedRange<Double>] = []
    ) async throws -> QCReport {
        let t = thresholds
        let probe = try await ffmpeg.probe(video)
        var checks = [QCCheck]()
        let stream = probe.video
        let codec = [stream?.codecName ?? "none", stream?.profile ?? "-", stream?.pixelFormat ?? "-"]
        checks.append(
            QCCheck(
                kind: .videoFormat,
                passed: stream?.codecName == t.videoCodec && t.profiles.contains(stream?.profile ?? "")
                    && stream?.pixelFormat == t.pixelFormat,
                measured: codec.joined(separator: " "),
                expected: "\(t.videoCodec) \(t.profiles.sorted().joined(separator: "/")) \(t.pixelFormat)"))
        let (width, height) = (stream?.width ?? 0, stream?.height ?? 0)
        checks.append(
            QCCheck(
                kind: .resolution, passed: width == t.width && height == t.height,
                measured: "\(width)×\(height)", expected: "\(t.width)×\(t.height)"))
        let fps = stream?.frameRate ?? 0
        checks.append(
            QCCheck(
                kind: .frameRate, passed: abs(fps - t.frameRate) < 0.01, measured: String(format: "%.3f fps", fps),
                expected: String(format: "%.3f fps", t.frameRate)))
        let audioStream = probe.audio
        checks.append(
            QCCheck(
                kind: .audioFormat,
                passed: audioStream?.codecName == t.audioCodec && audioStream?.sampleRate == t.sampleRate,
                measured: "\(audioStream?.codecName ?? "no audio") \(audioStream?.sampleRate ?? 0) Hz",
                expected: "\(t.audioCodec) \(t.sampleRate) Hz"))
        let videoDuration = stream?.duration ?? probe.duration ?? 0
        let audioDuration = audioStream?.duration ?? 0
        let frame = 1 / max(t.frameRate, 1)
        // AAC packs 1024 samples a frame, so its stream may run up to one AAC frame past the cut.
        let aacSlack = 1024.0 / Double(max(t.sampleRate, 1))
        checks.append(
            QCCheck(
                kind: .avSync,
                passed: audioStream != nil
                    && abs(videoDuration - audioDuration) <= t.maxDurationMismatchFrames * frame + aacSlack,
                measured: String(format: "video %.3f s, audio %.3f s", videoDuration, audioDuration),
                expected: String(format: "within %.3f s", t.maxDurationMismatchFrames * frame + aacSlack)))

        // Media analysis: black and frozen frames from the picture, raw audio for the meter.
        let analysis = try await analyse(video, hasAudio: audioStream != nil)
        if let loudness = analysis.loudness {
            checks.append(
                QCCheck(
                    kind: .loudness, passed: abs(loudness.integrated - t.loudnessTarget) <= t.loudnessTolerance,
                    measured: String(format: "%.1f LUFS", loudness.integrated),
                    expected: String(format: "%.1f ± %.1f LUFS", t.loudnessTarget, t.loudnessTolerance)))
            checks.append(
                QCCheck(
                    kind: .truePeak, passed: loudness.truePeak <= t.maxTruePeak,
                    measured: String(format: "%.2f dBTP", loudness.truePeak),
                    expected: String(format: "≤ %.2f dBTP", t.maxTruePeak)))
        } else {
            checks.append(QCCheck(kind: .loudness, passed: false, measured: "no audio", expected: "an audio track"))
        }
        let longestBlack = analysis.black.max() ?? 0
        checks.append(
            QCCheck(
                kind: .blackFrames, passed: longestBlack <= t.maxBlackSeconds,
                measured: String(format: "longest black stretch %.2f s", longestBlack),
                expected: String(format: "≤ %.2f s", t.maxBlackSeconds)))
        let unintended = analysis.frozen.filter { freeze in
            !intendedHolds.contains { hold in
                freeze.start >= hold.lowerBound - Self.holdTolerance
                    && freeze.start + freeze.duration <= hold.upperBound + Self.holdTolerance
            }
        }
        let longestFreeze = unintended.map(\.duration).max() ?? 0
        let heldLongest = (analysis.frozen.map(\.duration).max() ?? 0)
        var frozenMeasured = String(format: "longest frozen stretch %.2f s", longestFreeze)
        if !intendedHolds.isEmpty, heldLongest > longestFreeze {
            frozenMeasured += String(format: " (%.2f s where the composition holds a picture)", heldLongest)
        }
        checks.append(
            QCCheck(
                kind: .frozenFrames, passed: longestFreeze <= t.maxFrozenSeconds, measured: frozenMeasured,
                expected: String(format: "≤ %.2f s", t.maxFrozenSeconds)))
        if let subtitles {
            let lastEnd = subtitles.map(\.end).max() ?? 0
            let speech = speechEnd ?? analysis.endOfSound ?? 0
            let inside = lastEnd <= videoDuration + frame
            let covers = abs(lastEnd - speech) <= t.subtitleEndTolerance
            checks.append(
                QCCheck(
                    kind: .subtitles, passed: !subtitles.isEmpty && inside && covers,
                    measured: String(
                        format: "last cue ends %.2f s; speech ends %.2f s; video %.2f s", lastEnd, speech, videoDuration
                    ),
                    expected: String(
                        format: "last cue within %.2f s of the speech end, none past the video", t.subtitleEndTolerance)
                ))
        }
        let size = probe.size ?? 0
        let bitRate = probe.bitRate ?? 0
        checks.append(
            QCCheck(
                kind: .size, passed: t.fileSize.contains(size) && t.bitRate.contains(bitRate),
                measured: "\(size) bytes, \(bitRate / 1000) kb/s",
                expected: "\(t.fileSize.lowerBound)...\(t.fileSize.upperBound) bytes, "
                    + "\(t.bitRate.lowerBound / 1000)...\(t.bitRate.upperBound / 1000) kb/s"))
        return QCReport(checks: checks)
    }

    /// How far a freeze may reach past an intended hold and still be the hold (0.25 s: freezedetect places a freeze's
    /// edges within a few frames, and x264 settles a held picture over its first frames).
    public static let holdTolerance = 0.25

    private struct Freeze {
        var start: Double
        var duration: Double
    }

    private struct Analysis {
        var black: [Double]
        var frozen: [Freeze]
        /// The audio's loudness and where its sound ends (seconds), when the file has audio.
        var loudness: LoudnessMeasurement?
        var endOfSound: Double?
    }

    /// The most of ffmpeg's stderr the pass keeps for its blackdetect/freezedetect lines: 4 MiB is about 20,000
    /// detections (three lines each), far past the longest video's, in bounded memory.
    static let analysisLogLimit = 4 << 20

    private func analyse(_ video: URL, hasAudio: Bool) async throws -> Analysis {
        var graph = FilterGraph()
        // pix_th 0.10: a pixel darker than 10 % counts as black; d 0.1: report stretches from 0.1 s.
        // freezedetect n −50 dB: frames that differ by less are the same picture (−60 dB sees x264
        // refining a still picture over its first frames as motion).
        // Both read the full picture: on a quarter-size one (every 4th pixel of every 4th row, about a fifth less CPU
        // for the pass) a clip frozen in its middle was no longer reported (ClipFrameTests), so the saving is not
        // taken.
        graph.chain(
            ["0:v"],
            [
                Filter("blackdetect", ["d": "0.1", "pix_th": "0.10"]),
                Filter("freezedetect", ["n": "-50dB", "d": "0.5"]),
            ], ["v"])
        var arguments = ["-hide_banner", "-nostdin", "-nostats", "-i", "file:" + video.path]
        arguments += ["-filter_complex", graph.description, "-map", "[v]", "-f", "null", "-"]
        if hasAudio { arguments += ["-map", "0:a:0", "-ac", "2", "-ar", "48000", "-f", "f32le", "pipe:1"] }
        // The decoded audio streams through the meter as ffmpeg writes it (20 minutes of it is 460 MB): one pass
        // over the file, in memory that does not grow with its length.
        let meter = StreamingMeter(try LoudnessAccumulator(sampleRate: 48_000, channels: 2))
        let result = try await FFmpegProcess.runStreaming(
            ffmpeg.ffmpegURL, arguments, errorTailLimit: Self.analysisLogLimit
        ) { bytes in meter.add(Data(bytes)) }
        guard result.status == 0 else {
            throw ffmpeg.failure(tool: ffmpeg.ffmpegURL, arguments: arguments, result: result)
        }
        let log = String(decoding: result.stderrTail, as: UTF8.self)
        var black = [Double]()
        var frozen = [Freeze]()
        var openStart: Double?
        for line in log.split(separator: "\n") {
            if let range = line.range(of: "black_duration:") {
                black.append(Double(line[range.upperBound...].prefix { !$0.isWhitespace }) ?? 0)
            }
            if let range = line.range(of: "lavfi.freezedetect.freeze_start:") {
                openStart = Double(line[range.upperBound...].trimmingCharacters(in: .whitespaces))
            }
            if let range = line.range(of: "lavfi.freezedetect.freeze_duration:") {
                let duration = Double(line[range.upperBound...].trimmingCharacters(in: .whitespaces)) ?? 0
                frozen.append(Freeze(start: openStart ?? 0, duration: duration))
                openStart = nil
            }
        }
        // A freeze that lasts to the end is reported with a start and no duration.
        if let start = openStart, start.isFinite {
            let end = try await ffmpeg.probe(video).duration ?? start
            frozen.append(Freeze(start: start, duration: max(0, end - start)))
        }
        let audio = hasAudio ? meter.accumulator : nil
        return Analysis(black: black, frozen: frozen, loudness: audio?.finish(), endOfSound: audio?.endOfSound)
    }

    /// The meter the reader thread feeds: chunks split floats anywhere, so up to 7 bytes wait for the next one.
    /// `@unchecked Sendable`: only the one reader thread calls ``add(_:)``, and the result is read after the process
    /// has ended and its reader has finished.
    private final class StreamingMeter: @unchecked Sendable {
        private(set) var accumulator: LoudnessAccumulator
        private var carry = [UInt8]()
        private var floats = [Float]()

        init(_ accumulator: LoudnessAccumulator) { self.accumulator = accumulator }

        func add(_ chunk: Data) {
            // 8 bytes: one frame of stereo Float32, so only whole frames reach the meter.
            let frameBytes = 8
            carry.append(contentsOf: chunk)
            let whole = carry.count - carry.count % frameBytes
            guard whole > 0 else { return }
            let count = whole / 4
            if floats.count != count { floats = [Float](repeating: 0, count: count) }
            floats.withUnsafeMutableBytes { out in
                carry.withUnsafeBytes { out.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<whole])) }
            }
            floats.withUnsafeBufferPointer { accumulator.add($0) }
            carry.removeFirst(whole)
        }
    }
}
