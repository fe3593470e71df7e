import Foundation

/// The configuration file's `media` section: where each shot's picture comes from, in order.
///
/// ```json
/// "media": {
///   "sources": ["library", "comfyui", "pexels", "procedural"],
///   "library": "/home/me/footage",
///   "references": ["/home/me/hero.png"],
///   "budget_usd": 2.5,
///   "comfyui": { "url": "http://127.0.0.1:8188", "image_workflow": "Examples/comfyui/image-workflow.json" },
///   "openai_video": { "model": "sora-2", "max_seconds": 8 }
/// }
/// ```
///
/// Without the section every shot is a still from `providers.images`, as before. Sources: `library` (the folder
/// `library`), `images` (the `providers.images` choice), `procedural`, `openai-images`, `comfyui` (its image
/// workflow), `comfyui-video` (its video workflow), `pexels` (photos), `pexels-video`, `openai-video`. Paid sources
/// (`openai-images`, `openai-video`, `images` when that is OpenAI) are refused once `budget_usd` is spent, and the
/// next source answers.
public struct MediaConfiguration: Codable, Sendable, Hashable {
    /// Every source name the section accepts.
    public static let sourceNames = [
        "library", "images", "procedural", "openai-images", "comfyui", "comfyui-video", "pexels", "pexels-video",
        "openai-video",
    ]
    /// 12 sources: more than every kind once is a typo.
    public static let maxSources = 12
    /// 8 reference images: what ComfyUI's and OpenAI's reference slots take is far fewer.
    public static let maxReferences = 8
    /// `budget_usd`: at most 10 000 US dollars per story.
    public static let budgetRange: ClosedRange<Double> = 0...10_000

    /// ComfyUI's address and workflow templates.
    public struct ComfyUI: Codable, Sendable, Hashable {
        /// The server, `http://127.0.0.1:8188` by default (or `COMFYUI_URL`).
        public var url: String?
        /// The image workflow template (API format, with placeholders); the shipped example when absent.
        public var imageWorkflow: String?
        /// The video workflow template.
        public var videoWorkflow: String?

        /// Creates the section.
        public init(url: String? = nil, imageWorkflow: String? = nil, videoWorkflow: String? = nil) {
            self.url = url
            self.imageWorkflow = imageWorkflow
            self.videoWorkflow = videoWorkflow
        }
    }

    /// OpenAI video's model and clip length.
    public struct OpenAIVideo: Codable, Sendable, Hashable {
        /// The model (`sora-2` by default).
        public var model: String?
        /// The longest clip asked for, 1...20 seconds (8 by default); a longer shot loops the clip.
        public var maxSeconds: Double?

        /// Creates the section.
        public init(model: String? = nil, maxSeconds: Double? = nil) {
            self.model = model
            self.maxSeconds = maxSeconds
        }
    }

    /// The sources in the order they are asked.
    public var sources: [String]
    /// The media library folder, for the `library` source.
    public var library: String?
    /// Character and style reference images passed to every source that takes them.
    public var references: [String]?
    /// The most the paid sources may spend on one story, in US dollars; `nil` for no limit.
    public var budgetUsd: Double?
    /// ComfyUI's settings.
    public var comfyui: ComfyUI?
    /// OpenAI video's settings.
    public var openaiVideo: OpenAIVideo?
    /// Whether clips keep their own sound (ducked under the voice); muted by default.
    public var clipAudio: Bool?

    /// Creates the section.
    public init(
        sources: [String], library: String? = nil, references: [String]? = nil, budgetUsd: Double? = nil,
        comfyui: ComfyUI? = nil, openaiVideo: OpenAIVideo? = nil, clipAudio: Bool? = nil
    ) {
        self.sources = sources
        self.library = library
        self.references = references
        self.budgetUsd = budgetUsd
        self.comfyui = comfyui
        self.openaiVideo = openaiVideo
        self.clipAudio = clipAudio
    }

    /// The problems of the section, each with its path under `media`.
    public var issues: [String] {
        var issues: [String] = []
        if sources.isEmpty { issues.append("media.sources: name at least one source") }
        if sources.count > Self.maxSources {
            issues.append("media.sources: at most \(Self.maxSources) sources, got \(sources.count)")
        }
        for (index, name) in sources.enumerated() where !Self.sourceNames.contains(name) {
            issues.append(
                "media.sources.\(index): unknown source \"\(name.prefix(40))\" ("
                    + Self.sourceNames.joined(separator: ", ") + ")")
        }
        if sources.contains("library"), library?.isEmpty ?? true {
            issues.append("media.library: the library source needs a folder")
        }
        if let references, references.count > Self.maxReferences {
            issues.append("media.references: at most \(Self.maxReferences) images, got \(references.count)")
        }
        if let budgetUsd, !budgetUsd.isFinite || !Self.budgetRange.contains(budgetUsd) {
            issues.append("media.budget_usd: must be a number between 0 and 10000 US dollars")
        }
        if let seconds = openaiVideo?.maxSeconds, !seconds.isFinite || !(1...20).contains(seconds) {
            issues.append("media.openai_video.max_seconds: must be a number between 1 and 20 seconds")
        }
        return issues
    }

    /// The keys the section and its subsections accept, for the strict decoder.
    static let keys: [String: Set<String>] = [
        "media": ["sources", "library", "references", "budget_usd", "comfyui", "openai_video", "clip_audio"],
        "media.comfyui": ["url", "image_workflow", "video_workflow"],
        "media.openai_video": ["model", "max_seconds"],
    ]

    /// Checks the section's keys (`media.comfyui.urll: unknown key`) before it is decoded.
    static func checkKeys(_ value: Any) throws(StoryPipelineError) {
        guard let object = value as? [String: Any] else { throw .invalidConfiguration("media: must be an object") }
        func check(_ object: [String: Any], _ path: String) throws(StoryPipelineError) {
            let allowed = keys[path] ?? []
            if let unknown = object.keys.sorted().first(where: { !allowed.contains($0) }) {
                throw .invalidConfiguration(
                    "\(path).\(unknown): unknown key (expected one of \(allowed.sorted().joined(separator: ", ")))")
            }
        }
        try check(object, "media")
        for sub in ["comfyui", "openai_video"] {
            guard let member = object[sub] else { continue }
            guard let nested = member as? [String: Any] else {
                throw .invalidConfiguration("media.\(sub): must be an object")
            }
            try check(nested, "media.\(sub)")
        }
    }
}
