public import Foundation
public import PipelineKit
import StoryModels

/// The story pipeline's configuration file (JSON).
///
/// ```json
/// {
///   "story": { "topic": "a lighthouse keeper's last night", "seed": 7, "target_seconds": 45, "language": "en",
///              "idea_count": 3 },
///   "providers": { "text": "auto", "speech": "auto", "images": "auto", "espeak_voice": "en-us" },
///   "render": { "width": 1080, "height": 1920, "fps": 30, "loudness": -14 },
///   "pipeline": {
///     "durability": "sync",
///     "stages": {
///       "revise": { "parameters": { "threshold": 70, "max_revisions": 2 } },
///       "upscale": { "enabled": false },
///       "assemble": { "parameters": { "crossfade": 0.4, "music": "/path/to/music.mp3" } },
///       "qc": { "parameters": { "warn_only": true } }
///     }
///   }
/// }
/// ```
///
/// Every section and field is optional. `render` is copied into the parameters of the `upscale`, `assemble` and `qc`
/// stages (a stage's own parameters win). Unknown keys are errors, reported with their path.
public struct StoryConfiguration: Sendable, Hashable {
    /// What to make.
    public struct Story: Codable, Sendable, Hashable {
        /// The topic; empty lets the idea stage choose.
        public var topic: String?
        /// The seed.
        public var seed: Int?
        /// Spoken length to aim for, in seconds.
        public var targetSeconds: Double?
        /// Narration language.
        public var language: String?
        /// Candidate ideas to ask for.
        public var ideaCount: Int?

        /// Creates the section.
        public init(
            topic: String? = nil, seed: Int? = nil, targetSeconds: Double? = nil, language: String? = nil,
            ideaCount: Int? = nil
        ) {
            self.topic = topic
            self.seed = seed
            self.targetSeconds = targetSeconds
            self.language = language
            self.ideaCount = ideaCount
        }
    }

    /// The output format.
    public struct Render: Codable, Sendable, Hashable {
        /// Frame width (1080).
        public var width: Int?
        /// Frame height (1920).
        public var height: Int?
        /// Frames per second (30).
        public var fps: Int?
        /// Integrated loudness target in LUFS (−14).
        public var loudness: Double?

        /// Creates the section.
        public init(width: Int? = nil, height: Int? = nil, fps: Int? = nil, loudness: Double? = nil) {
            self.width = width
            self.height = height
            self.fps = fps
            self.loudness = loudness
        }
    }

    /// What to make.
    public var story: Story
    /// Which providers to use.
    public var providers: StoryProviders.Selection
    /// The output format.
    public var render: Render
    /// Per-stage settings: enable flags, retries, timeouts, caching and parameters.
    public var pipeline: PipelineConfiguration

    /// Creates a configuration; the defaults make a 45-second 1080×1920 video with providers from the environment.
    public init(
        story: Story = Story(), providers: StoryProviders.Selection = .automatic, render: Render = Render(),
        pipeline: PipelineConfiguration = PipelineConfiguration()
    ) {
        self.story = story
        self.providers = providers
        self.render = render
        self.pipeline = pipeline
    }

    /// Reads a configuration file.
    ///
    /// - Throws: ``StoryPipelineError/invalidConfiguration(_:underlying:)`` naming the file and the failing path.
    public static func load(contentsOf url: URL) throws(StoryPipelineError) -> StoryConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw .invalidConfiguration("cannot read the configuration file \(url.path): \(error)", underlying: error)
        }
        do {
            return try decode(json: data)
        } catch {
            throw .invalidConfiguration("\(url.lastPathComponent): \(error.message)", underlying: error.underlying)
        }
    }

    /// Decodes a configuration from JSON text.
    public static func decode(json data: Data) throws(StoryPipelineError) -> StoryConfiguration {
        let object: [String: Any]
        do {
            guard let parsed = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw StoryPipelineError.invalidConfiguration("the top level must be a JSON object")
            }
            object = parsed
        } catch let error as StoryPipelineError {
            throw error
        } catch {
            throw .invalidConfiguration("not valid JSON: \(error.localizedDescription)", underlying: error)
        }
        let sections: [String: Set<String>] = [
            "story": ["topic", "seed", "target_seconds", "language", "idea_count"],
            "providers": ["text", "speech", "images", "espeak_voice"],
            "render": ["width", "height", "fps", "loudness"],
        ]
        for key in object.keys.sorted() where sections[key] == nil && key != "pipeline" {
            throw .invalidConfiguration("\(key): unknown key (expected story, providers, render or pipeline)")
        }
        for (section, allowed) in sections {
            guard let value = object[section] else { continue }
            guard let members = value as? [String: Any] else {
                throw .invalidConfiguration("\(section): must be an object")
            }
            if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
                throw .invalidConfiguration(
                    "\(section).\(unknown): unknown key (expected one of \(allowed.sorted().joined(separator: ", ")))")
            }
        }
        func section<T: Decodable>(_ name: String, as type: T.Type) throws(StoryPipelineError) -> T? {
            guard let value = object[name] else { return nil }
            do {
                let json = try JSONSerialization.data(withJSONObject: value)
                return try StoryJSON.decode(T.self, from: json)
            } catch let error as StoryModelError {
                throw .invalidConfiguration("\(name).\(error.description)", underlying: error)
            } catch {
                throw .invalidConfiguration("\(name): \(error)", underlying: error)
            }
        }
        var configuration = StoryConfiguration()
        configuration.story = try section("story", as: Story.self) ?? Story()
        configuration.providers = try section("providers", as: StoryProviders.Selection.self) ?? .automatic
        configuration.render = try section("render", as: Render.self) ?? Render()
        if let pipeline = object["pipeline"] {
            do {
                configuration.pipeline = try PipelineConfiguration.decode(
                    json: try JSONSerialization.data(withJSONObject: pipeline))
            } catch let error as PipelineError {
                throw .invalidConfiguration("pipeline.\(error.message)", underlying: error)
            } catch let error as ConfigurationError {
                throw .invalidConfiguration(
                    error.issues.map { "pipeline.\($0.description)" }.joined(separator: "; "), underlying: error)
            } catch {
                throw .invalidConfiguration("pipeline: \(error)", underlying: error)
            }
        }
        if let seconds = configuration.story.targetSeconds, !(5...600).contains(seconds) {
            throw .invalidConfiguration("story.target_seconds: must be 5…600, got \(seconds)")
        }
        if let count = configuration.story.ideaCount, !(1...10).contains(count) {
            throw .invalidConfiguration("story.idea_count: must be 1…10, got \(count)")
        }
        if let width = configuration.render.width, let height = configuration.render.height,
            !(64...4096).contains(width) || !(64...4096).contains(height) || width % 2 != 0 || height % 2 != 0
        {
            throw .invalidConfiguration("render: width and height must be even and 64…4096, got \(width)×\(height)")
        }
        return configuration
    }

    /// The configuration as a JSON document in the file format, which ``decode(json:)`` reads back.
    public func jsonData() throws -> Data {
        var object: [String: Any] = [:]
        for (key, data) in [
            ("story", try StoryJSON.encode(story)), ("providers", try StoryJSON.encode(providers)),
            ("render", try StoryJSON.encode(render)), ("pipeline", try JSONEncoder().encode(pipeline)),
        ] {
            object[key] = try JSONSerialization.jsonObject(with: data)
        }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// The pipeline configuration with `render` copied into the parameters of the stages that use it.
    public var effectivePipeline: PipelineConfiguration {
        var result = pipeline
        var render: [String: PipelineKit.JSONValue] = [:]
        if let width = self.render.width { render["width"] = .number(Double(width)) }
        if let height = self.render.height { render["height"] = .number(Double(height)) }
        if let fps = self.render.fps { render["fps"] = .number(Double(fps)) }
        if let loudness = self.render.loudness { render["loudness"] = .number(loudness) }
        guard !render.isEmpty else { return result }
        for stage in [UpscaleKeyframes.id, AssembleVideo.id, QualityCheck.id] {
            var stageConfiguration = result.stages[stage.rawValue] ?? StageConfiguration()
            var values = stageConfiguration.parameters?.values ?? [:]
            for (key, value) in render where values[key] == nil {
                // The upscale stage only needs the frame size.
                if stage == UpscaleKeyframes.id, key != "width", key != "height" { continue }
                values[key] = value
            }
            stageConfiguration.parameters = StageParameters(values)
            result.stages[stage.rawValue] = stageConfiguration
        }
        return result
    }
}
