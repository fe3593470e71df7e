public import Foundation
public import Logging
import StoryForgeCore

/// The configuration file of a ``ProviderRouter``: the strategy, the budget, extra prices and
/// the providers in order, each with its resilience settings. Keys are snake_case; API keys are
/// never in the file, only the name of the environment variable that holds one.
///
/// ```json
/// {
///   "strategy": "ordered",
///   "budget_usd": 2.5,
///   "prices": { "my-model": { "input_per_million_tokens": 0.2, "output_per_million_tokens": 0.8 } },
///   "providers": [
///     { "name": "cloud", "kind": "openai", "base_url": "https://api.openai.com/v1",
///       "api_key_env": "OPENAI_API_KEY", "model": "gpt-4o-mini",
///       "retry": { "max_attempts": 4, "initial_delay": 0.5, "max_delay": 30 },
///       "circuit_breaker": { "failure_ratio": 0.5, "minimum_calls": 5, "window_seconds": 60, "open_seconds": 30 },
///       "rate_limit": { "requests_per_minute": 500, "tokens_per_minute": 200000, "max_concurrent": 8 } },
///     { "name": "local", "kind": "ollama", "model": "llama3.2" },
///     { "name": "offline", "kind": "template" }
///   ]
/// }
/// ```
///
/// Per-task routing (``TaskRoutes``) adds `models` (the registry's entries beyond the price table and what local
/// servers list), `default` and `tasks` (ordered route lists, optionally tiered) and `estimate`:
///
/// ```json
/// {
///   "providers": [ { "name": "local", "kind": "ollama" }, { "name": "cloud", "kind": "openai", "model": "gpt-4o" } ],
///   "models": { "llama3.2": { "context_window": 8192, "capabilities": ["json_schema", "streaming"] } },
///   "default": [ { "route": "local" }, { "route": "cloud" } ],
///   "tasks": {
///     "ideas": [ { "route": "local", "model": "llama3.2" }, { "route": "cloud", "model": "gpt-4o-mini" } ],
///     "script": [ { "route": "local", "model": "llama3.2", "tier": "fast" },
///                 { "route": "cloud", "model": "gpt-4o", "tier": "quality" } ]
///   },
///   "estimate": { "bytes_per_token": 4, "default_output_tokens": 512, "usable_share": 1 }
/// }
/// ```
public struct RouterConfiguration: Sendable, Hashable, Codable {
    /// Retry settings of one provider.
    public struct Retry: Sendable, Hashable, Codable {
        /// Attempts, the first included.
        public var maxAttempts: Int?
        /// The first backoff, in seconds.
        public var initialDelay: Double?
        /// The backoff cap, in seconds.
        public var maxDelay: Double?
        /// The longest wait a provider may ask for, in seconds.
        public var maxServerDelaySeconds: Double?

        /// Creates retry settings.
        public init(maxAttempts: Int? = nil, initialDelay: Double? = nil, maxDelay: Double? = nil) {
            self.maxAttempts = maxAttempts
            self.initialDelay = initialDelay
            self.maxDelay = maxDelay
        }

        /// The millisecond keys of earlier releases (as the snake_case decoder spells them): every duration of a
        /// configuration file is now in seconds, and an old key is an error naming its replacement, not ignored.
        private enum RenamedKeys: String, CodingKey, CaseIterable {
            case initialDelayMs, maxDelayMs

            var replacement: String {
                switch self {
                case .initialDelayMs: "initial_delay"
                case .maxDelayMs: "max_delay"
                }
            }
        }

        /// Decodes retry settings; a count that is not a whole number is an error naming its key.
        public init(from decoder: any Decoder) throws {
            let renamed = try decoder.container(keyedBy: RenamedKeys.self)
            for key in RenamedKeys.allCases where renamed.contains(key) {
                throw DecodingError.dataCorrupted(
                    .init(
                        codingPath: renamed.codingPath + [key],
                        debugDescription: "renamed to \(key.replacement), in seconds (500 ms is 0.5)"))
            }
            let container = try decoder.container(keyedBy: CodingKeys.self)
            maxAttempts = try container.decodeWholeNumber(forKey: .maxAttempts)
            initialDelay = try container.decodeIfPresent(Double.self, forKey: .initialDelay)
            maxDelay = try container.decodeIfPresent(Double.self, forKey: .maxDelay)
            maxServerDelaySeconds = try container.decodeIfPresent(Double.self, forKey: .maxServerDelaySeconds)
        }

        var policy: ProviderRetryPolicy {
            let defaults = ProviderRetryPolicy()
            return ProviderRetryPolicy(
                maxAttempts: maxAttempts ?? defaults.maxAttempts,
                initialDelay: initialDelay.map { .seconds(double: $0) } ?? defaults.initialDelay,
                maxDelay: maxDelay.map { .seconds(double: $0) } ?? defaults.maxDelay,
                maxServerDelay: maxServerDelaySeconds.map { .seconds(double: $0) } ?? defaults.maxServerDelay)
        }
    }

    /// Circuit-breaker settings of one provider.
    public struct Breaker: Sendable, Hashable, Codable {
        /// The failure share that opens it.
        public var failureRatio: Double?
        /// The fewest calls before it judges.
        public var minimumCalls: Int?
        /// The window, in seconds.
        public var windowSeconds: Double?
        /// How long it stays open, in seconds.
        public var openSeconds: Double?

        /// Creates breaker settings.
        public init(
            failureRatio: Double? = nil, minimumCalls: Int? = nil, windowSeconds: Double? = nil,
            openSeconds: Double? = nil
        ) {
            self.failureRatio = failureRatio
            self.minimumCalls = minimumCalls
            self.windowSeconds = windowSeconds
            self.openSeconds = openSeconds
        }

        /// Decodes breaker settings; a count that is not a whole number is an error naming its key.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            failureRatio = try container.decodeIfPresent(Double.self, forKey: .failureRatio)
            minimumCalls = try container.decodeWholeNumber(forKey: .minimumCalls)
            windowSeconds = try container.decodeIfPresent(Double.self, forKey: .windowSeconds)
            openSeconds = try container.decodeIfPresent(Double.self, forKey: .openSeconds)
        }

        var configuration: CircuitBreaker.Configuration {
            let defaults = CircuitBreaker.Configuration()
            return CircuitBreaker.Configuration(
                failureRatio: failureRatio ?? defaults.failureRatio,
                minimumCalls: minimumCalls ?? defaults.minimumCalls,
                window: windowSeconds.map { .seconds(double: $0) } ?? defaults.window,
                openDuration: openSeconds.map { .seconds(double: $0) } ?? defaults.openDuration)
        }
    }

    /// Rate-limit settings of one provider.
    public struct RateLimit: Sendable, Hashable, Codable {
        /// Requests per minute.
        public var requestsPerMinute: Int?
        /// Tokens per minute.
        public var tokensPerMinute: Int?
        /// Calls in flight at once.
        public var maxConcurrent: Int?

        /// Creates rate-limit settings.
        public init(requestsPerMinute: Int? = nil, tokensPerMinute: Int? = nil, maxConcurrent: Int? = nil) {
            self.requestsPerMinute = requestsPerMinute
            self.tokensPerMinute = tokensPerMinute
            self.maxConcurrent = maxConcurrent
        }

        /// Decodes rate limits; a count that is not a whole number is an error naming its key.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            requestsPerMinute = try container.decodeWholeNumber(forKey: .requestsPerMinute)
            tokensPerMinute = try container.decodeWholeNumber(forKey: .tokensPerMinute)
            maxConcurrent = try container.decodeWholeNumber(forKey: .maxConcurrent)
        }
    }

    /// One provider.
    public struct Entry: Sendable, Hashable, Codable {
        /// Its name in origins, logs and the ledger.
        public var name: String
        /// Its kind: `openai`, `ollama`, `elevenlabs`, `espeak`, `procedural`, `template`, or one
        /// the host registered a factory for.
        public var kind: String
        /// The server's root URL, where the kind has one.
        public var baseUrl: String?
        /// The environment variable that holds the API key.
        public var apiKeyEnv: String?
        /// The chat model (or the ElevenLabs model).
        public var model: String?
        /// The speech model (`openai`).
        public var speechModel: String?
        /// The voice.
        public var voice: String?
        /// The transcription model (`openai`).
        public var transcriptionModel: String?
        /// The image model (`openai`).
        public var imageModel: String?
        /// Whether it is local and free; by default true for `ollama`, `espeak`, `procedural` and `template`.
        public var local: Bool?
        /// Retry settings; no retry when absent.
        public var retry: Retry?
        /// Circuit-breaker settings; a breaker with the defaults when absent.
        public var circuitBreaker: Breaker?
        /// Rate limits; none when absent.
        public var rateLimit: RateLimit?
        /// Whether the API key may go over plain `http://` to a host that is not this machine
        /// (`openai`, `elevenlabs`); refused unless this is `true`.
        public var allowInsecureHttp: Bool?
        /// Whether the models the server lists join the registry when a router is made with
        /// ``ProviderRouter/make(configuration:environment:transport:clock:ledger:factories:logger:)``; by default
        /// true for `ollama` and for a local `openai` server, false otherwise.
        public var discoverModels: Bool?

        /// Whether this entry's models are listed at start.
        var discovers: Bool {
            discoverModels ?? (kind == "ollama" || (kind == "openai" && local == true))
        }

        /// Creates an entry.
        public init(
            name: String, kind: String, baseUrl: String? = nil, apiKeyEnv: String? = nil, model: String? = nil,
            local: Bool? = nil, retry: Retry? = nil, circuitBreaker: Breaker? = nil, rateLimit: RateLimit? = nil
        ) {
            self.name = name
            self.kind = kind
            self.baseUrl = baseUrl
            self.apiKeyEnv = apiKeyEnv
            self.model = model
            self.local = local
            self.retry = retry
            self.circuitBreaker = circuitBreaker
            self.rateLimit = rateLimit
        }
    }

    /// A model of the registry, as a configuration describes it.
    public struct Model: Sendable, Hashable, Codable {
        /// The context window in tokens (1…``ModelRegistry/maxContextWindow``).
        public var contextWindow: Int?
        /// Its capabilities by name: `json_schema`, `tools`, `vision`, `streaming`.
        public var capabilities: [String]?
        /// `fast`, `standard` or `slow`.
        public var latency: LatencyClass?

        /// Creates a model entry.
        public init(contextWindow: Int? = nil, capabilities: [String]? = nil, latency: LatencyClass? = nil) {
            self.contextWindow = contextWindow
            self.capabilities = capabilities
            self.latency = latency
        }

        /// Decodes a model entry; a context window that is not a whole number is an error naming its key.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            contextWindow = try container.decodeWholeNumber(forKey: .contextWindow)
            capabilities = try container.decodeIfPresent([String].self, forKey: .capabilities)
            latency = try container.decodeIfPresent(LatencyClass.self, forKey: .latency)
        }
    }

    /// How requests are sized for the context-window check (``ComplexityEstimate``).
    public struct Estimate: Sendable, Hashable, Codable {
        /// UTF-8 bytes per token (4).
        public var bytesPerToken: Int?
        /// Output tokens assumed when a request sets no limit (512).
        public var defaultOutputTokens: Int?
        /// The share of a context window a request may fill (1).
        public var usableShare: Double?
        /// The context window of a listed model that reports none (4096, Ollama's default `num_ctx`).
        public var listedContextWindow: Int?

        /// Creates estimate settings.
        public init(
            bytesPerToken: Int? = nil, defaultOutputTokens: Int? = nil, usableShare: Double? = nil,
            listedContextWindow: Int? = nil
        ) {
            self.bytesPerToken = bytesPerToken
            self.defaultOutputTokens = defaultOutputTokens
            self.usableShare = usableShare
            self.listedContextWindow = listedContextWindow
        }

        /// Decodes estimate settings; a count that is not a whole number is an error naming its key.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            bytesPerToken = try container.decodeWholeNumber(forKey: .bytesPerToken)
            defaultOutputTokens = try container.decodeWholeNumber(forKey: .defaultOutputTokens)
            usableShare = try container.decodeIfPresent(Double.self, forKey: .usableShare)
            listedContextWindow = try container.decodeWholeNumber(forKey: .listedContextWindow)
        }

        /// The estimate these settings describe.
        public var estimate: ComplexityEstimate {
            let defaults = ComplexityEstimate()
            return ComplexityEstimate(
                bytesPerToken: bytesPerToken ?? defaults.bytesPerToken,
                defaultOutputTokens: defaultOutputTokens ?? defaults.defaultOutputTokens,
                usableShare: usableShare ?? defaults.usableShare)
        }
    }

    /// How routes are ordered.
    public var strategy: ProviderRouter.Strategy?
    /// The run's budget in US dollars.
    public var budgetUsd: Double?
    /// Prices added to (or replacing) ``PriceTable/standard``.
    public var prices: [String: ModelPrice]?
    /// The providers, in order.
    public var providers: [Entry]
    /// Models added to (or completing) the registry, by id.
    public var models: [String: Model]?
    /// The route list of tasks without their own (`default`); every provider with a text generator, in order, when
    /// absent and ``tasks`` is given.
    public var `default`: [TaskRoutes.Entry]?
    /// The route list of each task, by task name (`ideas`, `script`, `revision`, `shot_plan`, or the host's own).
    public var tasks: [String: [TaskRoutes.Entry]]?
    /// How requests are sized.
    public var estimate: Estimate?

    /// Creates a configuration.
    public init(
        strategy: ProviderRouter.Strategy? = nil, budgetUsd: Double? = nil, prices: [String: ModelPrice]? = nil,
        providers: [Entry], models: [String: Model]? = nil, default defaultRoutes: [TaskRoutes.Entry]? = nil,
        tasks: [String: [TaskRoutes.Entry]]? = nil, estimate: Estimate? = nil
    ) {
        self.strategy = strategy
        self.budgetUsd = budgetUsd
        self.prices = prices
        self.providers = providers
        self.models = models
        self.default = defaultRoutes
        self.tasks = tasks
        self.estimate = estimate
    }

    /// Whether the configuration routes chat calls by task (it has `default` or `tasks`).
    public var routesByTask: Bool { self.default != nil || tasks != nil }

    /// The task routes the configuration describes, or `nil` when it routes by ``strategy``.
    public var taskRoutes: TaskRoutes? {
        guard routesByTask else { return nil }
        var byTask: [ModelTask: [TaskRoutes.Entry]] = [:]
        for (name, entries) in tasks ?? [:] { byTask[ModelTask(name)] = entries }
        // Kinds without a text generator cannot be in the default list.
        let chatKinds = providers.filter { !["elevenlabs", "espeak", "procedural"].contains($0.kind) }
        return TaskRoutes(
            default: self.default ?? chatKinds.map { TaskRoutes.Entry(route: $0.name) }, tasks: byTask,
            estimate: estimate?.estimate ?? .init())
    }

    /// The problems of the task routes that can be found without making the providers: routes that name no provider
    /// or one without a text generator (a speech-only kind), models the registry does not know (except on providers
    /// that list their models at start), each with its path (`tasks.script.1.model: unknown model "gpt-5" …`).
    public func taskRouteIssues() -> [String] {
        guard let taskRoutes else { return [] }
        var chatRoutes: [String: Bool] = [:]
        for entry in providers where chatRoutes[entry.name] == nil {
            chatRoutes[entry.name] = !["elevenlabs", "espeak", "procedural"].contains(entry.kind)
        }
        return taskRoutes.issues(
            chatRoutes: chatRoutes, registry: registry, unlisted: Set(providers.filter(\.discovers).map(\.name)))
    }

    /// The registry the configuration describes before any server is asked: ``PriceTable/standard`` with `prices`,
    /// and `models` over them.
    public var registry: ModelRegistry {
        var registry = ModelRegistry(prices: PriceTable.standard.merging(PriceTable(prices ?? [:])))
        for (id, model) in models ?? [:] {
            var capabilities: ModelCapabilities?
            if let names = model.capabilities {
                capabilities = names.reduce(into: ModelCapabilities()) { set, name in
                    if let known = ModelCapabilities.names.first(where: { $0.name == name }) {
                        set.insert(known.capability)
                    }
                }
            }
            registry.register(
                .init(
                    id: id, contextWindow: model.contextWindow, capabilities: capabilities, latency: model.latency,
                    source: "configuration"))
        }
        return registry
    }

    /// Decodes a configuration file and checks its numbers with ``validate()``.
    ///
    /// - Throws: ``ProviderError/badRequest(_:statusCode:)`` naming what is wrong and where, e.g.
    ///   `invalid router configuration: providers.0.retry.max_attempts: must be a whole number in 1…100 (got 0)`.
    public static func decode(json data: Data) throws -> RouterConfiguration {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let configuration: RouterConfiguration
        do {
            configuration = try decoder.decode(RouterConfiguration.self, from: data)
        } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
            // Foundation says only "not valid JSON"; its older parser says where and why.
            throw ProviderError.badRequest("invalid router configuration: not valid JSON: \(syntaxDetail(data))")
        } catch let error as DecodingError {
            throw ProviderError.badRequest("invalid router configuration: \(describe(error))")
        } catch {
            throw ProviderError.badRequest("invalid router configuration: \(error)")
        }
        try configuration.validate()
        return configuration
    }

    /// Decodes YAML text with every check of ``decode(json:)``: the YAML is read into the same structure and checked
    /// by the same code, so errors name the same key paths; YAML that cannot be read gives the line and column.
    ///
    /// - Throws: ``ProviderError/badRequest(_:statusCode:)``, e.g.
    ///   `invalid router configuration: not valid YAML: line 2, column 9: …`.
    public static func decode(yaml data: Data) throws -> RouterConfiguration {
        let json: Data
        do {
            json = try ConfigurationYAML.json(fromYAML: data)
        } catch {
            throw ProviderError.badRequest("invalid router configuration: not valid YAML: \(error.description)")
        }
        return try decode(json: json)
    }

    /// The ranges of the configuration's numbers. Each is checked before a router is built, so a
    /// value that would trap or make no sense (a `max_attempts` of 1e9, an `open_seconds` of
    /// 1e300, a NaN price) is an error naming its key path, not a crash or a silent clamp.
    enum Limits {
        /// Attempts, the first included: 100 is past any useful retry loop.
        static let maxAttempts = 1...100
        /// Backoff delays in seconds: up to the retry wait cap, 10 minutes.
        static let delaySeconds = 0.0...600
        /// The longest server-requested wait, in seconds: a day, like the header clamp.
        static let serverDelaySeconds = 0.0...86_400
        /// Calls before a breaker judges.
        static let minimumCalls = 1...1_000_000
        /// A breaker's window, in seconds: a millisecond to a day.
        static let windowSeconds = 0.001...86_400
        /// A breaker's cooldown, in seconds: up to its cap, 10 minutes.
        static let openSeconds = 0.0...600
        /// Requests per minute.
        static let requestsPerMinute = 1...100_000_000
        /// Tokens per minute.
        static let tokensPerMinute = 1...10_000_000_000
        /// Calls in flight at once.
        static let maxConcurrent = 1...10_000
        /// Dollars: a budget or a price, up to a million.
        static let dollars = 0.0...1_000_000
        /// A model's context window, in tokens.
        static let contextWindow = 1...ModelRegistry.maxContextWindow
        /// Bytes per token: 1 (every byte a token) to 16, past any tokenizer's average.
        static let bytesPerToken = 1...16
        /// Output tokens assumed for a request without a limit: up to a million.
        static let outputTokens = 1...1_000_000
        /// The usable share of a context window.
        static let usableShare = 0.1...1.0
    }

    /// Checks every number against ``Limits``.
    ///
    /// - Throws: ``ProviderError/badRequest(_:statusCode:)`` naming the first value out of range by
    ///   its key path, e.g. `providers.1.circuit_breaker.open_seconds`.
    public func validate() throws {
        func fail(_ path: String, _ rule: String, _ value: String) -> ProviderError {
            .badRequest("invalid router configuration: \(path): must be \(rule) (got \(value))")
        }
        func check(_ value: Int?, _ range: ClosedRange<Int>, _ path: String) throws {
            guard let value, !range.contains(value) else { return }
            throw fail(path, "a whole number in \(range.lowerBound)…\(range.upperBound)", "\(value)")
        }
        func check(_ value: Double?, _ range: ClosedRange<Double>, _ path: String) throws {
            guard let value, !(value.isFinite && range.contains(value)) else { return }
            throw fail(
                path, "a number in \(Self.format(range.lowerBound))…\(Self.format(range.upperBound))", "\(value)")
        }
        try check(budgetUsd, Limits.dollars, "budget_usd")
        for (model, price) in (prices ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = "prices.\(model)"
            try check(price.inputPerMillionTokens, Limits.dollars, "\(path).input_per_million_tokens")
            try check(price.outputPerMillionTokens, Limits.dollars, "\(path).output_per_million_tokens")
            try check(price.perThousandCharacters, Limits.dollars, "\(path).per_thousand_characters")
            try check(price.perImage, Limits.dollars, "\(path).per_image")
            try check(price.perAudioMinute, Limits.dollars, "\(path).per_audio_minute")
        }
        for (id, model) in (models ?? [:]).sorted(by: { $0.key < $1.key }) {
            let path = "models.\(id)"
            if id.isEmpty || id.utf8.count > ModelRegistry.maxModelIDLength {
                throw fail(
                    "models", "keyed by model ids of 1…\(ModelRegistry.maxModelIDLength) bytes", "\(id.prefix(40))")
            }
            try check(model.contextWindow, Limits.contextWindow, "\(path).context_window")
            for (index, name) in (model.capabilities ?? []).enumerated()
            where !ModelCapabilities.names.contains(where: { $0.name == name }) {
                throw fail(
                    "\(path).capabilities.\(index)",
                    "one of " + ModelCapabilities.names.map(\.name).joined(separator: ", "),
                    "\(name.prefix(40))")
            }
        }
        if let estimate {
            try check(estimate.bytesPerToken, Limits.bytesPerToken, "estimate.bytes_per_token")
            try check(estimate.defaultOutputTokens, Limits.outputTokens, "estimate.default_output_tokens")
            try check(estimate.usableShare, Limits.usableShare, "estimate.usable_share")
            try check(estimate.listedContextWindow, Limits.contextWindow, "estimate.listed_context_window")
        }
        for (index, entry) in providers.enumerated() {
            let path = "providers.\(index)"
            if let retry = entry.retry {
                try check(retry.maxAttempts, Limits.maxAttempts, "\(path).retry.max_attempts")
                try check(retry.initialDelay, Limits.delaySeconds, "\(path).retry.initial_delay")
                try check(retry.maxDelay, Limits.delaySeconds, "\(path).retry.max_delay")
                try check(
                    retry.maxServerDelaySeconds, Limits.serverDelaySeconds, "\(path).retry.max_server_delay_seconds")
            }
            if let breaker = entry.circuitBreaker {
                try check(breaker.failureRatio, 0...1, "\(path).circuit_breaker.failure_ratio")
                try check(breaker.minimumCalls, Limits.minimumCalls, "\(path).circuit_breaker.minimum_calls")
                try check(breaker.windowSeconds, Limits.windowSeconds, "\(path).circuit_breaker.window_seconds")
                try check(breaker.openSeconds, Limits.openSeconds, "\(path).circuit_breaker.open_seconds")
            }
            if let limit = entry.rateLimit {
                try check(limit.requestsPerMinute, Limits.requestsPerMinute, "\(path).rate_limit.requests_per_minute")
                try check(limit.tokensPerMinute, Limits.tokensPerMinute, "\(path).rate_limit.tokens_per_minute")
                try check(limit.maxConcurrent, Limits.maxConcurrent, "\(path).rate_limit.max_concurrent")
            }
        }
    }

    /// Why `data` is not JSON, with the line and column where the parser can say
    /// (`Invalid value around line 3, column 20`, `Number 1e999 is not representable in Swift`).
    private static func syntaxDetail(_ data: Data) -> String {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return "unreadable"
        } catch {
            var detail =
                ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? error.localizedDescription
            if let range = detail.range(of: #"around character \d+"#, options: .regularExpression),
                let offset = Int(detail[range].split(separator: " ").last ?? "")
            {
                let prefix = data.prefix(max(0, offset))
                let line = prefix.reduce(1) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
                let lineStart =
                    prefix.lastIndex(of: UInt8(ascii: "\n")).map {
                        prefix.distance(from: prefix.startIndex, to: $0) + 1
                    }
                    ?? 0
                let column = prefix.count - lineStart + 1
                detail.replaceSubrange(range, with: "around line \(line), column \(column)")
            }
            return detail.hasSuffix(".") ? String(detail.dropLast()) : detail
        }
    }

    private static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    private static func describe(_ error: DecodingError) -> String {
        // The decoder converts keys from snake_case; the path is shown as the file spells it.
        func snake(_ key: String) -> String {
            var result = ""
            for character in key {
                if character.isUppercase, !result.isEmpty { result += "_" }
                result += character.lowercased()
            }
            return result
        }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? snake($0.stringValue) }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return (parent.isEmpty ? "" : parent + ".") + "\(snake(key.stringValue)): missing"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(path(context)): \(context.debugDescription)"
        @unknown default:
            return "\(error)"
        }
    }
}

extension ProviderRouter {
    /// Makes a route's providers for a kind the router does not know: the entry, the environment.
    /// The router wraps what it returns in the entry's rate limit, retry and breaker.
    public typealias Factory =
        @Sendable (RouterConfiguration.Entry, [String: String]) throws -> Route

    /// Builds a router from a configuration: each provider made from its kind, wrapped in its rate
    /// limit (innermost), retry and circuit breaker (outermost).
    ///
    /// - Parameters:
    ///   - environment: where `api_key_env` names are looked up.
    ///   - transport: the HTTP transport for the remote providers.
    ///   - clock: the clock of every retry, breaker and limiter.
    ///   - factories: makers for kinds beyond the built-in ones, by kind.
    /// - Throws: ``ProviderError/badRequest(_:statusCode:)`` for an unknown kind, a bad URL, a
    ///   duplicate name or an empty provider list.
    public init(
        configuration: RouterConfiguration,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        transport: any HTTPTransport = DefaultHTTPTransport(),
        clock: any ProviderClock = SystemProviderClock(),
        ledger: CostLedger? = nil,
        factories: [String: Factory] = [:],
        logger: Logger = Logger(label: "storyforge.provider.router")
    ) throws {
        let routes = try Self.routes(
            configuration, environment: environment, transport: transport, clock: clock, factories: factories)
        // Without asking the servers, the models of routes that list theirs at start are not checked yet.
        let unlisted = Set(configuration.providers.filter(\.discovers).map(\.name))
        try self.init(
            configuration: configuration, routes: routes, registry: configuration.registry, unlisted: unlisted,
            ledger: ledger, logger: logger)
    }

    /// Builds a router from a configuration as ``init(configuration:environment:transport:clock:ledger:factories:logger:)``
    /// does, after asking each provider that lists its models (`discover_models`, by default Ollama and local
    /// OpenAI-compatible servers) for them, so that they join the registry with what they report (context windows
    /// checked, ``ModelRegistry/join(_:from:defaults:)``); a configuration's `models` entry wins over a report. A
    /// server that does not answer is logged and its route's models are not checked.
    ///
    /// - Throws: ``ProviderError/badRequest(_:statusCode:)`` as the initialiser does, and for a task route naming a
    ///   model that neither the configuration nor the servers know, with its path (`tasks.script.1.model`).
    public static func make(
        configuration: RouterConfiguration,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        transport: any HTTPTransport = DefaultHTTPTransport(),
        clock: any ProviderClock = SystemProviderClock(),
        ledger: CostLedger? = nil,
        factories: [String: Factory] = [:],
        logger: Logger = Logger(label: "storyforge.provider.router")
    ) async throws -> ProviderRouter {
        let routes = try Self.routes(
            configuration, environment: environment, transport: transport, clock: clock, factories: factories)
        var registry = configuration.registry
        var unlisted: Set<String> = []
        let defaults = ModelRegistry.ListingDefaults(
            contextWindow: configuration.estimate?.listedContextWindow ?? ModelRegistry.ListingDefaults().contextWindow)
        for entry in configuration.providers where entry.discovers {
            guard let generator = routes.first(where: { $0.name == entry.name })?.textGenerator else { continue }
            do {
                let listed = try await generator.models()
                let joined = registry.join(listed, from: entry.name, defaults: defaults)
                logger.debug(
                    "models listed by a local server joined the registry",
                    metadata: ["provider.name": "\(entry.name)", "routing.models": "\(joined)"])
            } catch {
                unlisted.insert(entry.name)
                logger.notice(
                    "a local server did not list its models; its routes' models are not checked",
                    metadata: ["provider.name": "\(entry.name)", "error": "\(ProviderError.typed(error))"])
            }
        }
        return try ProviderRouter(
            configuration: configuration, routes: routes, registry: registry, unlisted: unlisted, ledger: ledger,
            logger: logger)
    }

    private init(
        configuration: RouterConfiguration, routes: [Route], registry: ModelRegistry, unlisted: Set<String>,
        ledger: CostLedger?, logger: Logger
    ) throws {
        let prices = PriceTable.standard.merging(PriceTable(configuration.prices ?? [:]))
        let ledger = ledger ?? CostLedger(budget: configuration.budgetUsd)
        guard var taskRoutes = configuration.taskRoutes else {
            self.init(
                routes: routes, strategy: configuration.strategy ?? .ordered, prices: prices, ledger: ledger,
                logger: logger)
            return
        }
        if configuration.default == nil {
            // Factories may make kinds that do not chat: the default list is every route that does.
            taskRoutes.defaultRoutes = routes.filter { $0.textGenerator != nil }.map {
                TaskRoutes.Entry(route: $0.name)
            }
        }
        try self.init(
            routes: routes, taskRoutes: taskRoutes, registry: registry, unlisted: unlisted, prices: prices,
            ledger: ledger, logger: logger)
    }

    /// The configuration's routes, checked, each made from its kind and decorated.
    private static func routes(
        _ configuration: RouterConfiguration, environment: [String: String], transport: any HTTPTransport,
        clock: any ProviderClock, factories: [String: Factory]
    ) throws -> [Route] {
        guard !configuration.providers.isEmpty else {
            throw ProviderError.badRequest("invalid router configuration: providers is empty")
        }
        try configuration.validate()
        var names: Set<String> = []
        var routes: [Route] = []
        for entry in configuration.providers {
            guard names.insert(entry.name).inserted else {
                throw ProviderError.badRequest("invalid router configuration: two providers are named \(entry.name)")
            }
            var route: Route
            if let factory = factories[entry.kind] {
                route = try factory(entry, environment)
            } else {
                route = try Self.builtIn(entry, environment: environment, transport: transport)
            }
            route.name = entry.name
            if let local = entry.local { route.isLocal = local }
            routes.append(Self.decorate(route, entry: entry, clock: clock))
        }
        return routes
    }

    private static func builtIn(
        _ entry: RouterConfiguration.Entry,
        environment: [String: String],
        transport: any HTTPTransport
    ) throws -> Route {
        func url(_ fallback: String) throws -> URL {
            let text = entry.baseUrl ?? fallback
            guard let url = URL(string: text), url.scheme == "http" || url.scheme == "https" else {
                throw ProviderError.badRequest(
                    "invalid router configuration: \(entry.name).base_url is not an http(s) URL")
            }
            return url
        }
        let apiKey = entry.apiKeyEnv.flatMap { environment[$0] }.flatMap { $0.isEmpty ? nil : $0 }
        switch entry.kind {
        case "openai":
            var configuration = OpenAICompatibleProvider.Configuration(
                baseURL: try url("https://api.openai.com/v1"), apiKey: apiKey,
                allowsInsecureHTTP: entry.allowInsecureHttp ?? false)
            if let model = entry.model { configuration.chatModel = model }
            if let model = entry.speechModel { configuration.speechModel = model }
            if let voice = entry.voice { configuration.voice = voice }
            if let model = entry.transcriptionModel { configuration.transcriptionModel = model }
            if let model = entry.imageModel { configuration.imageModel = model }
            let provider = OpenAICompatibleProvider(configuration: configuration, transport: transport)
            return Route(
                name: entry.name, textGenerator: provider, speechSynthesizer: provider, transcriber: provider,
                imageGenerator: provider,
                defaultModels: [
                    "chat": configuration.chatModel, "speech": configuration.speechModel,
                    "transcription": configuration.transcriptionModel, "images": configuration.imageModel,
                ])
        case "ollama":
            var configuration = OllamaProvider.Configuration(baseURL: try url("http://127.0.0.1:11434"))
            if let model = entry.model { configuration.chatModel = model }
            return Route(
                name: entry.name,
                textGenerator: OllamaProvider(configuration: configuration, transport: transport),
                defaultModels: ["chat": configuration.chatModel], isLocal: true)
        case "elevenlabs":
            var configuration = ElevenLabsSpeechSynthesizer.Configuration(
                baseURL: try url("https://api.elevenlabs.io"), apiKey: apiKey,
                allowsInsecureHTTP: entry.allowInsecureHttp ?? false)
            if let model = entry.model { configuration.modelID = model }
            if let voice = entry.voice { configuration.voiceID = voice }
            return Route(
                name: entry.name,
                speechSynthesizer: ElevenLabsSpeechSynthesizer(configuration: configuration, transport: transport),
                defaultModels: ["speech": configuration.modelID])
        case "espeak":
            var configuration = EspeakSpeechSynthesizer.Configuration()
            if let voice = entry.voice { configuration.voice = voice }
            return Route(
                name: entry.name, speechSynthesizer: EspeakSpeechSynthesizer(configuration: configuration),
                isLocal: true)
        default:
            // The offline stand-ins ("template", "procedural") are OfflineProviders' factories.
            throw ProviderError.badRequest(
                "invalid router configuration: \(entry.name) has unknown kind \(entry.kind) "
                    + "(known: openai, ollama, elevenlabs, espeak; template and procedural with "
                    + "OfflineProviders' ProviderRouter.offlineFactories)")
        }
    }

    private static func decorate(_ route: Route, entry: RouterConfiguration.Entry, clock: any ProviderClock) -> Route {
        let limiter = entry.rateLimit.map {
            ProviderRateLimiter(
                provider: entry.name,
                configuration: .init(
                    requestsPerMinute: $0.requestsPerMinute, tokensPerMinute: $0.tokensPerMinute,
                    maxConcurrent: $0.maxConcurrent),
                clock: clock)
        }
        let policy = entry.retry?.policy ?? .none
        let breaker = CircuitBreaker(
            provider: entry.name, configuration: entry.circuitBreaker?.configuration ?? .init(), clock: clock)
        let stack = DecorationStack(name: entry.name, limiter: limiter, policy: policy, breaker: breaker, clock: clock)
        var decorated = route
        decorated.breaker = breaker
        decorated.textGenerator = route.textGenerator.map { stack.text($0) }
        decorated.speechSynthesizer = route.speechSynthesizer.map { stack.speech($0) }
        decorated.transcriber = route.transcriber.map { stack.transcriber($0) }
        decorated.imageGenerator = route.imageGenerator.map { stack.images($0) }
        return decorated
    }
}

/// Wraps existential providers in the configured decorators (opening each existential).
private struct DecorationStack {
    let name: String
    let limiter: ProviderRateLimiter?
    let policy: ProviderRetryPolicy
    let breaker: CircuitBreaker
    let clock: any ProviderClock

    func text<Base: TextGenerator>(_ base: Base) -> any TextGenerator {
        if let limiter {
            return base.withRateLimit(limiter).withRetry(policy, name: name, clock: clock).withCircuitBreaker(breaker)
        }
        return base.withRetry(policy, name: name, clock: clock).withCircuitBreaker(breaker)
    }

    func speech<Base: SpeechSynthesizer>(_ base: Base) -> any SpeechSynthesizer {
        if let limiter {
            return base.withRateLimit(limiter).withRetry(policy, name: name, clock: clock).withCircuitBreaker(breaker)
        }
        return base.withRetry(policy, name: name, clock: clock).withCircuitBreaker(breaker)
    }

    func transcriber<Base: Transcriber>(_ base: Base) -> any Transcriber {
        if let limiter {
            return base.withRateLimit(limiter).withRetry(policy, name: name, clock: clock).withCircuitBreaker(breaker)
        }
        return base.withRetry(policy, name: name, clock: clock).withCircuitBreaker(breaker)
    }

    func images<Base: ImageGenerator>(_ base: Base) -> any ImageGenerator {
        if let limiter {
            return base.withRateLimit(limiter).withRetry(policy, name: name, clock: clock).withCircuitBreaker(breaker)
        }
        return base.withRetry(policy, name: name, clock: clock).withCircuitBreaker(breaker)
    }
}

extension KeyedDecodingContainer {
    /// A whole number decoded as a JSON number first, so that `1.5`, `1e300` or
    /// `99999999999999999999999` is an error naming this key (Foundation would call the whole file
    /// "not valid JSON").
    fileprivate func decodeWholeNumber(forKey key: Key) throws -> Int? {
        guard let value = try decodeIfPresent(Double.self, forKey: key) else { return nil }
        guard let whole = CheckedNumber.integer(value, in: Int.min...Int.max) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath + [key], debugDescription: "must be a whole number (got \(value))"))
        }
        return whole
    }
}
