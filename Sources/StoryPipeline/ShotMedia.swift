public import PipelineKit
public import StoryModels

/// What a shot shows and where it came from: a still (painted, upscaled and moved by the composer) or a video clip
/// (trimmed, looped or slowed to the shot's length), with the source that supplied it.
///
/// ``StoryState/keyframes`` keeps one still per shot whatever the kind (a clip's poster frame for a clip shot),
/// so that the storyboard, QC and the upscaler have a picture for every shot; ``StoryState/shotMedia`` says what
/// the video actually shows.
public struct ShotMedia: Codable, Hashable, Sendable {
    /// A still or a clip.
    public enum Kind: String, Codable, Hashable, Sendable, CaseIterable {
        /// A picture, moved by the shot's motion (Ken Burns).
        case still
        /// A video clip.
        case clip
    }

    /// How a clip is fitted to a shot of another length.
    public enum ClipFit: String, Codable, Hashable, Sendable, CaseIterable {
        /// The clip is at least as long as the shot: its first `duration` seconds are used.
        case trim
        /// The clip is shorter: it plays again from its start until the shot ends.
        case loop
        /// The clip is shorter: it plays slower (at most 2× slower) to fill the shot.
        case slow
    }

    /// Who made a piece of stock media, for the manifest's attribution and the credits file.
    public struct Attribution: Codable, Hashable, Sendable {
        /// The author's name as the source gives it.
        public var author: String
        /// The page of the media at its source.
        public var url: String
        /// The source's name, e.g. `Pexels`.
        public var source: String
        /// The licence, when the source names one.
        public var license: String?

        /// Creates an attribution.
        public init(author: String, url: String, source: String, license: String? = nil) {
            self.author = author
            self.url = url
            self.source = source
            self.license = license
        }
    }

    /// The shot's id (``StoryModels/Shot/id``).
    public var shotID: Int
    /// A still or a clip.
    public var kind: Kind
    /// The source that supplied it: `procedural`, `openai-images`, `library`, `comfyui`, `pexels`, `openai-video`,
    /// `user` (a file the user pointed the shot at).
    public var source: String
    /// The clip file in the artifact store, for a clip shot; `nil` for a still (the still is the keyframe).
    public var clip: ArtifactRef?
    /// How the clip fits the shot's length; `nil` for a still.
    public var clipFit: ClipFit?
    /// Whether the clip's own sound is kept (ducked under the voice); clips are muted by default.
    public var clipAudio: Bool
    /// How well the media matched the shot's prompt and narration, 0...1, for sources that search (a media
    /// library, stock photos); `nil` for generated media.
    public var matchScore: Double?
    /// The media's name at its source (a library file name, a stock media id), for the storyboard.
    public var sourceItem: String?
    /// Who made it, for stock media.
    public var attribution: Attribution?
    /// What the media cost in US dollars, for paid sources; `nil` for free ones.
    public var costUsd: Double?
    /// The story's reference images the source was given, by file name; `nil` when it took none.
    public var references: [String]?

    /// Creates a record.
    public init(
        shotID: Int,
        kind: Kind,
        source: String,
        clip: ArtifactRef? = nil,
        clipFit: ClipFit? = nil,
        clipAudio: Bool = false,
        matchScore: Double? = nil,
        sourceItem: String? = nil,
        attribution: Attribution? = nil,
        costUsd: Double? = nil,
        references: [String]? = nil
    ) {
        self.costUsd = costUsd
        self.references = references
        self.shotID = shotID
        self.kind = kind
        self.source = source
        self.clip = clip
        self.clipFit = clipFit
        self.clipAudio = clipAudio
        self.matchScore = matchScore
        self.sourceItem = sourceItem
        self.attribution = attribution
    }
}

extension ShotMedia {
    /// The manifest's record of this shot's media.
    public var manifestRecord: ExportManifest.ShotMediaRecord {
        ExportManifest.ShotMediaRecord(
            shotId: shotID, kind: kind.rawValue, source: source, sourceItem: sourceItem, matchScore: matchScore,
            clipFit: clipFit?.rawValue, author: attribution?.author, url: attribution?.url,
            license: attribution?.license, references: references, costUsd: costUsd)
    }

    /// The lines of `credits.txt` for these shots' stock media: one per distinct item, in shot order; empty when none
    /// has an author to credit.
    public static func credits(_ media: [ShotMedia]) -> [String] {
        var seen: Set<String> = []
        return media.compactMap { item in
            guard let attribution = item.attribution, seen.insert(attribution.url).inserted else { return nil }
            let license = attribution.license.map { ", \($0)" } ?? ""
            return "Shot \(item.shotID): \(attribution.author) on \(attribution.source)\(license), \(attribution.url)"
        }
    }
}
