public import Foundation
public import PipelineKit
public import ProviderKit
import StoryForgeCore
import StoryModels

/// The story pipeline's configuration file (JSON).
///
/// ```json
/// {
///   "story": { "topic": "a lighthouse keeper's last night", "seed": 7, "target_seconds": 45, "language": "en",
///              "idea_count": 3, "speech_rate": 1.1, "title_hook": true },
///   "providers": { "text": "auto", "speech": "auto", "images": "auto", "espeak_voice": "en-us" },
///   "render": { "aspect": "9:16", "fps": 30, "loudness": -14 },
///   "routing": {
///     "providers": [ { "name": "local", "kind": "ollama" },
///                    { "name": "cloud", "kind": "openai", "api_key_env": "OPENAI_API_KEY", "model": "gpt-4o" } ],
///     "default": [ { "route": "local" }, { "route": "cloud" } ],
///     "tasks": { "script": [ { "route": "cloud", "model": "gpt-4o" }, { "route": "local", "model": "llama3.2" } ] }
///   },
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
/// stages, its frame size (`aspect`, or `width` and `height`) also into `timing` (subtitle layout) and, halved,
/// `keyframes`; `story.speech_rate` into `voice`, `script` and `revise`, `story.title_hook` into `timing` (a stage's
/// own parameters win).
/// Unknown keys are errors, reported with their path.
///
/// `routing` is a ProviderKit router configuration (``ProviderKit/RouterConfiguration``, with per-task routes): when
/// present, the text provider is that router, and each stage's model calls go to the routes of its task (`ideas`,
/// `script`, `revision`, `shot_plan`); errors name their path under `routing` (`routing.tasks.script.1.model`).
public struct StoryConfiguration: Sendable, Hashable {
    /// What to make.
    public struct Story: Codable, Sendable, Hashable {
        /// The topic; empty lets the idea stage choose.
        public var topic: String?
        /// The seed.
        public var seed: Int?
        /// Spoken length to aim for, in seconds.
        public var targetSeconds: Double?
        /// Narration language: a well-formed BCP 47 tag (`en`, `de`, `es-419`, `ja`); every stage follows it.
        public var language: String?
        /// Candidate ideas to ask for.
        public var ideaCount: Int?
        /// How fast the voice speaks relative to its normal rate (``StoryConfiguration/Limits/speechRate``),
        /// copied into the `speech_rate` parameter of the `voice` stage (how fast it speaks) and of the `script` and
        /// `revise` stages (how many words the target length then takes).
        public var speechRate: Double?
        /// A title overlaid over the first seconds (`title_hook`: `true` for the story's title, a string for that
        /// text, `false` or absent for none), copied into the `timing` stage.
        public var titleHook: TitleHook?

        /// Creates the section.
        public init(
            topic: String? = nil, seed: Int? = nil, targetSeconds: Double? = nil, language: String? = nil,
            ideaCount: Int? = nil, speechRate: Double? = nil, titleHook: TitleHook? = nil
        ) {
            self.titleHook = titleHook
            self.topic = topic
            self.seed = seed
            self.targetSeconds = targetSeconds
            self.language = language
            self.ideaCount = ideaCount
            self.speechRate = speechRate
        }

        enum CodingKeys: String, CodingKey {
            case topic, seed, targetSeconds, language, ideaCount, speechRate, titleHook
        }

        /// Decodes the section, checking every value against ``StoryConfiguration/Limits`` with a message naming
        /// the key (`seed: must be an integer in 0…2^63−1, got 1e+30`).
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            topic = try container.checkedString(.topic, maxLength: Limits.topicLength)
            seed = try container.checkedInteger(.seed, in: Limits.seed)
            targetSeconds = try container.checkedNumber(.targetSeconds, in: Limits.targetSeconds, unit: "seconds")
            language = try container.checkedString(.language, maxLength: Limits.languageLength)
            if let language, !LanguageTag.isWellFormed(language) {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: container.codingPath + [CodingKeys.language],
                        debugDescription: LanguageTag.expectation(language)))
            }
            ideaCount = try container.checkedInteger(.ideaCount, in: Limits.ideaCount)
            speechRate = try container.checkedNumber(.speechRate, in: Limits.speechRate, unit: "× normal")
            if container.contains(.titleHook) {
                if let flag = try? container.decode(Bool.self, forKey: .titleHook) {
                    titleHook = flag ? .storyTitle : nil
                } else if let text = try container.checkedString(.titleHook, maxLength: Limits.hookLength) {
                    titleHook = TitleHook(text: text)
                }
            }
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
        /// The frame's shape (``FrameAspect``): `9:16` (the default), `16:9`, `1:1`, `4:5` or `WxH`; sets the frame
        /// size, and with it the keyframe size, the subtitle layout and the quality gate's expected size. `width` and
        /// `height`, if also given, must agree with it.
        public var aspect: String?

        /// Creates the section.
        public init(
            width: Int? = nil, height: Int? = nil, fps: Int? = nil, loudness: Double? = nil, aspect: String? = nil
        ) {
            self.width = width
            self.height = height
            self.fps = fps
            self.loudness = loudness
            self.aspect = aspect
        }

        enum CodingKeys: String, CodingKey {
            case width, height, fps, loudness, aspect
        }

        /// Decodes the section, checking every value against ``StoryConfiguration/Limits``: width and height each
        /// even and 64…4096 whether or not the other is given.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            width = try container.checkedInteger(.width, in: Limits.frameSize, unit: "pixels", even: true)
            height = try container.checkedInteger(.height, in: Limits.frameSize, unit: "pixels", even: true)
            fps = try container.checkedInteger(.fps, in: Limits.framesPerSecond)
            loudness = try container.checkedNumber(.loudness, in: Limits.loudness, unit: "LUFS")
            aspect = try container.checkedString(.aspect, maxLength: 40)
            if let aspect {
                do {
                    _ = try FrameAspect(aspect)
                } catch {
                    throw DecodingError.dataCorrupted(
                        .init(
                            codingPath: container.codingPath + [CodingKeys.aspect], debugDescription: error.message))
                }
            }
        }

        /// The frame size: `width` and `height`, else ``aspect``'s, else `nil` (the stages' default 1080×1920).
        public var frameSize: (width: Int, height: Int)? {
            if let aspect, let parsed = try? FrameAspect(aspect) { return (parsed.width, parsed.height) }
            if width != nil || height != nil { return (width ?? 1080, height ?? 1920) }
            return nil
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
    /// Per-task model routing for the text provider; `nil` for the one text provider `providers.text` selects.
    public var routing: RouterConfiguration?
    /// Where each shot's picture comes from (``MediaConfiguration``); `nil` for a still from `providers.images`.
    public var media: MediaConfiguration?

    /// Creates a configuration; the defaults make a 45-second 1080×1920 video with providers from the environment.
    public init(
        story: Story = Story(), providers: StoryProviders.Selection = .automatic, render: Render = Render(),
        pipeline: PipelineConfiguration = PipelineConfiguration(), routing: RouterConfiguration? = nil
    ) {
        self.story = story
        self.providers = providers
        self.render = render
        self.pipeline = pipeline
        self.routing = routing
    }

    /// Reads a configuration file (a regular file of at most 4 MiB).
    ///
    /// - Throws: ``StoryPipelineError/invalidConfiguration(_:underlying:)`` naming the file and the failing path, and
    ///   for text that is not JSON the line and column.
    public static func load(contentsOf url: URL) throws(StoryPipelineError) -> StoryConfiguration {
        let data: Data
        switch ConfigurationFile.read(url) {
        case .success(let contents): data = contents
        case .failure(let error):
            throw .invalidConfiguration("the configuration file: \(error.message)", underlying: error.underlying)
        }
        do {
            return ConfigurationYAML.isYAML(url) ? try decode(yaml: data) : try decode(json: data)
        } catch {
            throw .invalidConfiguration("\(url.lastPathComponent): \(error.message)", underlying: error.underlying)
        }
    }

    /// Decodes a configuration from YAML text, with every check of ``decode(json:)``: the YAML is read into the same
    /// structure and checked by the same code, so errors name the same paths; YAML that cannot be read gives the line
    /// and column (`line 3, column 5: mapping values are not allowed in this context`).
    public static func decode(yaml data: Data) throws(StoryPipelineError) -> StoryConfiguration {
        let json: Data
        do {
            json = try ConfigurationYAML.json(fromYAML: data)
        } catch {
            throw .invalidConfiguration(error.description, underlying: error)
        }
        return try decode(json: json)
    }

    /// Decodes a configuration from JSON text.
    ///
    /// Every number is checked against its range (``Limits``, and the stages' declared parameters when the studio
    /// is made); errors name the path (`story.seed: must be an integer in 0…2^63−1, got 1.5`), and text that is not
    /// JSON the line and column (`line 4, column 9: expected a value, found '}'`).
    public static func decode(json data: Data) throws(StoryPipelineError) -> StoryConfiguration {
        if let syntax = JSONSyntax.firstError(in: data) {
            throw .invalidConfiguration(syntax.description, underlying: syntax)
        }
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
            "story": ["topic", "seed", "target_seconds", "language", "idea_count", "speech_rate", "title_hook"],
            "providers": ["text", "speech", "images", "espeak_voice"],
            "render": ["width", "height", "fps", "loudness", "aspect"],
        ]
        for key in object.keys.sorted()
        where sections[key] == nil && key != "pipeline" && key != "routing" && key != "media" {
            throw .invalidConfiguration(
                "\(key): unknown key (expected story, providers, render, routing, media or pipeline)")
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
                let separator = error.path.isEmpty ? ": " : "."
                throw .invalidConfiguration("\(name)\(separator)\(error.description)", underlying: error)
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
        if let routing = object["routing"] {
            configuration.routing = try Self.routing(routing)
        }
        if let media = object["media"] {
            try MediaConfiguration.checkKeys(media)
            configuration.media = try section("media", as: MediaConfiguration.self)
            if let issues = configuration.media?.issues, !issues.isEmpty {
                throw .invalidConfiguration(issues.joined(separator: "; "))
            }
        }
        try configuration.validate()
        return configuration
    }

    /// The `routing` section: decoded and checked by ProviderKit (numbers, names of tasks' routes and models), each
    /// problem reported with its path under `routing`.
    /// A router configuration's error with each of its paths under `routing` (`routing.tasks.script.1.model: …`).
    static func routingError(_ error: ProviderError) -> StoryPipelineError {
        let prefix = "invalid router configuration: "
        let message = error.message.hasPrefix(prefix) ? String(error.message.dropFirst(prefix.count)) : error.message
        return .invalidConfiguration(
            message.split(separator: "; ").map { "routing.\($0)" }.joined(separator: "; "), underlying: error)
    }

    private static func routing(_ value: Any) throws(StoryPipelineError) -> RouterConfiguration {
        let prefix = "invalid router configuration: "
        let located = routingError
        guard value is [String: Any] else { throw .invalidConfiguration("routing: must be an object") }
        let routing: RouterConfiguration
        do {
            routing = try RouterConfiguration.decode(json: JSONSerialization.data(withJSONObject: value))
        } catch let error as ProviderError {
            throw located(error)
        } catch {
            throw .invalidConfiguration("routing: \(error)", underlying: error)
        }
        let issues = routing.taskRouteIssues()
        guard issues.isEmpty else { throw located(.badRequest(prefix + issues.joined(separator: "; "))) }
        return routing
    }

    /// The problems of the `story` and `render` sections against ``Limits``, each with its path; for a
    /// configuration built in code (a file is checked as it is read).
    public var issues: [ConfigurationIssue] {
        var issues: [ConfigurationIssue] = []
        func integer(_ value: Int?, _ path: String, _ range: ClosedRange<Int>, unit: String = "", even: Bool = false) {
            guard let value else { return }
            if !range.contains(value) || (even && value % 2 != 0) {
                let message = Limits.integerExpectation(range, unit: unit, even: even)
                issues.append(ConfigurationIssue(path: path, message: "must be \(message), got \(value)"))
            }
        }
        func number(_ value: Double?, _ path: String, _ range: ClosedRange<Double>, unit: String) {
            guard let value else { return }
            if !value.isFinite || !range.contains(value) {
                let message = Limits.numberExpectation(range, unit: unit)
                issues.append(
                    ConfigurationIssue(path: path, message: "must be \(message), got \(Limits.format(value))"))
            }
        }
        func text(_ value: String?, _ path: String, maxLength: Int) {
            guard let value, value.count > maxLength else { return }
            issues.append(
                ConfigurationIssue(
                    path: path, message: "must be at most \(maxLength) characters, got \(value.count)"))
        }
        text(story.topic, "story.topic", maxLength: Limits.topicLength)
        integer(story.seed, "story.seed", Limits.seed)
        number(story.targetSeconds, "story.target_seconds", Limits.targetSeconds, unit: "seconds")
        text(story.language, "story.language", maxLength: Limits.languageLength)
        if let language = story.language, language.count <= Limits.languageLength, !LanguageTag.isWellFormed(language) {
            issues.append(ConfigurationIssue(path: "story.language", message: LanguageTag.expectation(language)))
        }
        integer(story.ideaCount, "story.idea_count", Limits.ideaCount)
        number(story.speechRate, "story.speech_rate", Limits.speechRate, unit: "× normal")
        text(story.titleHook?.text, "story.title_hook", maxLength: Limits.hookLength)
        if let aspect = render.aspect {
            do {
                let frame = try FrameAspect(aspect)
                if render.width.map({ $0 != frame.width }) == true || render.height.map({ $0 != frame.height }) == true
                {
                    issues.append(
                        ConfigurationIssue(
                            path: "render.aspect",
                            message: "\(aspect) is \(frame.width)×\(frame.height), which render.width and "
                                + "render.height contradict: give one or the other"))
                }
            } catch {
                issues.append(ConfigurationIssue(path: "render.aspect", message: error.message))
            }
        }
        integer(render.width, "render.width", Limits.frameSize, unit: "pixels", even: true)
        integer(render.height, "render.height", Limits.frameSize, unit: "pixels", even: true)
        integer(render.fps, "render.fps", Limits.framesPerSecond)
        number(render.loudness, "render.loudness", Limits.loudness, unit: "LUFS")
        return issues
    }

    /// Throws ``StoryPipelineError/invalidConfiguration(_:underlying:)`` listing every one of ``issues``, if any.
    public func validate() throws(StoryPipelineError) {
        let found = issues
        guard !found.isEmpty else { return }
        throw .invalidConfiguration(
            found.map(\.description).joined(separator: "; "), underlying: ConfigurationError(issues: found))
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
        if let routing {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            object["routing"] = try JSONSerialization.jsonObject(with: encoder.encode(routing))
        }
        if let media { object["media"] = try JSONSerialization.jsonObject(with: StoryJSON.encode(media)) }
        return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
    }

    /// The pipeline configuration with `render` copied into the parameters of the stages that use it.
    public var effectivePipeline: PipelineConfiguration {
        var result = pipeline
        var render: [String: JSONValue] = [:]
        if let width = self.render.width { render["width"] = .number(Double(width)) }
        if let height = self.render.height { render["height"] = .number(Double(height)) }
        if self.render.aspect != nil, let size = self.render.frameSize {
            render["width"] = .number(Double(size.width))
            render["height"] = .number(Double(size.height))
        }
        Self.copy(frameSizeOf: self.render, speechRate: story.speechRate, titleHook: story.titleHook, into: &result)
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

extension StoryConfiguration {
    /// The range of every number (and the length of every string) in the `story` and `render` sections.
    public enum Limits {
        /// `story.seed`: any non-negative 64-bit integer.
        public static let seed: ClosedRange<Int> = 0...Int.max
        /// `story.target_seconds`: 5 s to 20 minutes of narration (the composer, QC and audio paths run in bounded
        /// memory at any length; Docs/MediaIO.md, "Long videos").
        public static let targetSeconds: ClosedRange<Double> = 5...1200
        /// `story.idea_count`: candidates per idea request.
        public static let ideaCount: ClosedRange<Int> = 1...10
        /// `story.topic`: characters; a topic is a line, not a document.
        public static let topicLength = 2000
        /// `story.language`: characters; 35 is the longest BCP 47 tag implementations must support (RFC 5646 §4.4.1).
        public static let languageLength = 35
        /// `render.width` and `render.height`: even (4:2:0 video), up to 4096 (H.264 level 5.2's widest frame).
        public static let frameSize: ClosedRange<Int> = 64...4096
        /// `render.fps`: frames per second.
        public static let framesPerSecond: ClosedRange<Int> = 1...120
        /// `render.loudness`: ffmpeg's `loudnorm` accepts integrated targets from −70 to −5 LUFS.
        public static let loudness: ClosedRange<Double> = -70 ... -5
        /// `story.speech_rate`: OpenAI's `speed` takes 0.25…4 and ElevenLabs' 0.7…1.2; 0.75…1.5 stays
        /// intelligible in espeak-ng and keeps word timings usable.
        public static let speechRate: ClosedRange<Double> = 0.75...1.5
        /// `story.title_hook` as text: characters; a hook is one line on screen.
        public static let hookLength = 200

        /// `an integer in 0…2^63−1`, `an even integer in 64…4096 pixels`.
        static func integerExpectation(_ range: ClosedRange<Int>, unit: String = "", even: Bool = false) -> String {
            let upper = range.upperBound == Int.max ? "2^63−1" : String(range.upperBound)
            return (even ? "an even integer" : "an integer") + " in \(range.lowerBound)…\(upper)"
                + (unit.isEmpty ? "" : " \(unit)")
        }

        /// `a number between 5 and 1200 seconds`.
        static func numberExpectation(_ range: ClosedRange<Double>, unit: String) -> String {
            "a number between \(format(range.lowerBound)) and \(format(range.upperBound))"
                + (unit.isEmpty ? "" : " \(unit)")
        }

        /// `45`, `0.5`, `1e+30`.
        static func format(_ value: Double) -> String {
            if let integer = Int(exactly: value) { return String(integer) }
            return String(value)
        }
    }
}

extension KeyedDecodingContainer {
    private func invalid(_ key: Key, _ message: String) -> DecodingError {
        DecodingError.dataCorrupted(.init(codingPath: codingPath + [key], debugDescription: message))
    }

    private func found(_ key: Key) -> String {
        if (try? decode(Bool.self, forKey: key)) != nil { return "true or false" }
        if (try? decode(String.self, forKey: key)) != nil { return "a string" }
        return "an array or an object"
    }

    /// A whole number in `range`, `nil` when absent; `1.5`, `1e30`, `2^64`, strings and `null` are errors naming
    /// the key. Read as an `Int` first so that every 64-bit seed is exact, then as a `Double` to say what it was.
    fileprivate func checkedInteger(
        _ key: Key, in range: ClosedRange<Int>, unit: String = "", even: Bool = false
    ) throws -> Int? {
        guard contains(key) else { return nil }
        let expected = "must be " + StoryConfiguration.Limits.integerExpectation(range, unit: unit, even: even)
        if try decodeNil(forKey: key) { throw invalid(key, "\(expected), got null") }
        if let integer = try? decode(Int.self, forKey: key) {
            guard range.contains(integer), !even || integer % 2 == 0 else {
                throw invalid(key, "\(expected), got \(integer)")
            }
            return integer
        }
        if let number = try? decode(Double.self, forKey: key) {
            if let integer = Int(exactly: number), range.contains(integer), !even || integer % 2 == 0 { return integer }
            throw invalid(key, "\(expected), got \(StoryConfiguration.Limits.format(number))")
        }
        throw invalid(key, "\(expected), got \(found(key))")
    }

    /// A finite number in `range`, `nil` when absent.
    fileprivate func checkedNumber(_ key: Key, in range: ClosedRange<Double>, unit: String) throws -> Double? {
        guard contains(key) else { return nil }
        let expected = "must be " + StoryConfiguration.Limits.numberExpectation(range, unit: unit)
        if try decodeNil(forKey: key) { throw invalid(key, "\(expected), got null") }
        guard let number = try? decode(Double.self, forKey: key) else {
            throw invalid(key, "\(expected), got \(found(key))")
        }
        guard number.isFinite, range.contains(number) else {
            throw invalid(key, "\(expected), got \(StoryConfiguration.Limits.format(number))")
        }
        return number
    }

    /// A string of at most `maxLength` characters, `nil` when absent.
    fileprivate func checkedString(_ key: Key, maxLength: Int) throws -> String? {
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) { throw invalid(key, "must be a string, got null") }
        guard let text = try? decode(String.self, forKey: key) else {
            let what = (try? decode(Double.self, forKey: key)) != nil ? "a number" : found(key)
            throw invalid(key, "must be a string, got \(what)")
        }
        guard text.count <= maxLength else {
            throw invalid(key, "must be at most \(maxLength) characters, got \(text.count)")
        }
        return text
    }
}
