public import Foundation

/// How durably stage outputs are committed.
public enum Durability: String, Sendable, Codable, Hashable {
    /// Each stage's output is committed before the next stage starts (default). Survives the process being
    /// killed at any instant.
    case sync
    /// Commits overlap with the next stage; a crash may lose the last commits (those stages rerun on resume).
    case async
    /// Everything is written when the run ends (or fails, or is cancelled): for throwaway runs.
    case onExit
}

/// The pipeline's configuration file: per-stage switches, policies and free parameters.
///
/// ```json
/// {
///   "durability": "sync",
///   "stages": {
///     "voice": { "retry": { "maxAttempts": 4, "initialDelay": 0.5 }, "timeout": 30, "parameters": { "voice": "en-GB" } },
///     "upscale": { "enabled": false }
///   }
/// }
/// ```
public struct PipelineConfiguration: Sendable, Codable, Hashable {
    /// Overrides the runner's durability, if set.
    public var durability: Durability?
    /// Per-stage settings, by stage id.
    public var stages: [String: StageConfiguration]

    /// Creates a configuration.
    public init(durability: Durability? = nil, stages: [String: StageConfiguration] = [:]) {
        self.durability = durability
        self.stages = stages
    }

    /// Decodes a configuration, reporting unknown keys and wrong types with their path
    /// (`stages.voice.timout: unknown key`).
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        try container.rejectUnknownKeys(allowed: ["durability", "stages"])
        durability = try container.decodeIfPresent(Durability.self, forKey: AnyCodingKey("durability"))
        stages = try container.decodeIfPresent([String: StageConfiguration].self, forKey: AnyCodingKey("stages")) ?? [:]
    }

    /// Encodes the configuration.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: AnyCodingKey.self)
        try container.encodeIfPresent(durability, forKey: AnyCodingKey("durability"))
        try container.encode(stages, forKey: AnyCodingKey("stages"))
    }

    /// Decodes JSON; errors are ``PipelineError/Code/invalidConfiguration`` with the offending path in the message.
    public static func decode(json data: Data) throws -> PipelineConfiguration {
        do {
            return try JSONDecoder().decode(PipelineConfiguration.self, from: data)
        } catch let error as DecodingError {
            let issue = ConfigurationIssue(decodingError: error)
            throw PipelineError.invalidConfiguration(issue.description, underlying: ConfigurationError(issues: [issue]))
        } catch {
            throw PipelineError.invalidConfiguration("configuration is not valid JSON: \(error)", underlying: error)
        }
    }

    /// Reads and decodes a JSON file.
    public static func load(contentsOf url: URL) throws -> PipelineConfiguration {
        let data: Data
        do {
            data = try Data(contentsOf: url)
        } catch {
            throw PipelineError.invalidConfiguration("cannot read \(url.path): \(error)", underlying: error)
        }
        return try decode(json: data)
    }

    /// Checks the configuration against a pipeline: unknown stage ids and invalid values, each with its path.
    public func issues(for stages: [AnyPipelineStage]) -> [ConfigurationIssue] {
        var issues: [ConfigurationIssue] = []
        let known = Set(stages.map(\.id.rawValue))
        for (id, stage) in self.stages.sorted(by: { $0.key < $1.key }) {
            let path = "stages.\(id)"
            guard known.contains(id) else {
                let list = known.sorted().joined(separator: ", ")
                issues.append(ConfigurationIssue(path: path, message: "unknown stage id (the pipeline has: \(list))"))
                continue
            }
            let hasFallback = stages.filter { $0.id.rawValue == id }.allSatisfy(\.hasFallback)
            issues += stage.issues(path: path, hasFallback: hasFallback)
        }
        return issues
    }

    /// Throws ``PipelineError/Code/invalidConfiguration`` listing every issue, if there are any.
    public func validate(for stages: [AnyPipelineStage]) throws {
        let found = issues(for: stages)
        guard !found.isEmpty else { return }
        throw PipelineError.invalidConfiguration(
            found.map(\.description).joined(separator: "; "),
            underlying: ConfigurationError(issues: found)
        )
    }
}

/// The settings of one stage in a ``PipelineConfiguration``; every field is optional and overrides the code's.
public struct StageConfiguration: Sendable, Codable, Hashable {
    /// Retry settings.
    public struct Retry: Sendable, Codable, Hashable {
        /// Attempts in all, at least 1.
        public var maxAttempts: Int
        /// Seconds before the second attempt (default 0.2).
        public var initialDelay: Double?
        /// The longest delay in seconds (default 30).
        public var maxDelay: Double?
        /// The randomised fraction of each delay, 0...1 (default 0.5).
        public var jitter: Double?

        /// Creates retry settings.
        public init(maxAttempts: Int, initialDelay: Double? = nil, maxDelay: Double? = nil, jitter: Double? = nil) {
            self.maxAttempts = maxAttempts
            self.initialDelay = initialDelay
            self.maxDelay = maxDelay
            self.jitter = jitter
        }

        /// Decodes retry settings, rejecting unknown keys.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            try container.rejectUnknownKeys(allowed: ["maxAttempts", "initialDelay", "maxDelay", "jitter"])
            maxAttempts = try container.decode(Int.self, forKey: AnyCodingKey("maxAttempts"))
            initialDelay = try container.decodeIfPresent(Double.self, forKey: AnyCodingKey("initialDelay"))
            maxDelay = try container.decodeIfPresent(Double.self, forKey: AnyCodingKey("maxDelay"))
            jitter = try container.decodeIfPresent(Double.self, forKey: AnyCodingKey("jitter"))
        }
    }

    /// The cache policy's name in a configuration file.
    public enum Cache: String, Sendable, Codable, Hashable {
        /// ``CachePolicy/none``.
        case none
        /// ``CachePolicy/inputsAndVersion``.
        case inputsAndVersion
        /// ``CachePolicy/ttl(_:)`` with `cacheTTL` seconds.
        case ttl
        /// ``CachePolicy/refresh``.
        case refresh
    }

    /// `false` skips the stage, using its fallback output.
    public var enabled: Bool?
    /// Retry settings; `{"maxAttempts": 1}` turns retries off.
    public var retry: Retry?
    /// The per-attempt timeout in seconds.
    public var timeout: Double?
    /// The timeout for all attempts together, in seconds.
    public var totalTimeout: Double?
    /// The cache policy.
    public var cache: Cache?
    /// The maximum age in seconds of a usable cache entry, with `"cache": "ttl"`.
    public var cacheTTL: Double?
    /// Whether the run goes on with the fallback output when the stage fails.
    public var continueOnError: Bool?
    /// Free parameters handed to the stage as ``StageContext/configuration`` (part of the cache key).
    public var parameters: StageParameters?

    private static let keys = [
        "enabled", "retry", "timeout", "totalTimeout", "cache", "cacheTTL", "continueOnError", "parameters",
    ]

    /// Creates stage settings.
    public init(
        enabled: Bool? = nil,
        retry: Retry? = nil,
        timeout: Double? = nil,
        totalTimeout: Double? = nil,
        cache: Cache? = nil,
        cacheTTL: Double? = nil,
        continueOnError: Bool? = nil,
        parameters: StageParameters? = nil
    ) {
        self.enabled = enabled
        self.retry = retry
        self.timeout = timeout
        self.totalTimeout = totalTimeout
        self.cache = cache
        self.cacheTTL = cacheTTL
        self.continueOnError = continueOnError
        self.parameters = parameters
    }

    /// Decodes stage settings, rejecting unknown keys.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyCodingKey.self)
        try container.rejectUnknownKeys(allowed: Self.keys)
        enabled = try container.decodeIfPresent(Bool.self, forKey: AnyCodingKey("enabled"))
        retry = try container.decodeIfPresent(Retry.self, forKey: AnyCodingKey("retry"))
        timeout = try container.decodeIfPresent(Double.self, forKey: AnyCodingKey("timeout"))
        totalTimeout = try container.decodeIfPresent(Double.self, forKey: AnyCodingKey("totalTimeout"))
        cache = try container.decodeIfPresent(Cache.self, forKey: AnyCodingKey("cache"))
        cacheTTL = try container.decodeIfPresent(Double.self, forKey: AnyCodingKey("cacheTTL"))
        continueOnError = try container.decodeIfPresent(Bool.self, forKey: AnyCodingKey("continueOnError"))
        parameters = try container.decodeIfPresent(StageParameters.self, forKey: AnyCodingKey("parameters"))
    }

    func issues(path: String, hasFallback: Bool) -> [ConfigurationIssue] {
        var issues: [ConfigurationIssue] = []
        func check(_ condition: Bool, _ key: String, _ message: String) {
            if !condition { issues.append(ConfigurationIssue(path: "\(path).\(key)", message: message)) }
        }
        if let timeout { check(timeout > 0 && timeout.isFinite, "timeout", "must be > 0") }
        if let totalTimeout { check(totalTimeout > 0 && totalTimeout.isFinite, "totalTimeout", "must be > 0") }
        if let retry {
            check(retry.maxAttempts >= 1, "retry.maxAttempts", "must be >= 1")
            if let initial = retry.initialDelay { check(initial >= 0, "retry.initialDelay", "must be >= 0") }
            if let maxDelay = retry.maxDelay {
                check(maxDelay >= (retry.initialDelay ?? 0), "retry.maxDelay", "must be >= retry.initialDelay")
            }
            if let jitter = retry.jitter { check((0...1).contains(jitter), "retry.jitter", "must be between 0 and 1") }
        }
        if cache == .ttl {
            check((cacheTTL ?? 0) > 0, "cacheTTL", "must be > 0 when cache is \"ttl\"")
        } else if cacheTTL != nil {
            check(false, "cacheTTL", "only applies when cache is \"ttl\"")
        }
        if enabled == false {
            check(hasFallback, "enabled", "cannot skip: the stage has no fallback output (give it .fallback { … })")
        }
        if continueOnError == true {
            check(hasFallback, "continueOnError", "the stage has no fallback output (give it .fallback { … })")
        }
        return issues
    }

    /// The stage's options with this configuration applied over them.
    func applied(to options: StageOptions) -> StageOptions {
        var options = options
        if let retry {
            options.retry =
                retry.maxAttempts <= 1
                ? .none
                : .exponentialJitter(
                    maxAttempts: retry.maxAttempts,
                    initialDelay: .seconds(retry.initialDelay ?? 0.2),
                    maxDelay: .seconds(retry.maxDelay ?? 30),
                    jitter: retry.jitter ?? 0.5
                )
        }
        if let timeout { options.attemptTimeout = .seconds(timeout) }
        if let totalTimeout { options.totalTimeout = .seconds(totalTimeout) }
        switch cache {
        case .none?: options.cache = .none
        case .inputsAndVersion?: options.cache = .inputsAndVersion
        case .refresh?: options.cache = .refresh
        case .ttl?: options.cache = .ttl(.seconds(cacheTTL ?? 0))
        case nil: break
        }
        if let continueOnError { options.continueOnError = continueOnError }
        return options
    }
}

/// One problem in a configuration: where, and what.
public struct ConfigurationIssue: Sendable, Hashable, CustomStringConvertible {
    /// The dotted path of the offending value, for example `stages.voice.timeout`.
    public let path: String
    /// What is wrong with it, for example `must be > 0`.
    public let message: String

    /// Creates an issue.
    public init(path: String, message: String) {
        self.path = path
        self.message = message
    }

    init(decodingError: DecodingError) {
        func dotted(_ codingPath: [any CodingKey]) -> String {
            codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch decodingError {
        case .typeMismatch(let type, let context):
            self.init(path: dotted(context.codingPath), message: "expected \(type)")
        case .valueNotFound(let type, let context):
            self.init(path: dotted(context.codingPath), message: "expected \(type), found null")
        case .keyNotFound(let key, let context):
            self.init(path: dotted(context.codingPath + [key]), message: "is required")
        case .dataCorrupted(let context):
            self.init(path: dotted(context.codingPath), message: context.debugDescription)
        @unknown default:
            self.init(path: "", message: "\(decodingError)")
        }
    }

    /// `path: message`.
    public var description: String { path.isEmpty ? message : "\(path): \(message)" }
}

/// All the issues found in a configuration; the ``PipelineError/underlying`` error of an `invalidConfiguration`.
public struct ConfigurationError: Error, Hashable, CustomStringConvertible {
    /// The issues, each with its path.
    public let issues: [ConfigurationIssue]

    /// Creates the error.
    public init(issues: [ConfigurationIssue]) {
        self.issues = issues
    }

    /// The issues, one per line.
    public var description: String { issues.map(\.description).joined(separator: "\n") }
}

/// A coding key for any string, used to spot unknown keys.
struct AnyCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?

    init(_ string: String) {
        stringValue = string
        intValue = nil
    }

    init?(stringValue: String) {
        self.init(stringValue)
    }

    init?(intValue: Int) {
        stringValue = String(intValue)
        self.intValue = intValue
    }
}

extension KeyedDecodingContainer where Key == AnyCodingKey {
    fileprivate func rejectUnknownKeys(allowed: [String]) throws {
        for key in allKeys where !allowed.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: codingPath + [key], debugDescription: "unknown key")
            )
        }
    }
}
