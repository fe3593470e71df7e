import Foundation
import MediaIO
public import PipelineKit
import StoryModels
import UpscaleKit

/// Stage 7: enlarges each keyframe with UpscaleKit so that it covers the render size (aspect kept; the composer
/// crops to fill). By default it uses the learned super-resolution model when the enlargement is ×2, ×4 or ×8
/// exactly (the default 540×960 keyframes to 1080×1920 are ×2), and Lanczos-3 with the anti-ringing clamp
/// otherwise or when the model's weights cannot be loaded. Keyframes already large enough are kept as they are.
///
/// Parameters: `width` (1080), `height` (1920): the render size; `kernel` (`learned`; or any UpscaleKit kernel name).
public struct UpscaleKeyframes: StoryStage {
    /// `upscale`.
    public static let id: StageID = "upscale"
    /// Bumped when the resampling changes.
    public static let version = 2

    /// `kernel`: `learned` or any UpscaleKit kernel name.
    public static let kernel = StageParameter.oneOf("kernel", ResamplingKernel.allCases.map(\.rawValue) + ["learned"])

    /// The stage's parameters (see ``RenderParameter``).
    public struct Parameters: StoryStageParameters {
        /// `width`, `height`, `kernel`.
        public static let declarations = [RenderParameter.width, RenderParameter.height, UpscaleKeyframes.kernel]
        /// The render width in pixels.
        public var width = 1080
        /// The render height in pixels.
        public var height = 1920
        /// The kernel's name.
        public var kernel = "learned"

        /// Parameters with the defaults.
        public init() {}

        /// Decodes and range-checks the parameters.
        public init(from decoder: any Decoder) throws {
            let reader = try StageParameterReader(decoder)
            width = try reader.integer(RenderParameter.width) ?? width
            height = try reader.integer(RenderParameter.height) ?? height
            kernel = try reader.string(UpscaleKeyframes.kernel) ?? kernel
        }
    }

    /// Creates the stage.
    public init() {}

    /// Sets ``StoryState/upscaledKeyframes``.
    public func run(_ state: inout StoryState, parameters: Parameters, context: StageContext) async throws
        -> StoryStageReport?
    {
        let keyframes = try state.required(\.keyframes)
        let width = parameters.width
        let height = parameters.height
        let kernelName = parameters.kernel
        // `learned` is UpscaleKit's learned method, not a kernel; Lanczos-3 serves where it cannot.
        let learned = kernelName == "learned"
        guard let kernel = learned ? ResamplingKernel.lanczos3 : ResamplingKernel(rawValue: kernelName) else {
            throw StoryPipelineError.invalidConfiguration(
                "stages.upscale.parameters.kernel: unknown kernel \"\(kernelName)\" (one of "
                    + (ResamplingKernel.allCases.map(\.rawValue) + ["learned"]).joined(separator: ", ") + ")")
        }
        var results: [ArtifactRef] = []
        var used: Set<String> = []
        for (index, ref) in keyframes.enumerated() {
            try context.checkCancellation()
            let image = try ImageDecoder().decode(try await context.artifacts.data(for: ref)).pixels
            let scale = max(Double(width) / Double(image.width), Double(height) / Double(image.height))
            guard scale > 1.0001 else {
                results.append(ref)
                continue
            }
            let exact = [2, 4, 8].first { abs(Double($0) - scale) < 1e-9 }
            let configuration: Upscaler.Configuration
            if learned, let factor = exact {
                configuration = .init(method: .learned(), target: .factor(factor))
            } else {
                configuration = .init(
                    method: .resample(kernel),
                    target: .size(
                        width: Int((Double(image.width) * scale).rounded(.up)),
                        height: Int((Double(image.height) * scale).rounded(.up))),
                    antiRinging: true)
            }
            let (large, report) = try await Upscaler(configuration: configuration).upscaleReporting(image)
            if let fallback = report.fallback {
                context.logger.warning(
                    "the learned upscaler fell back to Lanczos-3", metadata: ["upscale.reason": "\(fallback)"])
                used.insert("lanczos3 (learned model unavailable)")
            } else {
                used.insert(configuration.method.description)
            }
            let png = try ImageEncoder(format: .png(.init(compressionLevel: 1))).encode(large)
            results.append(try await context.artifacts.put(png, fileExtension: "png"))
            context.reportProgress(
                fraction: Double(index + 1) / Double(keyframes.count), detail: "keyframe \(index + 1)")
        }
        state.upscaledKeyframes = results
        return StoryStageReport(
            provider: "upscalekit", model: used.isEmpty ? "none needed" : used.sorted().joined(separator: ", "))
    }
}

/// Stage 8: renders the video with the MediaIO composer: Ken Burns motion per shot, crossfades centred on the shot
/// boundaries, the voice (and looped, ducked music when given), burned karaoke subtitles, mastered to the target
/// loudness.
///
/// The frames are drawn by ``StoryServices/frameRenderer`` (UpscaleKit's `StillFrameRenderer` when it is `nil`:
/// fractional Ken Burns motion, Lanczos-3, crossfades in fixed point) and streamed to ffmpeg for the subtitles and
/// x264; `renderer: zoompan` keeps the older path where ffmpeg's `zoompan` draws them (stills only).
///
/// A shot whose ``StoryState/shotMedia`` record is a clip plays its clip instead of its keyframe: fitted by the
/// record's `clipFit` (automatic when it has none: trimmed, slowed up to 2× or looped), cropped to fill, its sound
/// mixed under the voice when `clipAudio`. The fit each clip got is written back into its record, and the stretches
/// the video holds on purpose into ``StoryState/heldStretches`` for the quality gate. Without shot media, the stage
/// renders exactly as before.
///
/// Parameters: `width` (1080), `height` (1920), `fps` (30), `crossfade` (0.5 s), `preset` (`veryfast`), `crf` (20),
/// `loudness` (−14 LUFS), `true_peak` (−1.5 dBTP before AAC encoding), `music` (a path to an audio file, a folder of tracks chosen by mood tag, or `synth` for a synthesized pad; none by default), `subtitles` (`burned` or `soft`),
/// `renderer` (`frames` or `zoompan`).
public struct AssembleVideo: StoryStage {
    /// `assemble`.
    public static let id: StageID = "assemble"
    /// Bumped when the composition changes (2: frames drawn by the frame renderer, eased motion; 3: clip shots from
    /// ``StoryState/shotMedia``).
    public static let version = 3

    /// The shared services.
    public let services: StoryServices

    /// `crossfade`: centred on a boundary between shots of at least 0.5 s (`PlanShots` min_seconds).
    public static let crossfade = StageParameter.number("crossfade", in: 0...2, unit: "seconds")
    /// `preset`: libx264's speed/size trade-off.
    public static let preset = StageParameter.oneOf(
        "preset", ["ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow"])
    /// `true_peak`: ffmpeg's loudnorm accepts true peaks of −9 to 0 dBTP.
    public static let truePeak = StageParameter.number("true_peak", in: -9...0, unit: "dBTP")
    /// `music`: a path to an audio file to loop and duck under the voice, or to a folder of tracks, one chosen by
    /// the story's mood (``musicTrack(at:moods:seed:)``), or `synth` for MediaIO's ``MusicBed``, a quiet pad
    /// synthesized offline in a key and tempo chosen by the story's mood (a file named `synth` is `./synth`).
    public static let music = StageParameter.string("music")
    /// `subtitles`: burned into the frames or a soft track.
    public static let subtitles = StageParameter.oneOf("subtitles", ["burned", "soft"])
    /// `renderer`: `frames` (the frame renderer draws, ffmpeg encodes) or `zoompan` (ffmpeg draws too).
    public static let renderer = StageParameter.oneOf("renderer", ["frames", "zoompan"])

    /// The stage's parameters.
    public struct Parameters: StoryStageParameters {
        /// Every key the stage reads.
        public static let declarations = [
            RenderParameter.width, RenderParameter.height, RenderParameter.fps, RenderParameter.loudness,
            AssembleVideo.crossfade, AssembleVideo.preset, AssembleVideo.crf, AssembleVideo.truePeak,
            AssembleVideo.music,
            AssembleVideo.subtitles, AssembleVideo.renderer,
        ]
        /// The frame width in pixels.
        public var width = 1080
        /// The frame height in pixels.
        public var height = 1920
        /// Frames per second.
        public var fps = 30
        /// The integrated loudness target in LUFS.
        public var loudness: Double = -14
        /// The crossfade in seconds.
        public var crossfade = 0.5
        /// libx264's preset.
        public var preset = "veryfast"
        /// libx264's constant rate factor.
        public var crf = 20
        /// The true-peak ceiling in dBTP: AAC encoding lifts true peaks by a few tenths of a dB, so the default
        /// masters 0.5 dB under the gate's −1 dBTP.
        public var truePeak = -1.5
        /// The music bed's path, if any.
        public var music: String?
        /// Whether subtitles are a soft track instead of burned in.
        public var softSubtitles = false
        /// Whether ffmpeg's `zoompan` draws the frames instead of the frame renderer.
        public var zoompan = false

        /// Parameters with the defaults.
        public init() {}

        /// Decodes and range-checks the parameters (evenness is ``AssembleVideo/parameterIssues(_:)``).
        public init(from decoder: any Decoder) throws {
            let reader = try StageParameterReader(decoder)
            width = try reader.integer(RenderParameter.width) ?? width
            height = try reader.integer(RenderParameter.height) ?? height
            fps = try reader.integer(RenderParameter.fps) ?? fps
            loudness = try reader.number(RenderParameter.loudness) ?? loudness
            crossfade = try reader.number(AssembleVideo.crossfade) ?? crossfade
            preset = try reader.string(AssembleVideo.preset) ?? preset
            crf = try reader.integer(AssembleVideo.crf) ?? crf
            truePeak = try reader.number(AssembleVideo.truePeak) ?? truePeak
            music = try reader.string(AssembleVideo.music)
            softSubtitles = try reader.string(AssembleVideo.subtitles) == "soft"
            zoompan = try reader.string(AssembleVideo.renderer) == "zoompan"
        }
    }

    /// `crf`: libx264's constant rate factor scale.
    public static let crf = StageParameter.integer("crf", in: 0...51)

    /// Width and height must be even for 4:2:0 video.
    public static func parameterIssues(_ parameters: StageParameters) -> [ConfigurationIssue] {
        [RenderParameter.width, RenderParameter.height].compactMap { parameter in
            guard let value = (try? parameters.integer(parameter)) ?? nil, value % 2 != 0 else { return nil }
            return ConfigurationIssue(path: parameter.name, message: "must be even (4:2:0 video), got \(value)")
        }
    }

    /// Creates the stage.
    public init(services: StoryServices) {
        self.services = services
    }

    /// Sets ``StoryState/video`` and ``StoryState/videoDuration``.
    public func run(_ state: inout StoryState, parameters: Parameters, context: StageContext) async throws
        -> StoryStageReport?
    {
        let ffmpeg = try services.requireFFmpeg(for: Self.id.rawValue)
        let shotlist = try state.required(\.shotlist)
        let voice = try state.required(\.voice)
        let pictures = try state.require(
            state.upscaledKeyframes ?? state.keyframes, "the keyframes", from: PaintKeyframe.id.rawValue)
        guard pictures.count == shotlist.shots.count else {
            throw StoryPipelineError.missingInput(
                "there are \(pictures.count) keyframes for \(shotlist.shots.count) shots: rerun the keyframes stage")
        }
        let settings = RenderSettings(
            width: parameters.width, height: parameters.height, frameRate: parameters.fps, preset: parameters.preset,
            crf: parameters.crf, loudnessTarget: parameters.loudness, truePeakCeiling: parameters.truePeak)
        let fade = max(0, parameters.crossfade)
        var music: URL?
        let moods = [state.idea?.tone ?? ""] + shotlist.shots.map(\.mood)
        let synthesizedBed = parameters.music == Self.synthesizedMusic
        if let path = parameters.music, !path.isEmpty, !synthesizedBed {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw StoryPipelineError.invalidConfiguration("stages.assemble.parameters.music: cannot read \(path)")
            }
            music = try Self.musicTrack(at: path, moods: moods, seed: state.request.seed)
        }
        let soft = parameters.softSubtitles
        if !soft, let subtitles = state.subtitles { try await Self.checkSubtitleFont(subtitles, context: context) }

        let scratch = try services.scratchDirectory("assemble", context: context)
        defer { scratch.remove() }
        let directory = scratch.url
        var bedStyle: MusicBed.Style?
        if synthesizedBed {
            let bed = try Self.synthesizeMusicBed(
                seconds: voice.duration, moods: moods, seed: state.request.seed, in: directory)
            music = bed.url
            bedStyle = bed.style
        }
        let voiceURL = try await services.file(
            for: voice.audio, in: context.artifacts, directory: directory, name: "voice.wav")
        var subtitleURL: URL?
        if let subtitles = state.subtitles {
            subtitleURL = try await services.file(
                for: subtitles.ass, in: context.artifacts, directory: directory, name: "subtitles.ass")
        }
        var shots: [VideoComposition.Shot] = []
        var transitions: [VideoComposition.Transition] = []
        let fades = (0..<max(0, shotlist.shots.count - 1)).map { index -> Double in
            shotlist.shots[index + 1].transition == .cut ? 0 : fade
        }
        let media = try Self.clipMedia(state.shotMedia, shots: shotlist.shots.map(\.id))
        for (index, shot) in shotlist.shots.enumerated() {
            // Each crossfade is centred on its boundary: a shot lasts half of each fade longer on either side.
            let before = index > 0 ? fades[index - 1] / 2 : 0
            let after = index < fades.count ? fades[index] / 2 : 0
            let duration = shot.duration + before + after
            if let record = media[index], let clip = record.clip {
                let file = try await services.file(
                    for: clip, in: context.artifacts, directory: directory,
                    name: "clip-\(index).\(Self.fileExtension(of: clip.path))")
                shots.append(
                    .init(
                        clip: .init(file: file, fit: Self.fit(record.clipFit), audio: record.clipAudio),
                        duration: duration))
            } else {
                let image = try await services.file(
                    for: pictures[index], in: context.artifacts, directory: directory, name: "shot-\(index).png")
                shots.append(
                    .init(image: image, duration: duration, motion: Self.motion(shot.motion, camera: shot.camera)))
            }
            if index < fades.count { transitions.append(fades[index] > 0 ? .crossfade(fades[index]) : .cut) }
        }
        let composition = VideoComposition(
            shots: shots, transitions: transitions, voice: voiceURL, music: music, subtitles: subtitleURL,
            subtitleMode: soft ? .soft : .burned)
        let output = directory.appendingPathComponent("video.mp4")
        let renderer = parameters.zoompan ? nil : services.frameRenderer ?? StillFrameRenderer()
        let report: RenderReport
        do {
            let composer = VideoComposer(ffmpeg: ffmpeg, frameRenderer: renderer)
            report = try await composer.render(composition, settings: settings, to: output) {
                context.reportProgress(fraction: $0, detail: "rendering")
            }
        } catch let error as CancellationError {
            throw error
        } catch {
            throw StoryPipelineError.media("rendering the video failed: \(error)", underlying: error)
        }
        let video = try await context.artifacts.put(try Data(contentsOf: output), fileExtension: "mp4")
        state.video = video
        state.videoDuration = report.duration
        let drawing = parameters.zoompan ? "zoompan" : renderer.map { "\(type(of: $0))" } ?? "zoompan"
        // The music bed's style is named only when one was synthesized, so the default run's report is unchanged.
        let bedNote = bedStyle.map { ", music bed: \($0)" } ?? ""
        // Only a story with shot media records the fits and the held pictures, so a run of stills is unchanged.
        var clipNote = ""
        if state.shotMedia != nil {
            Self.recordFits(report.clips, shots: shotlist.shots.map(\.id), in: &state)
            state.heldStretches = report.heldStretches
            let fits = report.clips.keys.sorted().compactMap { report.clips[$0].map { "\($0.fit)" } }
            clipNote = fits.isEmpty ? "" : ", clips: " + fits.joined(separator: " ")
        }
        return StoryStageReport(
            provider: "ffmpeg", model: "libx264/\(settings.preset), frames: \(drawing)\(bedNote)\(clipNote)")
    }

    /// The clip records of a story's shot media, by shot index: a shot whose record is a clip; stills (and shots with
    /// no record) are absent.
    /// - Throws: ``StoryPipelineError`` (`missingInput`) for a clip record without its clip file.
    static func clipMedia(_ media: [ShotMedia]?, shots: [Int]) throws -> [Int: ShotMedia] {
        guard let media else { return [:] }
        var byID = [Int: ShotMedia]()
        for record in media where byID[record.shotID] == nil { byID[record.shotID] = record }
        var clips = [Int: ShotMedia]()
        for (index, id) in shots.enumerated() {
            guard let record = byID[id], record.kind == .clip else { continue }
            guard record.clip != nil else {
                throw StoryPipelineError.missingInput(
                    "shot \(id) is a clip from \(record.source) with no clip file: rerun the keyframes stage")
            }
            clips[index] = record
        }
        return clips
    }

    /// The composer's fit for a record's: automatic when the record names none.
    static func fit(_ fit: ShotMedia.ClipFit?) -> VideoComposition.ClipFit {
        switch fit {
        case .trim?: .trim
        case .loop?: .loop
        case .slow?: .slow
        case nil: .automatic
        }
    }

    /// Writes the fit each clip shot was given into its shot media record, for the manifest.
    static func recordFits(_ clips: [Int: VideoTimeline.Clip], shots: [Int], in state: inout StoryState) {
        guard var media = state.shotMedia else { return }
        for (index, clip) in clips where index < shots.count {
            let used: ShotMedia.ClipFit =
                clip.fit == .loop ? .loop : clip.fit == .slow ? .slow : .trim
            for position in media.indices where media[position].shotID == shots[index] && media[position].kind == .clip
            {
                media[position].clipFit = used
            }
        }
        state.shotMedia = media
    }

    /// A clip artifact's file extension, for ffmpeg's probe (letters and digits only, `mp4` otherwise).
    static func fileExtension(of path: String) -> String {
        let suffix = (path as NSString).pathExtension
        let safe =
            !suffix.isEmpty && suffix.count <= 8 && suffix.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
        return safe ? suffix.lowercased() : "mp4"
    }

    /// The composer's motion for a shot's planned `motion` ("zoom in", "pan left"…), or for its free-text `camera`
    /// note when that names a diagonal pan ("pan up-left", "drift down and to the right"): the plan's motion list
    /// has no diagonals, so a director's diagonal would otherwise be lost. A zoom wins over a pan; a pan that names
    /// both a horizontal and a vertical direction is diagonal; nothing recognisable zooms in.
    static func motion(_ text: String, camera: String = "") -> VideoComposition.Motion {
        let note = camera.lowercased()
        if !note.contains("zoom"), case .pan(let direction)? = pan(in: note),
            [.upLeft, .upRight, .downLeft, .downRight].contains(direction)
        {
            return .pan(direction)
        }
        let value = text.lowercased()
        if value.contains("zoom out") || value.contains("zoom-out") { return .zoomOut }
        if value.contains("zoom") { return .zoomIn }
        if let pan = pan(in: value) { return pan }
        return value.contains("still") ? .still : .zoomIn
    }

    /// The pan a text names by its words ("up-left", "down right", "upwards", "to the left"), if any.
    private static func pan(in text: String) -> VideoComposition.Motion? {
        let words = Set(text.split { !$0.isLetter }.map(String.init))
        let left = !words.isDisjoint(with: ["left", "leftward", "leftwards"])
        let right = !words.isDisjoint(with: ["right", "rightward", "rightwards"])
        let up = !words.isDisjoint(with: ["up", "upward", "upwards", "upper"])
        let down = !words.isDisjoint(with: ["down", "downward", "downwards", "lower"])
        // Both ways on one axis says nothing about that axis.
        let horizontal: Bool? = left == right ? nil : right
        let vertical: Bool? = up == down ? nil : down
        switch (horizontal, vertical) {
        case (false?, false?): return .pan(.upLeft)
        case (true?, false?): return .pan(.upRight)
        case (false?, true?): return .pan(.downLeft)
        case (true?, true?): return .pan(.downRight)
        case (false?, nil): return .pan(.left)
        case (true?, nil): return .pan(.right)
        case (nil, false?): return .pan(.up)
        case (nil, true?): return .pan(.down)
        case (nil, nil): return nil
        }
    }
}

extension AssembleVideo {
    /// The `music` value that asks for the synthesized bed instead of a file.
    public static let synthesizedMusic = "synth"

    /// Writes MediaIO's ``MusicBed`` for the voice's length into `directory` and returns its URL and the style it plays.
    ///
    /// - Parameters:
    ///   - seconds: the voice's duration; a bed longer than ``MusicBed/maximumDuration`` is capped there (the
    ///     composer loops the music, so a longer voice still has music throughout).
    /// - Throws: ``StoryPipelineError`` with code `media` when the duration is not a positive finite number or the
    ///   file cannot be written.
    static func synthesizeMusicBed(seconds: Double, moods: [String], seed: Int, in directory: URL) throws -> (
        url: URL, style: MusicBed.Style
    ) {
        guard seconds.isFinite, seconds > 0 else {
            throw StoryPipelineError.media(
                "the voice lasts \(seconds) s: cannot size the music bed; rerun the voice stage")
        }
        let url = directory.appendingPathComponent("music-bed.wav")
        do {
            let style = try MusicBed.write(
                duration: min(seconds, MusicBed.maximumDuration), moods: moods, seed: seed, to: url)
            return (url, style)
        } catch {
            throw StoryPipelineError.media("synthesizing the music bed failed: \(error)", underlying: error)
        }
    }
}

/// Stage 9: the quality gate. Checks the video's format, size, frame rate, A/V sync, loudness, true peak, black and
/// frozen stretches and subtitle coverage; a failure fails the run with the report unless `warn_only` is set.
///
/// Parameters: `warn_only` (false), `width` (1080), `height` (1920), `fps` (30), `loudness` (−14).
public struct QualityCheck: StoryStage {
    /// `qc`.
    public static let id: StageID = "qc"
    /// Bumped when the checks change (2: pictures the composition holds on purpose pass the frozen-frame check).
    public static let version = 2

    /// The shared services.
    public let services: StoryServices

    /// `warn_only`: export a video that fails the gate, with the failures as warnings.
    public static let warnOnly = StageParameter.bool("warn_only")

    /// The stage's parameters (see ``RenderParameter``).
    public struct Parameters: StoryStageParameters {
        /// `warn_only`, `width`, `height`, `fps`, `loudness`.
        public static let declarations = [
            QualityCheck.warnOnly, RenderParameter.width, RenderParameter.height, RenderParameter.fps,
            RenderParameter.loudness,
        ]
        /// Whether a failure only warns.
        public var warnOnly = false
        /// The expected width in pixels.
        public var width = 1080
        /// The expected height in pixels.
        public var height = 1920
        /// The expected frames per second.
        public var fps = 30
        /// The expected integrated loudness in LUFS.
        public var loudness: Double = -14

        /// Parameters with the defaults.
        public init() {}

        /// Decodes and range-checks the parameters.
        public init(from decoder: any Decoder) throws {
            let reader = try StageParameterReader(decoder)
            warnOnly = try reader.bool(QualityCheck.warnOnly) ?? warnOnly
            width = try reader.integer(RenderParameter.width) ?? width
            height = try reader.integer(RenderParameter.height) ?? height
            fps = try reader.integer(RenderParameter.fps) ?? fps
            loudness = try reader.number(RenderParameter.loudness) ?? loudness
        }
    }

    /// Creates the stage.
    public init(services: StoryServices) {
        self.services = services
    }

    /// Sets ``StoryState/qc``.
    public func run(_ state: inout StoryState, parameters: Parameters, context: StageContext) async throws
        -> StoryStageReport?
    {
        let ffmpeg = try services.requireFFmpeg(for: Self.id.rawValue)
        let video = try state.required(\.video)
        var thresholds = QualityGate.Thresholds()
        thresholds.width = parameters.width
        thresholds.height = parameters.height
        thresholds.frameRate = Double(parameters.fps)
        thresholds.loudnessTarget = parameters.loudness
        let scratch = try services.scratchDirectory("qc", context: context)
        defer { scratch.remove() }
        let directory = scratch.url
        let url = try await services.file(for: video, in: context.artifacts, directory: directory, name: "video.mp4")
        let cues = state.subtitles?.track.cues.map { SubtitleCue(start: $0.start, end: $0.end, text: $0.text) }
        let report: QCReport
        do {
            report = try await QualityGate(ffmpeg: ffmpeg, thresholds: thresholds).check(
                url, subtitles: cues, speechEnd: state.words?.last?.end, intendedHolds: state.heldStretches ?? [])
        } catch let error as CancellationError {
            throw error
        } catch {
            throw StoryPipelineError.media("the quality gate could not inspect the video: \(error)", underlying: error)
        }
        let summary = QCSummary(
            checks: report.checks.map {
                .init(
                    name: $0.kind.rawValue, passed: $0.passed,
                    message: "measured \($0.measured); expected \($0.expected)")
            },
            warnings: [])
        state.qc = summary
        if !report.passed {
            let failures = report.failures.map {
                "\($0.kind.rawValue) (measured \($0.measured), expected \($0.expected))"
            }
            if parameters.warnOnly {
                state.qc?.warnings = failures.map { "failed: " + $0 }
                context.logger.warning("the video failed the quality gate", metadata: ["qc.failures": "\(failures)"])
            } else {
                throw StoryPipelineError.qualityGate(
                    "the video failed the quality gate: " + failures.joined(separator: "; ")
                        + " (set stages.qc.parameters.warn_only to export anyway)")
            }
        }
        return StoryStageReport(provider: "ffmpeg", model: "quality-gate")
    }
}

/// The render parameters the `upscale`, `assemble` and `qc` stages share (``StoryConfiguration/render`` is copied
/// into them), with the ranges of ``StoryConfiguration/Limits``.
public enum RenderParameter {
    /// `width`: the frame width.
    public static let width = StageParameter.integer(
        "width", in: StoryConfiguration.Limits.frameSize, unit: "pixels")
    /// `height`: the frame height.
    public static let height = StageParameter.integer(
        "height", in: StoryConfiguration.Limits.frameSize, unit: "pixels")
    /// `fps`: frames per second.
    public static let fps = StageParameter.integer("fps", in: StoryConfiguration.Limits.framesPerSecond)
    /// `loudness`: the integrated loudness target.
    public static let loudness = StageParameter.number("loudness", in: StoryConfiguration.Limits.loudness, unit: "LUFS")
}
