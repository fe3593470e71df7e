public import Foundation
import StoryForgeCore

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
///     "voice": { "retry": { "max_attempts": 4, "initial_delay": 0.5 }, "timeout": 30, "parameters": { "voice": "en-GB" } },
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

    /// Decodes JSON; errors are ``PipelineError/Code/invalidConfiguration`` with the offending path in the message,
    /// and for text that is not JSON the line and column (`line 3, column 12: expected a value, found '}'`).
    public static func decode(json data: Data) throws -> PipelineConfiguration {
        if let syntax = JSONSyntax.firstError(in: data) {
            let issue = ConfigurationIssue(path: syntax.path, message: syntax.located)
            throw PipelineError.invalidConfiguration(issue.description, underlying: ConfigurationError(issues: [issue]))
        }
        let configuration: PipelineConfiguration
        do {
            configuration = try JSONDecoder().decode(PipelineConfiguration.self, from: data)
        } catch let error as DecodingError {
            let issue = ConfigurationIssue(decodingError: error)
            throw PipelineError.invalidConfiguration(issue.description, underlying: ConfigurationError(issues: [issue]))
        } catch {
            throw PipelineError.invalidConfiguration("the configuration cannot be decoded: \(error)", underlying: error)
        }
        // The ranges of timeouts, retries and cache ages need no pipeline: check them as the file is read, so that a
        // dry run or a plan fails on them too. Stage ids, fallbacks and parameters wait for ``validate(for:)``.
        let found = configuration.stages.sorted { $0.key < $1.key }
            .flatMap { $0.value.issues(path: "stages.\($0.key)", hasFallback: true) }
        guard found.isEmpty else {
            throw PipelineError.invalidConfiguration(
                found.map(\.description).joined(separator: "; "), underlying: ConfigurationError(issues: found))
        }
        return configuration
    }

    /// Decodes YAML with every check of ``decode(json:)`` (the YAML is read into the same structure and checked by the
    /// same code, so errors name the same paths); YAML that cannot be read gives the line and column.
    public static func decode(yaml data: Data) throws -> PipelineConfiguration {
        let json: Data
        do {
            json = try ConfigurationYAML.json(fromYAML: data)
        } catch {
            throw PipelineError.invalidConfiguration(error.description, underlying: error)
        }
        return try decode(json: json)
    }

    /// Reads and decodes a JSON file, or a YAML one when its name ends in `.yaml` or `.yml` (a regular file of at
    /// most 4 MiB).
    public static func load(contentsOf url: URL) throws -> PipelineConfiguration {
        switch ConfigurationFile.read(url) {
        case .success(let data):
            do {
                return ConfigurationYAML.isYAML(url) ? try decode(yaml: data) : try decode(json: data)
            } catch let error as PipelineError {
                throw PipelineError.invalidConfiguration(
                    "\(url.lastPathComponent): \(error.message)", underlying: error.underlying)
            }
        case .failure(let error):
            throw PipelineError.invalidConfiguration(error.message, underlying: error.underlying)
        }
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
            let matching = stages.filter { $0.id.rawValue == id }
            issues += stage.issues(path: path, hasFallback: matching.allSatisfy(\.hasFallback))
            if let parameters = stage.parameters, let first = matching.first {
                issues += first.parameterIssues(parameters).map {
                    ConfigurationIssue(path: "\(path).parameters.\($0.path)", message: $0.message)
                }
            }
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

        // The file's keys, for the synthesized encoder (decoding reads them by name, to report unknown ones).
        private enum CodingKeys: String, CodingKey {
            case maxAttempts = "max_attempts"
            case initialDelay = "initial_delay"
            case maxDelay = "max_delay"
            case jitter
        }

        /// The keys renamed to snake_case, old → new.
        static let renamedKeys = [
            "maxAttempts": "max_attempts", "initialDelay": "initial_delay", "maxDelay": "max_delay",
        ]

        /// Decodes retry settings, rejecting unknown keys.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: AnyCodingKey.self)
            try container.rejectUnknownKeys(
                allowed: ["max_attempts", "initial_delay", "max_delay", "jitter"], renamed: Self.renamedKeys)
            guard let attempts = try container.decodeInteger("max_attempts", in: Limits.maxAttempts) else {
                throw DecodingError.keyNotFound(
                    AnyCodingKey("max_attempts"),
                    .init(codingPath: container.codingPath, debugDescription: "max_attempts is required"))
            }
            maxAttempts = attempts
            initialDelay = try container.decodeNumber("initial_delay")
            maxDelay = try container.decodeNumber("max_delay")
            jitter = try container.decodeNumber("jitter")
        }
    }

    /// The keys renamed to snake_case (one key style across the configuration files), old → new: an old key is an error naming the new one, not ignored.
    static let renamedKeys = [
        "totalTimeout": "total_timeout", "cacheTTL": "cache_ttl", "continueOnError": "continue_on_error",
    ]

    /// The cache policy's name in a configuration file.
    public enum Cache: String, Sendable, Codable, Hashable {
        /// ``CachePolicy/none``.
        case none
        /// ``CachePolicy/inputsAndVersion``.
        case inputsAndVersion
        /// ``CachePolicy/ttl(_:)`` with `cache_ttl` seconds.
        case ttl
        /// ``CachePolicy/refresh``.
        case refresh
    }

    /// `false` skips the stage, using its fallback output.
    public var enabled: Bool?
    /// Retry settings; `{"max_attempts": 1}` turns retries off.
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

    // The file's keys, for the synthesized encoder.
    private enum CodingKeys: String, CodingKey {
        case enabled, retry, timeout
        case totalTimeout = "total_timeout"
        case cache
        case cacheTTL = "cache_ttl"
        case continueOnError = "continue_on_error"
        case parameters
    }

    private static let keys = [
        "enabled", "retry", "timeout", "total_timeout", "cache", "cache_ttl", "continue_on_error", "parameters",
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
        try container.rejectUnknownKeys(allowed: Self.keys, renamed: Self.renamedKeys)
        enabled = try container.decodeIfPresent(Bool.self, forKey: AnyCodingKey("enabled"))
        retry = try container.decodeIfPresent(Retry.self, forKey: AnyCodingKey("retry"))
        timeout = try container.decodeNumber("timeout")
        totalTimeout = try container.decodeNumber("total_timeout")
        cache = try container.decodeIfPresent(Cache.self, forKey: AnyCodingKey("cache"))
        cacheTTL = try container.decodeNumber("cache_ttl")
        continueOnError = try container.decodeIfPresent(Bool.self, forKey: AnyCodingKey("continue_on_error"))
        parameters = try container.decodeIfPresent(StageParameters.self, forKey: AnyCodingKey("parameters"))
    }

    func issues(path: String, hasFallback: Bool) -> [ConfigurationIssue] {
        var issues: [ConfigurationIssue] = []
        func check(_ condition: Bool, _ key: String, _ message: String) {
            if !condition { issues.append(ConfigurationIssue(path: "\(path).\(key)", message: message)) }
        }
        func seconds(_ value: Double?, _ key: String, _ range: ClosedRange<Double>) {
            guard let value else { return }
            check(
                value.isFinite && range.contains(value), key,
                "must be between \(Limits.format(range.lowerBound)) and \(Limits.format(range.upperBound)) seconds, "
                    + "got \(Limits.format(value))")
        }
        seconds(timeout, "timeout", Limits.timeoutSeconds)
        seconds(totalTimeout, "total_timeout", Limits.totalTimeoutSeconds)
        if let retry {
            check(
                Limits.maxAttempts.contains(retry.maxAttempts), "retry.max_attempts",
                "must be an integer in \(Limits.maxAttempts.lowerBound)…\(Limits.maxAttempts.upperBound), "
                    + "got \(retry.maxAttempts)")
            seconds(retry.initialDelay, "retry.initial_delay", Limits.initialDelaySeconds)
            seconds(retry.maxDelay, "retry.max_delay", Limits.maxDelaySeconds)
            if let maxDelay = retry.maxDelay, maxDelay.isFinite, let initial = retry.initialDelay, initial.isFinite {
                check(
                    maxDelay >= initial, "retry.max_delay", "must be >= retry.initial_delay (\(Limits.format(initial)))"
                )
            }
            if let jitter = retry.jitter {
                check(
                    jitter.isFinite && Limits.jitter.contains(jitter), "retry.jitter",
                    "must be between 0 and 1, got \(Limits.format(jitter))")
            }
        }
        if cache == .ttl {
            if let cacheTTL {
                seconds(cacheTTL, "cache_ttl", Limits.cacheTTLSeconds)
            } else {
                check(false, "cache_ttl", "is required when cache is \"ttl\"")
            }
        } else if cacheTTL != nil {
            check(false, "cache_ttl", "only applies when cache is \"ttl\"")
        }
        if enabled == false {
            check(hasFallback, "enabled", "cannot skip: the stage has no fallback output (give it .fallback { … })")
        }
        if continueOnError == true {
            check(hasFallback, "continue_on_error", "the stage has no fallback output (give it .fallback { … })")
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
                    initialDelay: Limits.duration(retry.initialDelay ?? 0.2, in: Limits.initialDelaySeconds),
                    maxDelay: Limits.duration(retry.maxDelay ?? 30, in: Limits.maxDelaySeconds),
                    jitter: retry.jitter ?? 0.5
                )
        }
        if let timeout { options.attemptTimeout = Limits.duration(timeout, in: Limits.timeoutSeconds) }
        if let totalTimeout { options.totalTimeout = Limits.duration(totalTimeout, in: Limits.totalTimeoutSeconds) }
        switch cache {
        case .none?: options.cache = .none
        case .inputsAndVersion?: options.cache = .inputsAndVersion
        case .refresh?: options.cache = .refresh
        case .ttl?: options.cache = .ttl(Limits.duration(cacheTTL ?? 0, in: Limits.cacheTTLSeconds))
        case nil: break
        }
        if let continueOnError { options.continueOnError = continueOnError }
        return options
    }
}

extension StageConfiguration {
    /// The range of every number in a stage's settings, checked before a run starts; a value outside is a
    /// ``ConfigurationIssue`` naming its path (`stages.assemble.timeout: must be between 0.001 and 86400 seconds`).
    public enum Limits {
        /// `timeout`: 1 ms to one day. A day is far beyond any single stage (a render of a 10-minute video takes
        /// minutes), and keeps the value well inside what `Duration` and the clocks can hold.
        public static let timeoutSeconds: ClosedRange<Double> = 0.001...86_400
        /// `total_timeout`: 1 ms to one week, for all attempts and the delays between them.
        public static let totalTimeoutSeconds: ClosedRange<Double> = 0.001...604_800
        /// `cache_ttl`: 1 ms to ten years (365-day years).
        public static let cacheTTLSeconds: ClosedRange<Double> = 0.001...315_360_000
        /// `retry.max_attempts`: 1 to 100 attempts in all.
        public static let maxAttempts: ClosedRange<Int> = 1...100
        /// `retry.initial_delay`: 0 to one hour.
        public static let initialDelaySeconds: ClosedRange<Double> = 0...3600
        /// `retry.max_delay`: 0 to one day.
        public static let maxDelaySeconds: ClosedRange<Double> = 0...86_400
        /// `retry.jitter`: a fraction.
        public static let jitter: ClosedRange<Double> = 0...1

        /// `seconds` clamped into `range` (NaN to its lower bound) as a `Duration`: never traps, whatever the input.
        static func duration(_ seconds: Double, in range: ClosedRange<Double>) -> Duration {
            .seconds(seconds.isNaN ? range.lowerBound : min(max(seconds, range.lowerBound), range.upperBound))
        }

        /// `86400`, `0.001`, `1e+300`.
        static func format(_ value: Double) -> String { StageParameter.format(value) }
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
            self.init(path: dotted(context.codingPath), message: "must be \(Self.describe(type))")
        case .valueNotFound(let type, let context):
            self.init(path: dotted(context.codingPath), message: "must be \(Self.describe(type)), got null")
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

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is Double.Type: return "a number"
        case is Int.Type: return "an integer"
        case is Bool.Type: return "true or false"
        case is String.Type: return "a string"
        case is Durability.Type: return "\"sync\", \"async\" or \"onExit\""
        case is StageConfiguration.Cache.Type: return "\"none\", \"inputsAndVersion\", \"ttl\" or \"refresh\""
        default:
            let name = String(describing: type)
            return name.hasPrefix("Dictionary") || name.hasPrefix("[") ? "an object" : name
        }
    }
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
    /// A number, or `nil` when the key is absent; `null` and non-numbers are errors naming the key.
    fileprivate func decodeNumber(_ name: String) throws -> Double? {
        let key = AnyCodingKey(name)
        guard contains(key) else { return nil }
        if try decodeNil(forKey: key) {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath + [key], debugDescription: "must be a number, got null"))
        }
        return try decode(Double.self, forKey: key)
    }

    /// A whole number within `range`, or `nil` when the key is absent.
    ///
    /// The number is read as a `Double` and converted exactly: Foundation's decoder on Linux reports `1.5` or `1e30`
    /// read as an `Int` as "not valid JSON" without a path.
    fileprivate func decodeInteger(_ name: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let number = try decodeNumber(name) else { return nil }
        guard let integer = Int(exactly: number), range.contains(integer) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: codingPath + [AnyCodingKey(name)],
                    debugDescription:
                        "must be an integer in \(range.lowerBound)…\(range.upperBound), got \(StageParameter.format(number))"
                ))
        }
        return integer
    }

    /// Throws for the first key not in `allowed`: "renamed to …" for a key in `renamed` (old → new), so that a file
    /// written for an older release fails with its migration instead of being half applied, else "unknown key".
    fileprivate func rejectUnknownKeys(allowed: [String], renamed: [String: String] = [:]) throws {
        for key in allKeys.sorted(by: { $0.stringValue < $1.stringValue }) where !allowed.contains(key.stringValue) {
            let message = renamed[key.stringValue].map { "renamed to \($0)" } ?? "unknown key"
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: codingPath + [key], debugDescription: message)
            )
        }
    }
}
