public import Foundation
public import ProviderKit

/// What a shot asks of a media source: its pictures in words, its length and size, and what it should stay
/// consistent with.
public struct ShotMediaRequest: Sendable, Hashable {
    /// The shot's id (``StoryModels/Shot/id``).
    public var shotID: Int
    /// The full image prompt (visual prompt, mood and the shared style), as an image model is asked.
    public var prompt: String
    /// What to avoid, for generators that take it.
    public var negativePrompt: String?
    /// The shot's visual prompt alone, for search sources.
    public var visualPrompt: String
    /// The words spoken over the shot.
    public var narration: String
    /// Search words from the visual prompt and the narration (``MediaKeywords/keywords(in:)``), most telling first.
    public var keywords: [String]
    /// How long the shot lasts, in seconds.
    public var seconds: Double
    /// The width asked of generators, in pixels.
    public var width: Int
    /// The height asked of generators, in pixels.
    public var height: Int
    /// The shot's seed.
    public var seed: Int
    /// The story's reference images (characters, style), encoded; passed to every source that accepts them.
    public var references: [Data]
    /// Every shot of the story in order, with its keywords: search sources spread their picks over the story (each
    /// item once before any repeats) by choosing for all shots the same way in every child.
    public var storyShots: [ShotQuery]

    /// One shot's search words.
    public struct ShotQuery: Sendable, Hashable, Codable {
        /// The shot's id.
        public var shotID: Int
        /// Its keywords.
        public var keywords: [String]

        /// Creates a query.
        public init(shotID: Int, keywords: [String]) {
            self.shotID = shotID
            self.keywords = keywords
        }
    }

    /// Creates a request.
    public init(
        shotID: Int, prompt: String, negativePrompt: String? = nil, visualPrompt: String, narration: String,
        keywords: [String], seconds: Double, width: Int, height: Int, seed: Int, references: [Data] = [],
        storyShots: [ShotQuery] = []
    ) {
        self.shotID = shotID
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.visualPrompt = visualPrompt
        self.narration = narration
        self.keywords = keywords
        self.seconds = seconds
        self.width = width
        self.height = height
        self.seed = seed
        self.references = references
        self.storyShots = storyShots
    }

    /// Portrait, landscape or square, from the size asked.
    public var orientation: MediaOrientation {
        width == height ? .square : (width < height ? .portrait : .landscape)
    }
}

/// The shape of a picture: how stock search filters, and how a match is preferred.
public enum MediaOrientation: String, Sendable, Hashable, Codable, CaseIterable {
    /// Taller than wide.
    case portrait
    /// Wider than tall.
    case landscape
    /// As wide as tall.
    case square
}

/// What a source supplied for a shot: a still (encoded image bytes) or a clip (a file the source wrote into the
/// directory it was given).
public struct ShotMediaCandidate: Sendable, Hashable {
    /// The media itself.
    public enum Content: Sendable, Hashable {
        /// An encoded PNG or JPEG.
        case still(Data)
        /// A video file in the directory the source was given.
        case clip(URL)
    }

    /// The media.
    public var content: Content
    /// How well it matched the shot, 0...1, for search sources; `nil` for generated media.
    public var matchScore: Double?
    /// Its name at the source (a library file name, a stock id).
    public var sourceItem: String?
    /// Who made it, for stock media.
    public var attribution: ShotMedia.Attribution?
    /// What it cost in US dollars (0 for free sources), booked against the media budget.
    public var costUsd: Double
    /// Whether the source used the request's reference images (recorded in the manifest).
    public var usedReferences: Bool

    /// Creates a candidate.
    public init(
        content: Content, matchScore: Double? = nil, sourceItem: String? = nil,
        attribution: ShotMedia.Attribution? = nil, costUsd: Double = 0, usedReferences: Bool = false
    ) {
        self.usedReferences = usedReferences
        self.content = content
        self.matchScore = matchScore
        self.sourceItem = sourceItem
        self.attribution = attribution
        self.costUsd = costUsd
    }
}

/// Where a shot's picture comes from: a generator (procedural art, OpenAI images, ComfyUI, OpenAI video), the user's
/// media library or stock search. The paint stage asks a story's sources in order; the first candidate wins.
///
/// A source answers `nil` when it has nothing for the shot (no library file matches, no stock result), and the next
/// source is asked; an error also falls through to the next source, and fails the shot only when no source is left.
public protocol ShotMediaSource: Sendable {
    /// The source's name in configuration files and in ``ShotMedia/source``: `library`, `procedural`, `comfyui`, …
    var name: String { get }
    /// Who answers, for the cache fingerprint: a different library folder, server or model reruns the paint stage.
    var identity: ProviderIdentity { get }
    /// The most a call may cost in US dollars, checked against the media budget before the call; 0 for free sources.
    var estimatedCostUsd: Double { get }
    /// A candidate for the shot, with any file written into `directory` (a scratch directory the caller removes),
    /// or `nil` to let the next source answer.
    func media(for request: ShotMediaRequest, in directory: URL) async throws -> ShotMediaCandidate?
}
