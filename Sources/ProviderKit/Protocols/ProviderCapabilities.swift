public import StoryForgeCore

/// What a provider can do, so that a host can pick one for a job.
public struct ProviderCapabilities: OptionSet, Sendable, Hashable {
    /// The bits.
    public let rawValue: UInt32
    /// Creates capabilities from bits.
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Streams its output as it is produced.
    public static let streaming = Self(rawValue: 1 << 0)
    /// Calls tools the request defines.
    public static let toolCalls = Self(rawValue: 1 << 1)
    /// Constrains output to a JSON schema.
    public static let structuredOutput = Self(rawValue: 1 << 2)
    /// Honours a seed for reproducible output.
    public static let seed = Self(rawValue: 1 << 3)
    /// Reports per-word timings (speech and transcription).
    public static let wordTimings = Self(rawValue: 1 << 4)
    /// Lists its models.
    public static let modelList = Self(rawValue: 1 << 5)
    /// Runs on this machine without network access.
    public static let offline = Self(rawValue: 1 << 6)
    /// Its output is deterministic for a given input and seed.
    public static let deterministic = Self(rawValue: 1 << 7)
    /// Retries transient failures itself (transport errors, 429, 5xx, timeouts), as ``RetryingProvider`` does; a
    /// caller that sees it adds no retry layer of its own, so one call never multiplies attempts.
    public static let retriesTransientFailures = Self(rawValue: 1 << 8)
}

/// A model a provider offers.
public struct ModelInfo: Sendable, Hashable, Codable {
    /// The identifier to put in requests.
    public var id: String
    /// Who owns or made it, when the provider says.
    public var ownedBy: String?
    /// Its size on disk in bytes, when the provider says (Ollama does).
    public var sizeBytes: Int?
    /// The context window in tokens, when the server reports one (vLLM's `max_model_len`, `context_length`,
    /// `context_window`): a whole number in 1…``ModelRegistry/maxContextWindow``, anything else is dropped.
    public var contextWindow: Int?

    /// Creates a model description.
    public init(id: String, ownedBy: String? = nil, sizeBytes: Int? = nil, contextWindow: Int? = nil) {
        self.id = id
        self.ownedBy = ownedBy
        self.sizeBytes = sizeBytes
        self.contextWindow = contextWindow
    }

    /// A context window a server reported (any JSON value), checked: a whole number in
    /// 1…``ModelRegistry/maxContextWindow``, else `nil` (a string, a fraction, `-1`, `1e300`, NaN are all dropped).
    public static func checkedContextWindow(_ value: JSONValue?) -> Int? {
        CheckedNumber.integer(value?.numberValue, in: 1...ModelRegistry.maxContextWindow)
    }
}

/// The result of a successful health check.
public struct HealthReport: Sendable, Hashable {
    /// How long the check took.
    public var latency: Duration
    /// What was checked, e.g. `GET /v1/models: 12 models`.
    public var detail: String

    /// Creates a report.
    public init(latency: Duration, detail: String) {
        self.latency = latency
        self.detail = detail
    }
}

/// What every provider offers besides its main job.
public protocol Provider: Sendable {
    /// Who it is: name, models and a digest of the configuration that changes its output (never a secret).
    /// Decorators report their base's identity; chains report one naming their members.
    var identity: ProviderIdentity { get }
    /// What it can do.
    var capabilities: ProviderCapabilities { get }
    /// Checks that the provider answers; throws a ``ProviderError`` saying why when it does not.
    func checkHealth() async throws -> HealthReport
    /// The models it offers; throws ``ProviderError/unsupported(_:)`` when the API has no list.
    func models() async throws -> [ModelInfo]
}

extension Provider {
    /// No model list by default.
    public func models() async throws -> [ModelInfo] {
        throw ProviderError.unsupported("this provider has no model list")
    }
}
