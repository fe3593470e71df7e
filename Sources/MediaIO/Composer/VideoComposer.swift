public import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Renders a ``VideoComposition`` to an MP4 that plays anywhere: H.264 High, yuv420p with BT.709
/// tags, AAC 48 kHz, `+faststart`.
///
/// Timing: each shot lasts exactly `round(duration × fps)` frames; shots are joined by cuts or crossfades
/// (the k-th starts at frames of shots 0…k−1 − frames of transitions 0…k−1); the last shot is held until the
/// voice ends, so audio and video lengths agree within one frame.
///
/// Pictures, with a ``frameRenderer`` (UpscaleKit's `StillFrameRenderer` in the story pipeline): the composer
/// hands the renderer a ``VideoTimeline`` of those frames and draws them with it on ``renderThreads`` threads of
/// its own, at most ``framesInFlight`` frames allocated at once, in order into ffmpeg's stdin as raw yuv420p
/// (blocking writes: a busy encoder holds the renderers back, memory stays flat at any length). ffmpeg only
/// burns the subtitles (libass), encodes and muxes. Without one, ffmpeg draws them: each image is prescaled and
/// moved by `zoompan`, joined by `xfade` (whole-pixel crop steps; about 2.75× the encoder's time).
///
/// Clips (``VideoComposition/Clip``): each is probed with ffprobe and fitted to its shot (``VideoTimeline/Clip``); the
/// frame renderer decodes them (UpscaleKit's `StillFrameRenderer` with one ``ClipDecoder`` per clip shot, run by its
/// source's ``VideoFrameSource/run()`` beside the encode). The zoompan path draws stills only.
///
/// Sound: voice and music at 48 kHz stereo; the music loops, is ducked under the voice by
/// `sidechaincompress` and mixed with `amix normalize=0` (no −6 dB); the mix is mastered by
/// two-pass `loudnorm` to ``RenderSettings/loudnessTarget`` and measured by ``LoudnessMeter``.
///
/// The MP4 is written under a temporary name in the destination folder and renamed when complete:
/// a failed or cancelled render leaves nothing under the final name. Intermediate files live in a
/// hidden folder beside it that is removed afterwards; one left by a killed render (its owner's lock
/// gone, see ``OwnedDirectory``) is removed by the next render into the same folder.
public struct VideoComposer: Sendable {
    /// The ffmpeg installation used.
    public let ffmpeg: FFmpeg
    /// Draws the frames; `nil` lets ffmpeg's `zoompan` and `xfade` draw them.
    public let frameRenderer: (any VideoFrameRenderer)?
    /// Threads that run ``frameRenderer`` (besides the one writing to ffmpeg).
    public let renderThreads: Int
    /// The most frames allocated at once while rendering with ``frameRenderer``: twice ``renderThreads``, so
    /// each thread has a frame to draw while the one before waits for the pipe.
    public var framesInFlight: Int { 2 * renderThreads }

    /// The most render threads accepted (16: well past where a 1080×1920 renderer outruns any x264 preset).
    public static let maximumRenderThreads = 16

    /// The name prefix of the hidden work folders beside the output.
    static let workPrefix = ".storyforge-render-"

    /// Creates a composer.
    /// - Parameters:
    ///   - frameRenderer: draws the frames; `nil` keeps ffmpeg's `zoompan` path.
    ///   - renderThreads: threads for the renderer, clamped to 1…``maximumRenderThreads``; 0 chooses: half the
    ///     cores (x264 takes the rest), at least 2 so that one thread can decode a shot's still while another
    ///     draws, at most 4 (a frame takes about a millisecond: more threads only hold more memory).
    public init(ffmpeg: FFmpeg, frameRenderer: (any VideoFrameRenderer)? = nil, renderThreads: Int = 0) {
        self.ffmpeg = ffmpeg
        self.frameRenderer = frameRenderer
        let automatic = min(4, max(2, ProcessInfo.processInfo.activeProcessorCount / 2))
        self.renderThreads = renderThreads <= 0 ? automatic : min(Self.maximumRenderThreads, renderThreads)
    }

    /// Renders the composition.
    /// - Parameters:
    ///   - progress: called with the fraction done, 0...1: of frames written to the encoder with a
    ///     ``frameRenderer`` (from a thread of the composer's), of the final encode without.
    /// - Throws: ``FFmpegError`` (with ffmpeg's stderr; ``FFmpegError/brokenPipe`` when ffmpeg failed while
    ///   frames were streamed to it), ``AudioError``, the error ``frameRenderer`` threw (ffmpeg is then ended), or
    ///   `CancellationError` (renderer and ffmpeg stopped together). Nothing is left under `output`'s name.
    public func render(
        _ composition: VideoComposition, settings: RenderSettings = .init(), to output: URL,
        progress: (@Sendable (Double) -> Void)? = nil
    ) async throws -> RenderReport {
        let clock = ContinuousClock()
        let started = clock.now
        var ffmpegTime = Duration.zero
        try validate(composition, settings)
        let directory = output.deletingLastPathComponent()
        // Work folders of renders whose process died (killed mid-render) go first.
        OwnedDirectory.removeStale(in: directory, prefix: Self.workPrefix)
        let owned: OwnedDirectory
        do {
            owned = try OwnedDirectory(in: directory, prefix: Self.workPrefix)
        } catch {
            throw FFmpegError.invalidArgument(
                "cannot create a work folder in \(directory.path): \((error as NSError).localizedDescription)")
        }
        defer { owned.remove() }
        let work = owned.url

        // Timing in whole frames.
        let measureStart = clock.now
        let framing = try await framing(composition, settings)
        ffmpegTime += clock.now - measureStart
        let (shotFrames, transitionFrames, totalFrames) = (
            framing.shotFrames, framing.transitionFrames, framing.totalFrames
        )
        let fps = settings.frameRate
        let totalDuration = Double(totalFrames) / Double(fps)

        // Pictures and the final encode.
        // In the work folder, which is in the destination's folder: the rename below stays on one file system,
        // and a killed render leaves its partial video where the next render's sweep removes it.
        let temporary = work.appendingPathComponent("partial.mp4")
        let loudness: LoudnessMeasurement
        let timeline = Self.timeline(
            composition, settings, shotFrames: shotFrames, transitionFrames: transitionFrames,
            totalFrames: totalFrames, clips: framing.clips)
        if let frameRenderer {
            // The sound is mastered while the pictures are drawn and encoded, and muxed after: mastering is a
            // few single-threaded ffmpeg passes, which would otherwise leave cores idle before x264 starts.
            async let mastering = master(
                composition, settings, duration: totalDuration, clips: Self.clipSounds(timeline), in: work)
            let source = try await frameRenderer.prepare(timeline)
            try Task.checkCancellation()
            let pipeline = try FramePipeline(
                source: source, timeline: timeline, threads: renderThreads, capacity: framesInFlight,
                progress: progress)
            let pictures = work.appendingPathComponent("pictures.mp4")
            let arguments = streamArguments(composition, settings, totalFrames: totalFrames, to: pictures)
            var time = clock.now
            let job = ffmpeg.job(arguments, expectedDuration: totalDuration) { input in
                try pipeline.run { frame in try input.write(frame) }
            }
            // The source's own work (a clip source's decoders) runs beside the encode and ends with it.
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await source.run() }
                do {
                    try await withTaskCancellationHandler {
                        _ = try await job.run()
                    } onCancel: {
                        pipeline.cancel()
                        source.finish()
                    }
                } catch {
                    source.finish()
                    group.cancelAll()
                    // The encode's error names the cause (a decoder's error reaches it through the frames).
                    _ = await group.nextResult()
                    throw error
                }
                source.finish()
                try await group.waitForAll()
            }
            ffmpegTime += clock.now - time
            let sound = try await mastering
            ffmpegTime += sound.ffmpegTime
            loudness = sound.loudness
            time = clock.now
            try await ffmpeg.run(
                muxArguments(
                    composition, settings, totalFrames: totalFrames, pictures: pictures, audio: sound.url,
                    to: temporary))
            ffmpegTime += clock.now - time
        } else {
            let sound = try await master(composition, settings, duration: totalDuration, clips: [], in: work)
            ffmpegTime += sound.ffmpegTime
            loudness = sound.loudness
            let mastered = sound.url
            let arguments = videoArguments(
                composition, settings, shotFrames: shotFrames, transitionFrames: transitionFrames,
                totalFrames: totalFrames, audio: mastered, to: temporary)
            let time = clock.now
            let job = ffmpeg.job(arguments, expectedDuration: totalDuration)
            async let finished = job.run()
            for await report in job.progress { progress?(report.fraction ?? 0) }
            _ = try await finished
            ffmpegTime += clock.now - time
        }
        // On disk before it gets its final name, and the name on disk after.
        let written = open(temporary.path, O_RDONLY | O_CLOEXEC)
        if written >= 0 {
            fsync(written)
            close(written)
        }
        guard rename(temporary.path, output.path) == 0 else {
            throw FFmpegError.invalidArgument(
                "cannot move the finished video to \(output.path): \(String(cString: strerror(errno)))")
        }
        syncDirectory(of: output.path)
        let total = clock.now - started
        return RenderReport(
            output: output, frameCount: totalFrames, duration: totalDuration, loudness: loudness,
            ffmpegSeconds: seconds(ffmpegTime), totalSeconds: seconds(total),
            clips: timeline.shots.enumerated().reduce(into: [:]) { clips, shot in clips[shot.offset] = shot.element.clip
            },
            heldStretches: Self.heldStretches(timeline))
    }

    /// The stretches, in seconds, where the timeline shows one unmoving picture on purpose: a still shot without
    /// motion, and a clip shorter than its shot holding its last frame (outside crossfades, which always move).
    static func heldStretches(_ timeline: VideoTimeline) -> [ClosedRange<Double>] {
        let fps = Double(max(1, timeline.frameRate))
        var stretches = [ClosedRange<Double>]()
        for (index, shot) in timeline.shots.enumerated() {
            let previousEnd =
                index > 0 ? timeline.shots[index - 1].startFrame + timeline.shots[index - 1].frameCount : 0
            let nextStart = index + 1 < timeline.shots.count ? timeline.shots[index + 1].startFrame : Int.max
            let end = min(shot.startFrame + shot.frameCount, nextStart, max(timeline.totalFrames, 0))
            var start: Int
            if let clip = shot.clip {
                guard clip.playedFrames < shot.frameCount else { continue }
                start = shot.startFrame + max(0, clip.playedFrames)
            } else {
                guard shot.motion == .still else { continue }
                start = shot.startFrame
            }
            start = max(start, previousEnd)
            if end > start { stretches.append(Double(start) / fps...Double(end) / fps) }
        }
        return stretches
    }

    /// The mastered mix and how it measured.
    private struct Sound: Sendable {
        var url: URL
        var loudness: LoudnessMeasurement
        var ffmpegTime: Duration
    }

    /// Mixes, measures and masters the sound to `duration` seconds in `work`.
    private func master(
        _ composition: VideoComposition, _ settings: RenderSettings, duration: Double, clips: [ClipSound],
        in work: URL
    ) async throws -> Sound {
        let mix = work.appendingPathComponent("mix.wav")
        let mastered = work.appendingPathComponent("mastered.wav")
        let clock = ContinuousClock()
        let time = clock.now
        try await ffmpeg.run(audioMixArguments(composition, settings, duration: duration, clips: clips, to: mix))
        if composition.voice == nil && composition.music == nil && clips.isEmpty {
            // Silence cannot be normalised; keep it as it is.
            try FileManager.default.copyItem(at: mix, to: mastered)
        } else {
            let loudnormOptions = [
                "I": format(settings.loudnessTarget), "TP": format(settings.truePeakCeiling), "LRA": "11",
            ]
            let measureLog = try await ffmpeg.run([
                "-i", "file:" + mix.path, "-af",
                Filter(
                    "loudnorm",
                    ["I": loudnormOptions["I"]!, "TP": loudnormOptions["TP"]!, "LRA": "11", "print_format": "json"]
                ).description,
                "-f", "null", "-",
            ])
            let measured = try loudnormStats(measureLog)
            let inputI = Double(measured["input_i"]!) ?? settings.loudnessTarget
            let inputTP = Double(measured["input_tp"]!) ?? settings.truePeakCeiling
            let gain = settings.loudnessTarget - inputI
            // loudnorm's linear mode applies one gain, but only when the peaks allow it and the
            // programme is at least 3 s (its window); otherwise it falls back to a dynamic mode that
            // misses the target on short clips. Then a gain and a 4×-oversampled limiter do it.
            if duration >= 3, inputTP + gain <= settings.truePeakCeiling {
                try await ffmpeg.run([
                    "-i", "file:" + mix.path, "-af",
                    [
                        Filter(
                            "loudnorm",
                            [
                                "I": loudnormOptions["I"]!, "TP": loudnormOptions["TP"]!, "LRA": "11",
                                "measured_I": measured["input_i"]!, "measured_TP": measured["input_tp"]!,
                                "measured_LRA": measured["input_lra"]!, "measured_thresh": measured["input_thresh"]!,
                                "offset": measured["target_offset"]!, "linear": "true",
                            ]),
                        Filter("aresample", ["out_sample_rate": "48000"]),
                        Filter("aformat", ["sample_fmts": "flt", "channel_layouts": "stereo"]),
                        Filter("atrim", ["duration": format(duration)]),
                    ].map(\.description).joined(separator: ","),
                    "-c:a", "pcm_f32le", "-y", "file:" + mastered.path,
                ])
            } else {
                var applied = gain
                for _ in 0..<2 {
                    try await applyGainAndLimit(mix, to: mastered, gain: applied, settings: settings)
                    let check = try LoudnessMeter().measure(wavAt: mastered)
                    // Limiting lowers the loudness a little: correct once.
                    guard abs(check.integrated - settings.loudnessTarget) > 0.3, check.integrated > -70 else { break }
                    applied += settings.loudnessTarget - check.integrated
                }
            }
        }
        let ffmpegTime = clock.now - time
        let loudness = try LoudnessMeter().measure(wavAt: mastered)
        try Task.checkCancellation()
        return Sound(url: mastered, loudness: loudness, ffmpegTime: ffmpegTime)

    }

    private func applyGainAndLimit(_ input: URL, to output: URL, gain: Double, settings: RenderSettings) async throws {
        // Limit 0.3 dB under the ceiling at 192 kHz, so inter-sample peaks are caught too.
        let limit = pow(10, (settings.truePeakCeiling - 0.3) / 20)
        try await ffmpeg.run([
            "-i", "file:" + input.path, "-af",
            [
                Filter("volume", ["volume": "\(format(gain))dB"]),
                Filter("aresample", ["out_sample_rate": "192000"]),
                Filter(
                    "alimiter",
                    ["limit": format(min(1, max(0.0625, limit))), "attack": "1", "release": "60", "level": "0"]),
                Filter("aresample", ["out_sample_rate": "48000"]),
                Filter("aformat", ["sample_fmts": "flt", "channel_layouts": "stereo"]),
            ].map(\.description).joined(separator: ","),
            "-c:a", "pcm_f32le", "-y", "file:" + output.path,
        ])
    }

    /// The ffmpeg arguments of the audio mix: voice and looped, ducked music at 48 kHz stereo,
    /// padded or trimmed to `duration`, as Float32 WAV.
    func audioMixArguments(
        _ composition: VideoComposition, _ settings: RenderSettings, duration: Double, clips: [ClipSound] = [],
        to url: URL
    ) -> [String] {
        var arguments = [String]()
        var graph = FilterGraph()
        let normalize = [
            Filter("aresample", ["out_sample_rate": "48000"]),
            Filter("aformat", ["sample_fmts": "fltp", "channel_layouts": "stereo"]),
        ]
        let end = [Filter("apad", ["whole_dur": format(duration)]), Filter("atrim", ["duration": format(duration)])]
        if !clips.isEmpty {
            return clipMixArguments(composition, settings, duration: duration, clips: clips, to: url)
        }
        switch (composition.voice, composition.music) {
        case (let voice?, let music?):
            arguments += ["-i", "file:" + voice.path, "-stream_loop", "-1", "-i", "file:" + music.path]
            graph.chain(["0:a"], normalize + [Filter("asplit", positional: ["2"])], ["voice", "key"])
            graph.chain(["1:a"], normalize + [Filter("volume", ["volume": "\(format(settings.musicGain))dB"])], ["bed"])
            // Duck the music ~12 dB while the voice speaks: fast attack, slow release so it does not pump.
            graph.chain(
                ["bed", "key"],
                [Filter("sidechaincompress", ["threshold": "0.03", "ratio": "8", "attack": "20", "release": "400"])],
                ["ducked"])
            graph.chain(
                ["voice", "ducked"],
                [Filter("amix", ["inputs": "2", "duration": "first", "normalize": "0"])] + end, ["mix"])
        case (let voice?, nil):
            arguments += ["-i", "file:" + voice.path]
            graph.chain(["0:a"], normalize + end, ["mix"])
        case (nil, let music?):
            arguments += ["-stream_loop", "-1", "-i", "file:" + music.path]
            graph.chain(["0:a"], normalize + end, ["mix"])
        case (nil, nil):
            arguments += ["-f", "lavfi", "-i", "anullsrc=r=48000:cl=stereo"]
            graph.chain(["0:a"], normalize + end, ["mix"])
        }
        return arguments + [
            "-filter_complex", graph.description, "-map", "[mix]", "-c:a", "pcm_f32le", "-y", "file:" + url.path,
        ]
    }

    /// The frames ``render(_:settings:to:progress:)`` would hand ``frameRenderer`` for this composition: each shot
    /// `round(duration × fps)` frames, crossfades overlapping, the last shot held to the voice (probed with
    /// ffprobe). For previews, and for benchmarks that draw the same frames without encoding them.
    /// - Throws: ``FFmpegError`` when the composition or the settings are invalid or the voice cannot be probed.
    public func timeline(for composition: VideoComposition, settings: RenderSettings = .init()) async throws
        -> VideoTimeline
    {
        try validate(composition, settings)
        let framing = try await framing(composition, settings)
        return Self.timeline(
            composition, settings, shotFrames: framing.shotFrames, transitionFrames: framing.transitionFrames,
            totalFrames: framing.totalFrames, clips: framing.clips)
    }

    /// The longest programme accepted, in seconds (24 hours: beyond any story; keeps frame counts far from overflow).
    public static let maximumDuration: Double = 86_400

    private struct Framing {
        var shotFrames: [Int]
        var transitionFrames: [Int]
        var totalFrames: Int
        var clips: [Int: VideoTimeline.Clip] = [:]
    }

    /// Shot and transition lengths in whole frames, the last shot held to the voice. Durations were checked by
    /// `validate`; the voice's comes from ffprobe, so it is checked here.
    private func framing(_ composition: VideoComposition, _ settings: RenderSettings) async throws -> Framing {
        let fps = Double(settings.frameRate)
        var shotFrames = composition.shots.map { max(1, Int(($0.duration * fps).rounded())) }
        let transitionFrames = (0..<max(0, shotFrames.count - 1)).map { index -> Int in
            guard index < composition.transitions.count, case .crossfade(let seconds) = composition.transitions[index],
                seconds.isFinite
            else { return 0 }
            // A crossfade cannot be longer than either shot it joins.
            let frames = Int((min(Self.maximumDuration, max(0, seconds)) * fps).rounded())
            return min(frames, shotFrames[index] - 1, shotFrames[index + 1] - 1)
        }
        var voiceDuration = 0.0
        if let voice = composition.voice {
            let probe = try await ffmpeg.probe(voice)
            voiceDuration = probe.audio?.duration ?? probe.duration ?? 0
            guard voiceDuration.isFinite, voiceDuration <= Self.maximumDuration else {
                throw FFmpegError.invalidArgument(
                    "\(voice.path) lasts \(voiceDuration) s: a voice of at most \(Int(Self.maximumDuration)) s is accepted"
                )
            }
        }
        let pictureFrames = shotFrames.reduce(0, +) - transitionFrames.reduce(0, +)
        let voiceFrames = Int((max(0, voiceDuration) * fps).rounded())
        if voiceFrames > pictureFrames { shotFrames[shotFrames.count - 1] += voiceFrames - pictureFrames }
        var clips = [Int: VideoTimeline.Clip]()
        for (index, shot) in composition.shots.enumerated() {
            guard let clip = shot.clip else { continue }
            let probe = try await probeClip(clip.file)
            clips[index] = Self.fit(
                clip, duration: probe.duration, hasAudio: probe.hasAudio, frames: shotFrames[index],
                frameRate: settings.frameRate)
            clips[index]?.colorSpace = probe.colorSpace
        }
        return Framing(
            shotFrames: shotFrames, transitionFrames: transitionFrames, totalFrames: max(pictureFrames, voiceFrames),
            clips: clips)
    }

    /// A clip's length and whether it has sound, from ffprobe.
    /// - Throws: ``FFmpegError/unsupportedMedia(_:underlying:)`` naming the file when it is not a video (no video
    ///   stream, a still image, a length that is not a positive number of seconds up to ``maximumDuration``).
    func probeClip(_ url: URL) async throws -> (duration: Double, hasAudio: Bool, colorSpace: String?) {
        let name = url.lastPathComponent
        let probe: MediaProbe
        do {
            probe = try await ffmpeg.probe(url)
        } catch let error as FFmpegError where error.code == .failed || error.code == .invalidOutput {
            throw FFmpegError.unsupportedMedia(
                "\(name) is not a video ffmpeg can read (\(error.message)); point the shot at a video file",
                underlying: error)
        }
        // Still images probe as one-frame "videos" in the image2 and *_pipe demuxers.
        let formats = probe.formatName.split(separator: ",")
        guard let video = probe.video, !formats.contains(where: { $0 == "image2" || $0.hasSuffix("_pipe") }) else {
            throw FFmpegError.unsupportedMedia(
                "\(name) has no video stream (ffprobe reads it as \(probe.formatName.isEmpty ? "nothing" : probe.formatName)); "
                    + "point the shot at a video file")
        }
        let duration = video.duration ?? probe.duration ?? 0
        guard duration.isFinite, duration > 0, duration <= Self.maximumDuration else {
            throw FFmpegError.unsupportedMedia(
                "\(name) lasts \(duration) s: a clip needs a length from one frame to \(Int(Self.maximumDuration)) s")
        }
        return (duration, probe.audio != nil, video.colorSpace)
    }

    /// How a clip of `duration` seconds fills a shot of `frames` frames: trimmed when long enough, else as its fit
    /// asks (automatic: slowed when at most ``VideoComposition/ClipFit/maximumSlowdown`` times too short, looped
    /// beyond).
    static func fit(
        _ clip: VideoComposition.Clip, duration: Double, hasAudio: Bool, frames: Int, frameRate: Int
    ) -> VideoTimeline.Clip {
        // `duration` is finite and at most a day (probeClip), so the frame count fits an Int.
        let available = max(1, Int((duration * Double(frameRate)).rounded(.down)))
        let maximum = VideoComposition.ClipFit.maximumSlowdown
        var fit = clip.fit
        if fit == .automatic {
            fit = Double(frames) <= Double(available) * maximum ? .slow : .loop
        }
        var speed = 1.0
        var played = frames
        if available >= frames {
            fit = .trim
        } else if fit == .trim {
            played = available
        } else if fit == .slow {
            speed = min(maximum, Double(frames) / Double(available))
            played = min(frames, Int((Double(available) * speed).rounded(.down)))
        }
        return VideoTimeline.Clip(
            file: clip.file, fit: fit, speed: speed, playedFrames: played, duration: duration, audio: clip.audio,
            hasAudio: hasAudio)
    }

    /// A clip's sound in the mix: where its shot starts and how long it lasts, in seconds.
    struct ClipSound: Sendable, Hashable {
        var clip: VideoTimeline.Clip
        var start: Double
        var duration: Double
    }

    /// The sounds of the clips whose audio is on and who have some.
    static func clipSounds(_ timeline: VideoTimeline) -> [ClipSound] {
        let fps = Double(max(1, timeline.frameRate))
        return timeline.shots.compactMap { shot in
            guard let clip = shot.clip, clip.audio, clip.hasAudio else { return nil }
            return ClipSound(clip: clip, start: Double(shot.startFrame) / fps, duration: Double(shot.frameCount) / fps)
        }
    }

    /// The audio mix with clip sound: each clip's sound fitted as its picture is (looped, or slowed by `atempo`,
    /// which keeps the pitch), faded in and out over 20 ms so cuts do not click, delayed to its shot, at
    /// ``RenderSettings/clipAudioGain``; mixed with the music into one bed that the voice ducks.
    func clipMixArguments(
        _ composition: VideoComposition, _ settings: RenderSettings, duration: Double, clips: [ClipSound], to url: URL
    ) -> [String] {
        var arguments = [String]()
        var graph = FilterGraph()
        let normalize = [
            Filter("aresample", ["out_sample_rate": "48000"]),
            Filter("aformat", ["sample_fmts": "fltp", "channel_layouts": "stereo"]),
        ]
        let end = [Filter("apad", ["whole_dur": format(duration)]), Filter("atrim", ["duration": format(duration)])]
        var input = 0
        var voiceLabel: String?
        if let voice = composition.voice {
            arguments += ["-i", "file:" + voice.path]
            voiceLabel = "\(input):a"
            input += 1
        }
        var beds = [String]()
        if let music = composition.music {
            arguments += ["-stream_loop", "-1", "-i", "file:" + music.path]
            graph.chain(
                ["\(input):a"], normalize + [Filter("volume", ["volume": "\(format(settings.musicGain))dB"])], ["music"]
            )
            beds.append("music")
            input += 1
        }
        // 20 ms: long enough that a cut into a sound does not click, short enough not to be heard as a fade.
        let ramp = 0.02
        for (index, sound) in clips.enumerated() {
            if sound.clip.fit == .loop { arguments += ["-stream_loop", "-1"] }
            arguments += ["-i", "file:" + sound.clip.file.path]
            var filters = [Filter]()
            if sound.clip.speed > 1 {
                // atempo takes 0.5...100: a slowdown of at most 2× is within one instance.
                filters.append(Filter("atempo", positional: [format(1 / sound.clip.speed)]))
            }
            let length = max(sound.duration, 2 * ramp)
            filters +=
                normalize + [
                    Filter("atrim", ["duration": format(length)]),
                    Filter("asetpts", positional: ["PTS-STARTPTS"]),
                    Filter("afade", ["t": "in", "d": format(ramp)]),
                    Filter("afade", ["t": "out", "st": format(length - ramp), "d": format(ramp)]),
                    Filter("volume", ["volume": "\(format(settings.clipAudioGain))dB"]),
                    Filter("adelay", ["delays": "\(Int((sound.start * 1000).rounded()))", "all": "1"]),
                ]
            graph.chain(["\(input):a"], filters, ["clip\(index)"])
            beds.append("clip\(index)")
            input += 1
        }
        let bed: String
        if beds.count > 1 {
            graph.chain(
                beds, [Filter("amix", ["inputs": "\(beds.count)", "duration": "longest", "normalize": "0"])], ["bed"])
            bed = "bed"
        } else {
            bed = beds[0]
        }
        if let voiceLabel {
            graph.chain([voiceLabel], normalize + [Filter("asplit", positional: ["2"])], ["voice", "key"])
            // Duck the bed ~12 dB while the voice speaks, as for music alone.
            graph.chain(
                [bed, "key"],
                [Filter("sidechaincompress", ["threshold": "0.03", "ratio": "8", "attack": "20", "release": "400"])],
                ["ducked"])
            graph.chain(
                ["voice", "ducked"],
                [Filter("amix", ["inputs": "2", "duration": "first", "normalize": "0"])] + end, ["mix"])
        } else {
            graph.chain([bed], [Filter("anull")] + end, ["mix"])
        }
        return arguments + [
            "-filter_complex", graph.description, "-map", "[mix]", "-c:a", "pcm_f32le", "-y", "file:" + url.path,
        ]
    }

    /// The composition's pictures in whole frames: shot `k` starts where shot `k − 1` ends less their crossfade.
    static func timeline(
        _ composition: VideoComposition, _ settings: RenderSettings, shotFrames: [Int], transitionFrames: [Int],
        totalFrames: Int, clips: [Int: VideoTimeline.Clip] = [:]
    ) -> VideoTimeline {
        var shots = [VideoTimeline.Shot]()
        var start = 0
        for (index, shot) in composition.shots.enumerated() {
            shots.append(
                .init(
                    image: shot.image, motion: shot.motion, startFrame: start, frameCount: shotFrames[index],
                    clip: clips[index]))
            if index < transitionFrames.count { start += shotFrames[index] - transitionFrames[index] }
        }
        return VideoTimeline(
            shots: shots, totalFrames: totalFrames, width: settings.width, height: settings.height,
            frameRate: settings.frameRate, zoomAmount: settings.zoomAmount, easing: settings.motionEasing)
    }

    /// The ffmpeg arguments of the picture encode from raw frames on stdin: libass burns the subtitles (when
    /// burned), x264 encodes with the settings of the `zoompan` path, into a video-only MP4 that
    /// ``muxArguments(_:_:totalFrames:pictures:audio:to:)`` joins to the sound.
    func streamArguments(
        _ composition: VideoComposition, _ settings: RenderSettings, totalFrames: Int, to output: URL
    ) -> [String] {
        let (width, height, fps) = (settings.width, settings.height, settings.frameRate)
        // The frames are BT.709 limited-range yuv420p already (``YUV420Frame``): no conversion, only tags.
        var arguments = [
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-video_size", "\(width)x\(height)", "-framerate", "\(fps)",
            "-i", "pipe:0",
        ]
        if let subtitles = composition.subtitles, composition.subtitleMode == .burned {
            var graph = FilterGraph()
            graph.chain(["0:v"], [Filter("subtitles", ["filename": subtitles.path])], ["video"])
            arguments += ["-filter_complex", graph.description, "-map", "[video]"]
        } else {
            arguments += ["-map", "0:v"]
        }
        return arguments + ["-frames:v", "\(totalFrames)"] + videoEncoderArguments(settings) + [
            "-an", "-f", "mp4", "-y", "file:" + output.path,
        ]
    }

    /// The ffmpeg arguments that join the encoded pictures (copied) and the mastered sound (AAC), with a soft
    /// subtitle track when asked, cut to the programme's length, `+faststart`.
    func muxArguments(
        _ composition: VideoComposition, _ settings: RenderSettings, totalFrames: Int, pictures: URL, audio: URL,
        to output: URL
    ) -> [String] {
        var arguments = ["-i", "file:" + pictures.path, "-i", "file:" + audio.path]
        var maps = ["-map", "0:v", "-map", "1:a"]
        var subtitleCodec = [String]()
        if let subtitles = composition.subtitles, composition.subtitleMode == .soft {
            arguments += ["-i", "file:" + subtitles.path]
            maps += ["-map", "2:s"]
            subtitleCodec = ["-c:s", "mov_text"]
        }
        return arguments + maps + [
            "-t", format(Double(totalFrames) / Double(settings.frameRate)), "-c:v", "copy",
        ] + audioEncoderArguments(settings) + subtitleCodec + [
            "-movflags", "+faststart", "-f", "mp4", "-y", "file:" + output.path,
        ]
    }

    /// x264 with its BT.709 tags, the same for both paths.
    private func videoEncoderArguments(_ settings: RenderSettings) -> [String] {
        [
            "-r", "\(settings.frameRate)",
            "-c:v", "libx264", "-profile:v", "high", "-preset", settings.preset, "-crf", "\(settings.crf)",
            "-pix_fmt", "yuv420p", "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
            "-color_range", "tv", "-threads", "\(settings.threads)",
        ]
    }

    /// AAC 48 kHz stereo, the same for both paths.
    private func audioEncoderArguments(_ settings: RenderSettings) -> [String] {
        ["-c:a", "aac", "-b:a", "\(settings.audioBitRate)", "-ar", "48000", "-ac", "2"]
    }

    /// The ffmpeg arguments of the final encode.
    func videoArguments(
        _ composition: VideoComposition, _ settings: RenderSettings, shotFrames: [Int], transitionFrames: [Int],
        totalFrames: Int, audio: URL, to output: URL
    ) -> [String] {
        let (width, height, fps) = (settings.width, settings.height, settings.frameRate)
        let prescale = max(1, settings.motionPrescale)
        var arguments = [String]()
        var graph = FilterGraph()
        for (index, shot) in composition.shots.enumerated() {
            // image2 with pattern_type none: a '%' in a file name is not a sequence pattern.
            arguments += ["-f", "image2", "-pattern_type", "none", "-i", "file:" + shot.image.path]
            let frames = shotFrames[index]
            let (zoom, x, y) = motionExpressions(shot.motion, frames: frames, amount: settings.zoomAmount)
            graph.chain(
                ["\(index):v"],
                [
                    Filter(
                        "scale",
                        [
                            "w": "\(width * prescale)", "h": "\(height * prescale)",
                            "force_original_aspect_ratio": "increase", "flags": "bicubic",
                        ]),
                    Filter("crop", ["w": "\(width * prescale)", "h": "\(height * prescale)"]),
                    Filter("setsar", positional: ["1"]),
                    Filter(
                        "zoompan",
                        ["z": zoom, "x": x, "y": y, "d": "\(frames)", "s": "\(width)x\(height)", "fps": "\(fps)"]),
                    Filter("setpts", positional: ["PTS-STARTPTS"]),
                    Filter("format", ["pix_fmts": "yuv420p"]),
                ], ["s\(index)"])
        }
        // Join: offsets in frames, converted to seconds at the end.
        var current = "s0"
        var length = shotFrames[0]
        for index in 1..<max(1, shotFrames.count) {
            let overlap = transitionFrames[index - 1]
            let label = "j\(index)"
            if overlap > 0 {
                graph.chain(
                    [current, "s\(index)"],
                    [
                        Filter(
                            "xfade",
                            [
                                "transition": "fade", "duration": format(Double(overlap) / Double(fps)),
                                "offset": format(Double(length - overlap) / Double(fps)),
                            ])
                    ], [label])
                length += shotFrames[index] - overlap
            } else {
                graph.chain([current, "s\(index)"], [Filter("concat", ["n": "2", "v": "1", "a": "0"])], [label])
                length += shotFrames[index]
            }
            current = label
        }
        var finish = [Filter]()
        if let subtitles = composition.subtitles, composition.subtitleMode == .burned {
            finish.append(Filter("subtitles", ["filename": subtitles.path]))
        }
        finish += [
            Filter("scale", ["out_color_matrix": "bt709", "out_range": "tv"]),
            Filter("format", ["pix_fmts": "yuv420p"]),
        ]
        graph.chain([current], finish, ["video"])
        let audioIndex = composition.shots.count
        arguments += ["-i", "file:" + audio.path]
        var maps = ["-map", "[video]", "-map", "\(audioIndex):a"]
        var subtitleCodec = [String]()
        if let subtitles = composition.subtitles, composition.subtitleMode == .soft {
            arguments += ["-i", "file:" + subtitles.path]
            maps += ["-map", "\(audioIndex + 1):s"]
            subtitleCodec = ["-c:s", "mov_text"]
        }
        return arguments + ["-filter_complex", graph.description] + maps
            + ["-t", format(Double(totalFrames) / Double(fps))] + videoEncoderArguments(settings)
            + audioEncoderArguments(settings) + subtitleCodec + [
                "-movflags", "+faststart", "-f", "mp4", "-y", "file:" + output.path,
            ]
    }

    /// zoompan expressions for a motion over `frames` frames; `on` is the output frame number.
    func motionExpressions(_ motion: VideoComposition.Motion, frames: Int, amount: Double) -> (String, String, String) {
        let progress = frames > 1 ? "on/\(frames - 1)" : "0"
        let centreX = "(iw-iw/zoom)/2"
        let centreY = "(ih-ih/zoom)/2"
        let zoomed = format(1 + amount)
        switch motion {
        case .still: return ("1", "0", "0")
        case .zoomIn: return ("1+\(format(amount))*\(progress)", centreX, centreY)
        case .zoomOut: return ("\(zoomed)-\(format(amount))*\(progress)", centreX, centreY)
        case .pan(.right): return (zoomed, "(iw-iw/zoom)*\(progress)", centreY)
        case .pan(.left): return (zoomed, "(iw-iw/zoom)*(1-\(progress))", centreY)
        case .pan(.down): return (zoomed, centreX, "(ih-ih/zoom)*\(progress)")
        case .pan(.up): return (zoomed, centreX, "(ih-ih/zoom)*(1-\(progress))")
        case .pan(.upLeft): return (zoomed, "(iw-iw/zoom)*(1-\(progress))", "(ih-ih/zoom)*(1-\(progress))")
        case .pan(.upRight): return (zoomed, "(iw-iw/zoom)*\(progress)", "(ih-ih/zoom)*(1-\(progress))")
        case .pan(.downLeft): return (zoomed, "(iw-iw/zoom)*(1-\(progress))", "(ih-ih/zoom)*\(progress)")
        case .pan(.downRight): return (zoomed, "(iw-iw/zoom)*\(progress)", "(ih-ih/zoom)*\(progress)")
        }
    }

    private func validate(_ composition: VideoComposition, _ settings: RenderSettings) throws {
        guard !composition.shots.isEmpty else {
            throw FFmpegError.invalidArgument("a composition needs at least one shot")
        }
        guard settings.width > 0, settings.height > 0, settings.width % 2 == 0, settings.height % 2 == 0 else {
            throw FFmpegError.invalidArgument(
                "\(settings.width)×\(settings.height): width and height must be positive and even for yuv420p")
        }
        guard settings.frameRate > 0 else { throw FFmpegError.invalidArgument("frame rate must be positive") }
        if frameRenderer != nil, max(settings.width, settings.height) > YUV420Frame.maximumSide {
            throw FFmpegError.invalidArgument(
                "\(settings.width)×\(settings.height): a frame renderer draws sides of at most \(YUV420Frame.maximumSide)"
            )
        }
        for shot in composition.shots {
            guard shot.duration > 0 else {
                throw FFmpegError.invalidArgument("shot \(shot.image.lastPathComponent) has no duration")
            }
            if shot.clip != nil, frameRenderer == nil {
                throw FFmpegError.invalidArgument(
                    "shot \(shot.image.lastPathComponent) is a clip: clips are drawn by a frame renderer "
                        + "(UpscaleKit's StillFrameRenderer), not by the zoompan path")
            }
        }
        let total = composition.shots.reduce(0) { $0 + $1.duration }
        guard total.isFinite, total <= Self.maximumDuration else {
            throw FFmpegError.invalidArgument(
                "the shots last \(total) s together: at most \(Int(Self.maximumDuration)) s is accepted")
        }
        guard settings.frameRate <= 1000 else {
            // 1000 fps: far above any delivery format, so frame counts of a 24-hour programme cannot overflow.
            throw FFmpegError.invalidArgument("frame rate \(settings.frameRate) is over 1000")
        }
        let inputs =
            composition.shots.map(\.image)
            + [composition.voice, composition.music, composition.subtitles].compactMap { $0 }
        for url in inputs where !FileManager.default.fileExists(atPath: url.path) {
            throw FFmpegError.invalidArgument("\(url.path) does not exist; check the composition's file paths")
        }
    }

    private func loudnormStats(_ log: String) throws -> [String: String] {
        guard let open = log.lastIndex(of: "{"), let close = log.lastIndex(of: "}"), open < close,
            let object = try? JSONSerialization.jsonObject(with: Data(log[open...close].utf8)) as? [String: Any]
        else {
            throw FFmpegError.invalidOutput("loudnorm printed no JSON statistics; is the mix silent?")
        }
        var stats = [String: String]()
        for key in ["input_i", "input_tp", "input_lra", "input_thresh", "target_offset"] {
            guard let value = object[key] as? String, let number = Double(value), number.isFinite else {
                throw FFmpegError.invalidOutput(
                    "loudnorm reported \(key) = \(object[key] ?? "nothing"); the mix is probably silent")
            }
            stats[key] = value
        }
        return stats
    }
}

func format(_ value: Double) -> String { String(format: "%.9g", value) }

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
