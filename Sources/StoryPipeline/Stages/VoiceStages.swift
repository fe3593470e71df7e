import Foundation
import MediaIO
public import PipelineKit
import ProviderKit
import StoryModels

/// Stage 4: speaks the script with the configured ``SpeechSynthesizer``, then trims leading and trailing silence and
/// normalises the peak, keeping the synthesizer's word timings (shifted by the trim) when it gives them.
///
/// Parameters: `peak_dbfs` (−1), `silence_threshold_db` (−50), `padding_seconds` (0.15).
public struct SynthesizeVoice: StoryStage {
    /// `voice`.
    public static let id: StageID = "voice"
    /// Bumped when the processing changes.
    public static let version = 1

    /// `peak_dbfs`: the peak the voice is normalised to.
    public static let peakDBFS = StageParameter.number("peak_dbfs", in: -30...0, unit: "dBFS")
    /// `silence_threshold_db`: below it, leading and trailing audio counts as silence.
    public static let silenceThresholdDB = StageParameter.number("silence_threshold_db", in: -120...0, unit: "dB")
    /// `padding_seconds`: silence kept before and after the voice.
    public static let paddingSeconds = StageParameter.number("padding_seconds", in: 0...5, unit: "seconds")

    /// The stage's parameters.
    public struct Parameters: StoryStageParameters {
        /// `peak_dbfs`, `silence_threshold_db`, `padding_seconds`.
        public static let declarations = [
            SynthesizeVoice.peakDBFS, SynthesizeVoice.silenceThresholdDB, SynthesizeVoice.paddingSeconds,
        ]
        /// The peak in dBFS.
        public var peakDBFS: Double = -1
        /// The silence threshold in dB.
        public var silenceThresholdDB: Double = -50
        /// The padding in seconds.
        public var paddingSeconds = 0.15

        /// Parameters with the defaults.
        public init() {}

        /// Decodes and range-checks the parameters.
        public init(from decoder: any Decoder) throws {
            let reader = try StageParameterReader(decoder)
            peakDBFS = try reader.number(SynthesizeVoice.peakDBFS) ?? peakDBFS
            silenceThresholdDB = try reader.number(SynthesizeVoice.silenceThresholdDB) ?? silenceThresholdDB
            paddingSeconds = try reader.number(SynthesizeVoice.paddingSeconds) ?? paddingSeconds
        }
    }

    /// The shared services.
    public let services: StoryServices

    /// Creates the stage.
    public init(services: StoryServices) {
        self.services = services
    }

    /// Sets ``StoryState/voice``.
    public func run(_ state: inout StoryState, parameters: Parameters, context: StageContext) async throws
        -> StoryStageReport?
    {
        let script = try state.required(\.script)
        let peak = parameters.peakDBFS
        let threshold = parameters.silenceThresholdDB
        let padding = parameters.paddingSeconds

        let speech: SynthesizedSpeech
        let request = SpeechRequest(text: script.current.text, format: .wav, wantsWordTimings: true)
        do {
            speech = try await services.providers.speech.synthesize(request)
        } catch let error as ProviderError {
            throw StoryPipelineError.provider("the speech provider failed: \(error)", underlying: error)
        }
        context.reportProgress(fraction: 0.6, detail: "voice synthesised")
        var audio: AudioBuffer
        do {
            if speech.format == .wav {
                audio = try WAV.decode(speech.audio)
            } else {
                audio = try await decodeWithFFmpeg(speech, context: context)
            }
        } catch let error as StoryPipelineError {
            throw error
        } catch {
            throw StoryPipelineError.media("the synthesised voice could not be decoded: \(error)", underlying: error)
        }
        audio = audio.mixed(toChannels: 1)
        guard audio.frameCount > 0 else { throw StoryPipelineError.media("the synthesised voice is empty") }

        let (trimmed, lead) = Self.trimmed(audio, thresholdDB: threshold, padding: padding)
        let normalised = Self.normalised(trimmed, peakDBFS: peak)
        let ref = try await context.artifacts.put(WAV.encode(normalised, format: .pcm16), fileExtension: "wav")
        let words = speech.wordTimings?.map {
            WordTiming(
                word: $0.word, start: max(0, $0.start - lead), end: min(normalised.duration, max(0, $0.end - lead)),
                confidence: $0.confidence)
        }
        state.voice = VoiceTrack(audio: ref, duration: normalised.duration, reportedWords: words)
        let record = services.providers.speechRecord
        return StoryStageReport(record, costUsd: services.providers.cost(.speech(request), model: record.model))
    }

    private func decodeWithFFmpeg(_ speech: SynthesizedSpeech, context: StageContext) async throws -> AudioBuffer {
        let ffmpeg = try services.requireFFmpeg(for: Self.id.rawValue)
        let scratch = try services.scratchDirectory("voice", context: context)
        defer { scratch.remove() }
        let directory = scratch.url
        let source = directory.appendingPathComponent("speech.\(speech.format.rawValue)")
        let wav = directory.appendingPathComponent("speech.wav")
        try speech.audio.write(to: source)
        _ = try await ffmpeg.run([
            "-i", "file:" + source.path, "-ac", "1", "-c:a", "pcm_s16le", "-y", "file:" + wav.path,
        ])
        return try WAV.read(from: wav)
    }

    /// Cuts silence (below `thresholdDB` of full scale) from both ends, keeping `padding` seconds; returns the audio
    /// and how many seconds were cut from the start. Audio that is silent throughout is kept as it is.
    static func trimmed(_ audio: AudioBuffer, thresholdDB: Double, padding: Double) -> (AudioBuffer, Double) {
        guard let range = audio.soundRange(threshold: thresholdDB, padding: padding) else { return (audio, 0) }
        return (audio.frames(range), Double(range.lowerBound) / Double(audio.sampleRate))
    }

    /// Scales the audio so its highest sample peak is `peakDBFS`; silence stays silence.
    static func normalised(_ audio: AudioBuffer, peakDBFS: Double) -> AudioBuffer {
        let peak = audio.samples.reduce(Float(0)) { max($0, abs($1)) }
        guard peak > 0 else { return audio }
        let gain = Float(pow(10, peakDBFS / 20)) / peak
        var result = audio
        result.samples = audio.samples.map { $0 * gain }
        return result
    }
}

/// Stage 5: times the script's words against the voice (the synthesizer's timings, or else the transcriber's),
/// snaps every shot boundary into the pause between its last and the next shot's first word, and writes SRT and
/// karaoke ASS subtitles.
///
/// Parameters: `max_characters_per_line` (22: what fits across a 1080-pixel-wide vertical frame in the default 72 px
/// bold subtitle style inside the platforms' safe area), `max_lines` (2).
public struct TimeWords: StoryStage {
    /// `timing`.
    public static let id: StageID = "timing"
    /// Bumped when the alignment or the subtitles change (2: cues end with the voice).
    public static let version = 2

    /// `max_characters_per_line`: 42 is the widest line any subtitle guideline allows (Netflix), 80 leaves room.
    public static let maxCharactersPerLine = StageParameter.integer(
        "max_characters_per_line", in: 8...80, unit: "characters")
    /// `max_lines`: lines per cue.
    public static let maxLines = StageParameter.integer("max_lines", in: 1...4)

    /// The stage's parameters.
    public struct Parameters: StoryStageParameters {
        /// `max_characters_per_line`, `max_lines`.
        public static let declarations = [TimeWords.maxCharactersPerLine, TimeWords.maxLines]
        /// The widest subtitle line, in characters.
        public var maxCharactersPerLine = 22
        /// Lines per cue.
        public var maxLines = 2

        /// Parameters with the defaults.
        public init() {}

        /// Decodes and range-checks the parameters.
        public init(from decoder: any Decoder) throws {
            let reader = try StageParameterReader(decoder)
            maxCharactersPerLine = try reader.integer(TimeWords.maxCharactersPerLine) ?? maxCharactersPerLine
            maxLines = try reader.integer(TimeWords.maxLines) ?? maxLines
        }
    }

    /// The shared services.
    public let services: StoryServices

    /// Creates the stage.
    public init(services: StoryServices) {
        self.services = services
    }

    /// Sets ``StoryState/words``, ``StoryState/subtitles`` and re-times ``StoryState/shotlist``.
    public func run(_ state: inout StoryState, parameters: Parameters, context: StageContext) async throws
        -> StoryStageReport?
    {
        let script = try state.required(\.script)
        let voice = try state.required(\.voice)
        let shotlist = try state.required(\.shotlist)

        var provider = services.providers.speechRecord.provider
        var model = services.providers.speechRecord.model
        var cost: Double?
        var timed: [MediaIO.TimedWord]
        if let reported = voice.reportedWords, !reported.isEmpty {
            timed = reported.map { MediaIO.TimedWord($0.word, start: $0.start, end: $0.end) }
        } else if let transcriber = services.providers.transcriber {
            let audio = try await context.artifacts.data(for: voice.audio)
            do {
                let transcription = try await transcriber.transcribe(
                    TranscriptionRequest(audio: audio, format: .wav, language: script.language, prompt: nil))
                timed = transcription.words.map { MediaIO.TimedWord($0.word, start: $0.start, end: $0.end) }
            } catch let error as ProviderError {
                throw StoryPipelineError.provider("the transcriber failed: \(error)", underlying: error)
            }
            let record = services.providers.transcriberRecord
            provider = record?.provider ?? provider
            model = record?.model ?? model
            cost = services.providers.cost(
                .transcription(TranscriptionRequest(audio: Data())), model: model, audioSeconds: voice.duration)
        } else {
            throw StoryPipelineError.invalidConfiguration(
                "the speech provider gave no word timings and no transcriber is configured: use a synthesizer with "
                    + "word timings (espeak-ng, ElevenLabs) or set OPENAI_API_KEY for transcription")
        }
        guard !timed.isEmpty else { throw StoryPipelineError.media("no words were found in the voice-over") }

        let alignment = ScriptAligner().align(script: script.current.text, to: timed)
        if alignment.accuracy < 0.5 {
            context.logger.warning(
                "the voice matches the script poorly", metadata: ["story.alignment_accuracy": "\(alignment.accuracy)"])
        }
        let words = alignment.words
        state.words = words.map { WordTiming(word: $0.text, start: $0.start, end: $0.end) }
        state.shotlist = Self.snapped(shotlist, to: words, voiceDuration: voice.duration)

        let segmenter = SubtitleSegmenter(
            configuration: .init(
                maxCharactersPerLine: parameters.maxCharactersPerLine, maxLines: parameters.maxLines))
        let cues = segmenter.segment(words, voiceDuration: voice.duration)
        let srt = try await context.artifacts.put(Data(SRT.format(cues).utf8), fileExtension: "srt")
        let ass = try await context.artifacts.put(Data(ASS.format(cues, karaoke: true).utf8), fileExtension: "ass")
        let track = SubtitleTrack(
            language: script.language,
            cues: cues.map { cue in
                SubtitleTrack.Cue(
                    start: cue.start, end: cue.end, text: cue.text,
                    words: cue.words.map { WordTiming(word: $0.text, start: $0.start, end: $0.end) })
            })
        state.subtitles = SubtitleFiles(track: track, srt: srt, ass: ass)
        return StoryStageReport(provider: provider, model: model, costUsd: cost)
    }

    /// Moves each boundary between shots to the middle of the pause between the last word of one and the first
    /// word of the next; the first shot starts at 0 and the last ends with the voice.
    static func snapped(_ shotlist: Shotlist, to words: [MediaIO.TimedWord], voiceDuration: Double) -> Shotlist {
        guard !words.isEmpty, !shotlist.shots.isEmpty else { return shotlist.repaired(toDuration: voiceDuration) }
        var boundaries = [0.0]
        for shot in shotlist.shots.dropLast() {
            let last = min(max(shot.narration.endWord - 1, 0), words.count - 1)
            let next = min(shot.narration.endWord, words.count - 1)
            let boundary = next > last ? (words[last].end + words[next].start) / 2 : words[last].end
            boundaries.append(min(max(boundary, boundaries[boundaries.count - 1] + 0.2), voiceDuration))
        }
        boundaries.append(voiceDuration)
        var shots = shotlist.shots
        for index in shots.indices {
            shots[index].start = boundaries[index]
            shots[index].end = max(boundaries[index + 1], boundaries[index] + 0.2)
            shots[index].duration = shots[index].end - shots[index].start
        }
        let retimed = Shotlist(shots: shots)
        return retimed.validate(voiceDuration: voiceDuration).isEmpty
            ? retimed : retimed.repaired(toDuration: voiceDuration)
    }
}
