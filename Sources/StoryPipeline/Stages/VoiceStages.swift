import Foundation
import MediaIO
public import PipelineKit
import ProviderKit
import StoryForgeCore
import StoryModels

/// Stage 4: speaks the script with the configured ``SpeechSynthesizer``, then trims leading and trailing silence and
/// normalises the peak, keeping the synthesizer's word timings (shifted by the trim) when it gives them.
///
/// The request carries the script's language, so that the synthesizer speaks it with a voice for that language.
///
/// Parameters: `peak_dbfs` (−1), `silence_threshold_db` (−50), `padding_seconds` (0.15), `speech_rate` (none: the
/// voice's normal rate; 0.75…1.5 asks the synthesizer to speak that much faster, which espeak-ng, OpenAI and
/// ElevenLabs honour; the configuration's `story.speech_rate` is copied here).
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
    /// `speech_rate`: relative to the voice's normal rate (``StoryConfiguration/Limits/speechRate``).
    public static let speechRate = StageParameter.number(
        "speech_rate", in: StoryConfiguration.Limits.speechRate, unit: "× normal")

    /// The stage's parameters.
    public struct Parameters: StoryStageParameters {
        /// `peak_dbfs`, `silence_threshold_db`, `padding_seconds`.
        public static let declarations = [
            SynthesizeVoice.peakDBFS, SynthesizeVoice.silenceThresholdDB, SynthesizeVoice.paddingSeconds,
            SynthesizeVoice.speechRate,
        ]
        /// The peak in dBFS.
        public var peakDBFS: Double = -1
        /// The silence threshold in dB.
        public var silenceThresholdDB: Double = -50
        /// The padding in seconds.
        public var paddingSeconds = 0.15
        /// The speaking rate relative to normal; `nil` for the voice's own.
        public var speechRate: Double?

        /// Parameters with the defaults.
        public init() {}

        /// Decodes and range-checks the parameters.
        public init(from decoder: any Decoder) throws {
            let reader = try StageParameterReader(decoder)
            peakDBFS = try reader.number(SynthesizeVoice.peakDBFS) ?? peakDBFS
            silenceThresholdDB = try reader.number(SynthesizeVoice.silenceThresholdDB) ?? silenceThresholdDB
            paddingSeconds = try reader.number(SynthesizeVoice.paddingSeconds) ?? paddingSeconds
            speechRate = try reader.number(SynthesizeVoice.speechRate)
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
        let request = SpeechRequest(
            text: script.current.text, format: .wav, speed: parameters.speechRate, wantsWordTimings: true,
            language: script.language)
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

        // One buffer at a time: the untrimmed voice is let go when the trimmed copy replaces it, and the gain is
        // applied in place (20 minutes of 22.05 kHz mono is 106 MB a copy).
        var lead = 0.0
        (audio, lead) = Self.trimmed(audio, thresholdDB: threshold, padding: padding)
        Self.normalise(&audio, peakDBFS: peak)
        let normalised = audio
        let ref = try await context.artifacts.put(WAV.encode(normalised, format: .pcm16), fileExtension: "wav")
        let words = speech.wordTimings?.map {
            TimedWord(
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

    /// Scales the audio in place so its highest sample peak is `peakDBFS`; silence stays silence.
    static func normalise(_ audio: inout AudioBuffer, peakDBFS: Double) {
        let peak = audio.samples.reduce(Float(0)) { max($0, abs($1)) }
        guard peak > 0 else { return }
        let gain = Float(pow(10, peakDBFS / 20)) / peak
        audio.samples.withUnsafeMutableBufferPointer { samples in
            for index in samples.indices { samples[index] *= gain }
        }
    }
}
