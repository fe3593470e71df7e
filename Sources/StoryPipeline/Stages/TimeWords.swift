import Foundation
import MediaIO
public import PipelineKit
import ProviderKit
import StoryForgeCore
import StoryModels

/// Stage 5: times the script's words against the voice (the synthesizer's timings, or else the transcriber's),
/// snaps every shot boundary into the pause between its last and the next shot's first word, and writes SRT and
/// karaoke ASS subtitles.
///
/// Parameters: `width` (1080), `height` (1920): the frame the subtitles are laid out for (``MediaIO/ASSStyle/forFrame(width:height:fontName:)``:
/// canvas, safe margins and font size in proportion to it; the configuration's `render` size or `aspect` is copied
/// here); `max_characters_per_line` (what fits between the margins at that font size in the text's script: 22 for
/// English and 12 for Japanese in the default 1080×1920 frame), `max_lines` (2), `title_hook` (false: when true the
/// ASS subtitles open with a title at the top of the frame over the first 3 s, in
/// ``MediaIO/ASSStyle/titleForFrame(width:height:fontName:)``), `hook_text` (the title's text; the story's title
/// when not given; the configuration's `story.title_hook` sets both). The font is chosen for the script
/// (``MediaIO/SubtitleFont/family(for:language:)``).
public struct TimeWords: StoryStage {
    /// `timing`.
    public static let id: StageID = "timing"
    /// Bumped when the alignment or the subtitles change (2: cues end with the voice; 3: layout follows the frame and
    /// the script).
    public static let version = 3

    /// `max_characters_per_line`: 42 is the widest line any subtitle guideline allows (Netflix), 80 leaves room.
    public static let maxCharactersPerLine = StageParameter.integer(
        "max_characters_per_line", in: 8...80, unit: "characters")
    /// `max_lines`: lines per cue.
    public static let maxLines = StageParameter.integer("max_lines", in: 1...4)
    /// `title_hook`: overlay the title over the first seconds.
    public static let titleHook = StageParameter.bool("title_hook")
    /// `hook_text`: the title hook's text instead of the story's title.
    public static let hookText = StageParameter.string("hook_text")
    /// 3 s: the window in which short-video viewers decide to keep watching, which a title hook is for.
    static let hookSeconds = 3.0

    /// The stage's parameters.
    public struct Parameters: StoryStageParameters {
        /// `max_characters_per_line`, `max_lines`, `width`, `height`.
        public static let declarations = [
            TimeWords.maxCharactersPerLine, TimeWords.maxLines, RenderParameter.width, RenderParameter.height,
            TimeWords.titleHook, TimeWords.hookText,
        ]
        /// The widest subtitle line, in characters; `nil` for what fits the frame in the text's script.
        public var maxCharactersPerLine: Int?
        /// Lines per cue.
        public var maxLines = 2
        /// The frame width in pixels.
        public var width = 1080
        /// The frame height in pixels.
        public var height = 1920
        /// Whether the title is overlaid over the first seconds.
        public var titleHook = false
        /// The hook's text; `nil` for the story's title.
        public var hookText: String?

        /// Parameters with the defaults.
        public init() {}

        /// Decodes and range-checks the parameters.
        public init(from decoder: any Decoder) throws {
            let reader = try StageParameterReader(decoder)
            maxCharactersPerLine = try reader.integer(TimeWords.maxCharactersPerLine)
            maxLines = try reader.integer(TimeWords.maxLines) ?? maxLines
            width = try reader.integer(RenderParameter.width) ?? width
            height = try reader.integer(RenderParameter.height) ?? height
            titleHook = try reader.bool(TimeWords.titleHook) ?? titleHook
            hookText = try reader.string(TimeWords.hookText)
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
        var timed: [TimedWord]
        if let reported = voice.reportedWords, !reported.isEmpty {
            timed = reported.map { TimedWord($0.word, start: $0.start, end: $0.end) }
        } else if let transcriber = services.providers.transcriber {
            let audio = try await context.artifacts.data(for: voice.audio)
            do {
                let transcription = try await transcriber.transcribe(
                    TranscriptionRequest(audio: audio, format: .wav, language: script.language, prompt: nil))
                timed = transcription.words.map { TimedWord($0.word, start: $0.start, end: $0.end) }
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
        state.words = words
        state.shotlist = Self.snapped(shotlist, to: words, voiceDuration: voice.duration)

        let text = script.current.text
        let style = ASSStyle.forFrame(
            width: parameters.width, height: parameters.height,
            fontName: SubtitleFont.family(for: text, language: script.language))
        let lineLength =
            parameters.maxCharactersPerLine ?? style.charactersPerLine(wide: SubtitleFont.isWide(text))
        let segmenter = SubtitleSegmenter(
            configuration: .init(maxCharactersPerLine: lineLength, maxLines: parameters.maxLines))
        let cues = segmenter.segment(words, voiceDuration: voice.duration)
        let srt = try await context.artifacts.put(Data(SRT.format(cues).utf8), fileExtension: "srt")
        var title: ASS.Title?
        if parameters.titleHook, let text = parameters.hookText ?? state.idea?.title, !text.isEmpty {
            // The hook's own script may differ from the narration's (an English title over German speech).
            let font = SubtitleFont.family(for: text, language: script.language)
            title = ASS.Title(
                text: String(text.prefix(200)), end: min(Self.hookSeconds, voice.duration),
                style: ASSStyle.titleForFrame(width: parameters.width, height: parameters.height, fontName: font))
        }
        let ass = try await context.artifacts.put(
            Data(ASS.format(cues, style: style, karaoke: true, title: title).utf8), fileExtension: "ass")
        let track = SubtitleTrack(
            language: script.language,
            cues: cues.map { cue in
                SubtitleTrack.Cue(
                    start: cue.start, end: cue.end, text: cue.text,
                    words: cue.words)
            })
        state.subtitles = SubtitleFiles(track: track, srt: srt, ass: ass)
        return StoryStageReport(provider: provider, model: model, costUsd: cost)
    }

    /// Moves each boundary between shots to the middle of the pause between the last word of one and the first
    /// word of the next; the first shot starts at 0 and the last ends with the voice.
    static func snapped(_ shotlist: Shotlist, to words: [TimedWord], voiceDuration: Double) -> Shotlist {
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
