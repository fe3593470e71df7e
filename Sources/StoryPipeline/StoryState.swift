public import PipelineKit
public import StoryForgeCore
public import StoryModels

/// What a story run is asked to make: the pipeline's input.
///
/// Everything that changes the result belongs here (or in the stages' configuration), because it is part of every
/// stage's cache key: the same request with the same providers reuses every finished stage.
public struct StoryRequest: Codable, Hashable, Sendable {
    /// The topic the story is about; empty lets the idea stage choose.
    public var topic: String
    /// The seed passed to every provider that takes one, and to procedural choices.
    public var seed: Int
    /// The spoken length to aim for, in seconds.
    public var targetSeconds: Double
    /// The BCP-47 language of the narration (`en`, `de`, …).
    public var language: String
    /// How many candidate ideas the idea stage asks for.
    public var ideaCount: Int
    /// The providers and models in use (``StoryProviders/fingerprint``), so that changing a model reruns its stages.
    public var providers: String

    /// Creates a request.
    public init(
        topic: String,
        seed: Int = 0,
        targetSeconds: Double = 45,
        language: String = "en",
        ideaCount: Int = 3,
        providers: String = ""
    ) {
        self.topic = topic
        self.seed = seed
        self.targetSeconds = targetSeconds
        self.language = language
        self.ideaCount = ideaCount
        self.providers = providers
    }
}

/// The voice-over of a story: the mastered WAV and how long it lasts.
public struct VoiceTrack: Codable, Hashable, Sendable {
    /// The WAV file in the artifact store.
    public var audio: ArtifactRef
    /// Its duration in seconds.
    public var duration: Double
    /// Word timings the synthesizer reported, relative to the start of `audio`; `nil` when it reports none.
    public var reportedWords: [TimedWord]?

    /// Creates a voice track.
    public init(audio: ArtifactRef, duration: Double, reportedWords: [TimedWord]? = nil) {
        self.audio = audio
        self.duration = duration
        self.reportedWords = reportedWords
    }
}

/// The subtitle files of a story.
public struct SubtitleFiles: Codable, Hashable, Sendable {
    /// The cues, with their words.
    public var track: SubtitleTrack
    /// SubRip text.
    public var srt: ArtifactRef
    /// Advanced SubStation Alpha with karaoke timing, styled for a vertical frame.
    public var ass: ArtifactRef

    /// Creates the record.
    public init(track: SubtitleTrack, srt: ArtifactRef, ass: ArtifactRef) {
        self.track = track
        self.srt = srt
        self.ass = ass
    }
}

/// Everything a story run has made so far; each stage of the default pipeline reads it and returns it with its own
/// part filled in.
///
/// Big things (audio, images, video) are ``ArtifactRef``s into the run's artifact store; the state itself stays a
/// few kilobytes, which is what each checkpoint stores.
public struct StoryState: Codable, Hashable, Sendable {
    /// The request the run started from.
    public var request: StoryRequest
    /// Candidate ideas, best first.
    public var candidates: [StoryIdea]
    /// The chosen idea.
    public var idea: StoryIdea?
    /// The script with its versions.
    public var script: Script?
    /// The shot list, timed to the voice once the voice exists.
    public var shotlist: Shotlist?
    /// The voice-over.
    public var voice: VoiceTrack?
    /// The script's words timed against the voice.
    public var words: [TimedWord]?
    /// The subtitle files.
    public var subtitles: SubtitleFiles?
    /// The keyframe prompts, one per shot.
    public var keyframePrompts: [KeyframePrompt]?
    /// The keyframes as generated, one per shot.
    public var keyframes: [ArtifactRef]?
    /// The keyframes at the render size.
    public var upscaledKeyframes: [ArtifactRef]?
    /// What each shot shows (a still or a clip) and which source supplied it, one per shot; `nil` when every shot
    /// is a still from the image provider (and then absent from every encoding, so cache keys of such runs are
    /// unchanged).
    public var shotMedia: [ShotMedia]?
    /// Where the video holds one unmoving picture on purpose, in seconds (still shots without motion, clips held on
    /// their last frame), for the quality gate's frozen-frame check; set by the assemble stage for stories with
    /// ``shotMedia`` only (`nil` otherwise, and then absent from every encoding).
    public var heldStretches: [ClosedRange<Double>]?
    /// The rendered video.
    public var video: ArtifactRef?
    /// The video's duration in seconds.
    public var videoDuration: Double?
    /// The quality report of the video.
    public var qc: QCSummary?
    /// Which provider and model each stage used, how long it took and what it consumed.
    public var stageRecords: [ExportManifest.StageRecord]
    /// The limits that cut what a model asked for (words, shots, image calls), one line each, for the manifest's
    /// ``ExportManifest/capsApplied``; `nil` when none applied (and then absent from every encoding, so cache keys
    /// of runs within the limits are unchanged).
    public var capsApplied: [String]?

    /// A state holding only the request.
    public init(request: StoryRequest) {
        self.request = request
        self.candidates = []
        self.stageRecords = []
    }

    /// Returns the value of a field an earlier stage should have filled, or throws naming the missing stage.
    ///
    /// - Throws: ``StoryPipelineError`` with code `missingInput`: "`what` is missing: run the `stage` stage first".
    public func require<Value>(_ value: Value?, _ what: String, from stage: String) throws(StoryPipelineError) -> Value
    {
        guard let value else {
            throw StoryPipelineError.missingInput("\(what) is missing: run the \(stage) stage first")
        }
        return value
    }

    /// The value of a field the default pipeline's stages fill, or an error naming the stage that fills it:
    /// `try state.required(\.script)`.
    ///
    /// - Throws: ``StoryPipelineError`` with code `missingInput` when the field is still `nil`.
    public func required<Value>(_ field: KeyPath<StoryState, Value?>) throws(StoryPipelineError) -> Value {
        let (what, stage) = Self.producers()[field] ?? ("a field of the story state", "earlier")
        return try require(self[keyPath: field], what, from: stage)
    }

    /// Which stage fills each optional field, and how to name the field in an error.
    private static func producers() -> [PartialKeyPath<StoryState>: (String, String)] {
        [
            \StoryState.idea: ("the chosen idea", SelectIdea.id.rawValue),
            \StoryState.script: ("the script", WriteScript.id.rawValue),
            \StoryState.shotlist: ("the shot list", PlanShots.id.rawValue),
            \StoryState.voice: ("the voice", SynthesizeVoice.id.rawValue),
            \StoryState.words: ("the word timings", TimeWords.id.rawValue),
            \StoryState.subtitles: ("the subtitles", TimeWords.id.rawValue),
            \StoryState.keyframePrompts: ("the keyframe prompts", PlanKeyframes.id.rawValue),
            \StoryState.keyframes: ("the keyframes", PaintKeyframe.id.rawValue),
            \StoryState.upscaledKeyframes: ("the upscaled keyframes", UpscaleKeyframes.id.rawValue),
            \StoryState.video: ("the video", AssembleVideo.id.rawValue),
            \StoryState.videoDuration: ("the video's duration", AssembleVideo.id.rawValue),
            \StoryState.qc: ("the quality report", QualityCheck.id.rawValue),
        ]
    }

    /// Notes that a limit cut what a model asked for (shown in the manifest's ``ExportManifest/capsApplied``).
    public mutating func noteCap(_ note: String) {
        capsApplied = (capsApplied ?? []).filter { $0 != note } + [note]
    }

    /// Records (or replaces) what a stage used; a ``StoryStage`` has this done by its adapter.
    public mutating func record(_ record: ExportManifest.StageRecord) {
        stageRecords.removeAll { $0.stage == record.stage }
        stageRecords.append(record)
    }
}
