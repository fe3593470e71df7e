public import Foundation
public import PipelineKit
import StoryForgeCore
import StoryModels

/// A story's storyboard: one entry per shot with its timing, narration, picture prompt and chosen media, written as
/// `storyboard.json` beside a contact sheet (`storyboard.html`) when a run stops for review (`story-demo
/// --stop-after keyframes`), and into every finished export.
///
/// The user edits it and hands it back (`story-demo --resume RUN --storyboard storyboard.json`): a changed
/// `visual_prompt` repaints that shot's keyframe, a changed `narration` re-voices and re-times the story, and
/// `user_media` points a shot at a file of the user's own (an image, or a clip ffprobe can read; a relative path is
/// relative to the storyboard file). Everything else is read only: ids, timing, source and media say what the run
/// made; the number of shots and their ids must stay as they are.
///
/// The file (snake_case keys, as every story document; `media` is relative to the storyboard file):
///
/// ```json
/// {
///   "format": "storyforge.storyboard",
///   "version": 1,
///   "run_id": "20261202-170501-3f2a",
///   "title": "The Lighthouse Keeper's Last Night",
///   "stopped_after": "keyframe-collect",
///   "shots": [
///     {
///       "id": 0,
///       "start": 0,
///       "end": 3.48,
///       "narration": "Every night for forty years, Elias climbed the stairs.",
///       "visual_prompt": "an old keeper climbing a spiral stair, lamp light",
///       "mood": "quiet",
///       "kind": "still",
///       "source": "procedural",
///       "source_item": null,
///       "match_score": null,
///       "media": "keyframes/001.png",
///       "user_media": null
///     }
///   ]
/// }
/// ```
///
/// `stopped_after` is the stage the run stopped after for review, `null` in a finished story's export. `kind` is
/// `still` or `clip` (a clip shot's `media` is its poster frame); `source` is the source that supplied the media
/// (``ShotMedia/source``: `procedural`, `openai-images`, `library`, `comfyui`, `pexels`, `openai-video`, `user`);
/// `match_score` (0…1) is set for sources that search; `media` is `null` before keyframes exist.
public struct Storyboard: Codable, Hashable, Sendable {
    /// The value of ``format``: what the file is, for readers that meet it out of context.
    public static let formatName = "storyforge.storyboard"
    /// The version this release writes and reads; a file of any other version is refused.
    public static let currentVersion = 1
    /// The name of the file in an output directory.
    public static let fileName = "storyboard.json"
    /// The name of the contact sheet beside it.
    public static let contactSheetName = "storyboard.html"
    /// The largest storyboard file read: 4 MiB, far above 200 shots (the hard shot limit) of long narration.
    public static let readLimit = 4 << 20

    /// One shot of the storyboard.
    public struct Shot: Codable, Hashable, Sendable {
        /// The shot's id (``StoryModels/Shot/id``); must stay as written.
        public var id: Int
        /// When the shot starts, in seconds from the start of the voice.
        public var start: Double
        /// When the shot ends, in seconds.
        public var end: Double
        /// The narration spoken over the shot; an edit re-voices and re-times the story.
        public var narration: String
        /// The prompt of the shot's keyframe; an edit repaints that keyframe.
        public var visualPrompt: String
        /// The shot's mood, which the keyframe prompt also names.
        public var mood: String
        /// A still or a clip.
        public var kind: ShotMedia.Kind
        /// The source that supplied the media (``ShotMedia/source``).
        public var source: String
        /// The media's name at its source (a library file name, a stock id, the user's file name).
        public var sourceItem: String?
        /// How well searched media matched the shot, 0…1; `nil` for generated media.
        public var matchScore: Double?
        /// The shot's picture, relative to the storyboard file; `nil` before keyframes exist.
        public var media: String?
        /// A file of the user's own for this shot (image or clip), absolute or relative to the storyboard file;
        /// `nil` keeps the shot's media.
        public var userMedia: String?

        /// Creates a shot entry.
        public init(
            id: Int, start: Double, end: Double, narration: String, visualPrompt: String, mood: String = "",
            kind: ShotMedia.Kind = .still, source: String, sourceItem: String? = nil, matchScore: Double? = nil,
            media: String? = nil, userMedia: String? = nil
        ) {
            self.id = id
            self.start = start
            self.end = end
            self.narration = narration
            self.visualPrompt = visualPrompt
            self.mood = mood
            self.kind = kind
            self.source = source
            self.sourceItem = sourceItem
            self.matchScore = matchScore
            self.media = media
            self.userMedia = userMedia
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case id, start, end, narration, visualPrompt, mood, kind, source, sourceItem, matchScore, media, userMedia
        }

        /// Writes every key, `null` included, so that the user sees the fields they may fill (`user_media`).
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(start, forKey: .start)
            try container.encode(end, forKey: .end)
            try container.encode(narration, forKey: .narration)
            try container.encode(visualPrompt, forKey: .visualPrompt)
            try container.encode(mood, forKey: .mood)
            try container.encode(kind, forKey: .kind)
            try container.encode(source, forKey: .source)
            try container.encode(sourceItem, forKey: .sourceItem)
            try container.encode(matchScore, forKey: .matchScore)
            try container.encode(media, forKey: .media)
            try container.encode(userMedia, forKey: .userMedia)
        }
    }

    /// Always ``formatName``.
    public var format: String
    /// The file's version, ``currentVersion`` when written by this release.
    public var version: Int
    /// The run the storyboard was made from; a resume checks it.
    public var runId: String
    /// The story's title.
    public var title: String
    /// The stage the run stopped after for review; `nil` for a finished story.
    public var stoppedAfter: String?
    /// The shots, in order.
    public var shots: [Shot]

    /// Creates a storyboard.
    public init(runId: String, title: String, stoppedAfter: String? = nil, shots: [Shot]) {
        self.format = Self.formatName
        self.version = Self.currentVersion
        self.runId = runId
        self.title = title
        self.stoppedAfter = stoppedAfter
        self.shots = shots
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case format, version, runId, title, stoppedAfter, shots
    }

    /// Writes every key, `null` included.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(format, forKey: .format)
        try container.encode(version, forKey: .version)
        try container.encode(runId, forKey: .runId)
        try container.encode(title, forKey: .title)
        try container.encode(stoppedAfter, forKey: .stoppedAfter)
        try container.encode(shots, forKey: .shots)
    }

    /// The relative path of shot `index`'s picture in an output directory: the exporter's `keyframes/NNN.png`.
    public static func mediaPath(forShotAt index: Int) -> String {
        String(format: "keyframes/%03d.png", index + 1)
    }
}

extension Storyboard {
    /// The storyboard of `state`: one entry per shot of its shot list, with media paths as the exporter writes them.
    ///
    /// - Parameter stoppedAfter: the stage the run stopped after for review, `nil` for a finished story.
    public init(state: StoryState, runID: RunID, stoppedAfter: StageID? = nil) {
        let shots = state.shotlist?.shots ?? []
        let pictures = state.upscaledKeyframes ?? state.keyframes
        let imageSource = state.stageRecords.first { $0.stage == "keyframes" }?.provider ?? "images"
        let entries = shots.enumerated().map { index, shot in
            let media = state.shotMedia?.first { $0.shotID == shot.id }
            return Shot(
                id: shot.id, start: shot.start, end: shot.end, narration: shot.narration.text,
                visualPrompt: shot.visualPrompt, mood: shot.mood, kind: media?.kind ?? .still,
                source: media?.source ?? imageSource, sourceItem: media?.sourceItem, matchScore: media?.matchScore,
                media: (pictures.map { index < $0.count } ?? false) ? Self.mediaPath(forShotAt: index) : nil)
        }
        let title = state.idea.map { $0.rankedTitles.first?.text ?? $0.title } ?? state.request.topic
        self.init(runId: runID.rawValue, title: title, stoppedAfter: stoppedAfter?.rawValue, shots: entries)
    }

    /// The storyboard as JSON (snake_case keys, sorted, pretty-printed).
    public func jsonData() throws -> Data {
        try StoryJSON.encode(self)
    }

    /// Reads a storyboard strictly: a key this version does not define, a missing or mistyped field, another
    /// `format` or `version` is an error naming it (`shots[2].visual_promt: unknown key`), so that a typo is never
    /// silently ignored.
    ///
    /// - Throws: ``StoryPipelineError`` with code `invalidConfiguration`.
    public static func decode(_ data: Data, source: String = fileName) throws(StoryPipelineError) -> Storyboard {
        guard data.count <= readLimit else {
            throw .invalidConfiguration("\(source): \(data.count) bytes, more than a storyboard's \(readLimit)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw .invalidConfiguration("\(source) is not JSON: \(FileNames.reason(error))", underlying: error)
        }
        guard let top = object as? [String: Any] else {
            throw .invalidConfiguration("\(source): expected an object with format, version, run_id and shots")
        }
        // The version first: a file of another version gets that answer rather than a list of unknown keys.
        guard top["format"] as? String == formatName else {
            throw .invalidConfiguration("\(source): format: expected \"\(formatName)\"")
        }
        guard let version = top["version"] as? Int, version == currentVersion else {
            throw .invalidConfiguration(
                "\(source): version \(top["version"].map { "\($0)" } ?? "missing"): this release reads version "
                    + "\(currentVersion) only; write the storyboard again with --stop-after")
        }
        try refuseUnknownKeys(top, known: CodingKeys.allCases.map(\.stringValue), at: "", source: source)
        if let shots = top["shots"] as? [Any] {
            for (index, shot) in shots.enumerated() {
                guard let shot = shot as? [String: Any] else {
                    throw .invalidConfiguration("\(source): shots[\(index)]: expected an object")
                }
                try refuseUnknownKeys(
                    shot, known: Shot.CodingKeys.allCases.map(\.stringValue), at: "shots[\(index)].", source: source)
            }
        }
        let board: Storyboard
        do {
            board = try StoryJSON.decode(Storyboard.self, from: data)
        } catch {
            throw .invalidConfiguration("\(source): \(error)", underlying: error)
        }
        for (index, shot) in board.shots.enumerated() {
            guard shot.start.isFinite, shot.end.isFinite else {
                throw .invalidConfiguration("\(source): shots[\(index)]: start and end must be finite numbers")
            }
        }
        return board
    }

    private static func refuseUnknownKeys(_ object: [String: Any], known: [String], at path: String, source: String)
        throws(StoryPipelineError)
    {
        let allowed = Set(known.map(snakeCased))
        if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw .invalidConfiguration(
                "\(source): \(path)\(unknown): unknown key (expected \(allowed.sorted().joined(separator: ", ")))")
        }
    }

    /// `visualPrompt` → `visual_prompt`, as ``StoryModels/StoryJSON`` writes keys.
    private static func snakeCased(_ name: String) -> String {
        var result = ""
        for character in name {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}
