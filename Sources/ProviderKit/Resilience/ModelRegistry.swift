/// What a chat model can do, as far as routing cares: a request that needs one of these skips models without it.
public struct ModelCapabilities: OptionSet, Sendable, Hashable {
    /// The bits.
    public let rawValue: UInt8
    /// Creates capabilities from bits.
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Output constrained by a JSON schema (`json_schema`).
    public static let jsonSchema = Self(rawValue: 1 << 0)
    /// Tool calls (`tools`).
    public static let tools = Self(rawValue: 1 << 1)
    /// Image input (`vision`).
    public static let vision = Self(rawValue: 1 << 2)
    /// Streamed output (`streaming`).
    public static let streaming = Self(rawValue: 1 << 3)

    /// Every capability.
    public static let all: Self = [.jsonSchema, .tools, .vision, .streaming]

    /// The names configuration files use, in order.
    public static let names: [(name: String, capability: ModelCapabilities)] = [
        ("json_schema", .jsonSchema), ("tools", .tools), ("vision", .vision), ("streaming", .streaming),
    ]

    /// The names of the capabilities in this set, e.g. `["json_schema", "streaming"]`.
    public var listed: [String] { Self.names.filter { contains($0.capability) }.map(\.name) }
}

/// How quick a model answers, roughly: documentation for a configuration's tiers, and shown in listings.
public struct LatencyClass: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `fast`, `standard` or `slow`.
    public let rawValue: String
    private init(_ rawValue: String) { self.rawValue = rawValue }

    /// Small or local models: well under a second to the first token.
    public static let fast = LatencyClass("fast")
    /// Typical hosted models.
    public static let standard = LatencyClass("standard")
    /// Large or reasoning models.
    public static let slow = LatencyClass("slow")

    /// Every class.
    public static let all: [LatencyClass] = [.fast, .standard, .slow]

    /// The class named `name`, or `nil`.
    public static func named(_ name: String) -> LatencyClass? { all.first { $0.rawValue == name } }

    /// Decodes a class by name; another name is an error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let known = Self.named(name) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "must be fast, standard or slow (got \(name.prefix(40)))")
        }
        self = known
    }

    /// Encodes the name.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The name.
    public var description: String { rawValue }
}

/// The models a ``ProviderRouter`` knows: context window, price, capabilities and latency class of each, so that it
/// can send a request only where it fits.
///
/// Built from a ``PriceTable`` (every priced model joins, with the context windows and capabilities of the
/// well-known ones in ``standardDetails``), extended from a configuration's `models` section, and at start by the
/// models local servers list (``join(_:from:defaults:)``: Ollama's `/api/tags`, an OpenAI-compatible `/v1/models`).
///
/// A model whose context window or capabilities are unknown (`nil`) is not checked for them: the router assumes it
/// can take the request. Name it in the configuration to have it checked.
///
/// ```swift
/// var registry = ModelRegistry(prices: .standard)
/// registry.register(.init(id: "llama3.2", contextWindow: 8192, capabilities: [.jsonSchema, .streaming],
///                         latency: .fast))
/// registry["gpt-4o-mini"]?.contextWindow   // 128000
/// ```
public struct ModelRegistry: Sendable, Hashable {
    /// One model.
    public struct Model: Sendable, Hashable {
        /// The identifier requests name.
        public var id: String
        /// The most tokens (prompt and output together) it takes; `nil` when unknown (not checked).
        public var contextWindow: Int?
        /// Its price; `nil` when unknown (it costs 0 in the ledger, as before).
        public var price: ModelPrice?
        /// What it can do; `nil` when unknown (not checked).
        public var capabilities: ModelCapabilities?
        /// How quick it is.
        public var latency: LatencyClass?
        /// Where the entry came from: `prices`, `standard`, `configuration` or a route's name for a listed model.
        public var source: String

        /// Creates a model entry.
        public init(
            id: String, contextWindow: Int? = nil, price: ModelPrice? = nil, capabilities: ModelCapabilities? = nil,
            latency: LatencyClass? = nil, source: String = "configuration"
        ) {
            self.id = id
            self.contextWindow = contextWindow
            self.price = price
            self.capabilities = capabilities
            self.latency = latency
            self.source = source
        }

        /// This entry with the fields `other` knows replacing its own.
        public func merging(_ other: Model) -> Model {
            Model(
                id: id, contextWindow: other.contextWindow ?? contextWindow, price: other.price ?? price,
                capabilities: other.capabilities ?? capabilities, latency: other.latency ?? latency,
                source: other.source)
        }
    }

    /// The largest context window accepted from a configuration or a server, in tokens: 10 million, the largest any
    /// published model offers (Llama 4 Scout); a bigger number is a mistake or hostile, and is rejected.
    public static let maxContextWindow = 10_000_000
    /// The most models taken from one server's list: a hostile list of millions stops here.
    public static let maxListedModels = 1000
    /// The longest model id taken from a server's list, in UTF-8 bytes.
    public static let maxModelIDLength = 256

    /// The models, by id.
    public private(set) var models: [String: Model]

    /// Context windows, capabilities and latency of the chat models in ``PriceTable/standard`` (published by OpenAI),
    /// and the speech, transcription and image models there (no context window, no chat capabilities).
    public static let standardDetails: [String: Model] = [
        "gpt-4o-mini": Model(
            id: "gpt-4o-mini", contextWindow: 128_000, capabilities: .all, latency: .fast, source: "standard"),
        "gpt-4o": Model(
            id: "gpt-4o", contextWindow: 128_000, capabilities: .all, latency: .standard, source: "standard"),
        "gpt-4.1-mini": Model(
            id: "gpt-4.1-mini", contextWindow: 1_047_576, capabilities: .all, latency: .fast, source: "standard"),
        "tts-1": Model(id: "tts-1", capabilities: [], latency: .fast, source: "standard"),
        "tts-1-hd": Model(id: "tts-1-hd", capabilities: [], latency: .standard, source: "standard"),
        "whisper-1": Model(id: "whisper-1", capabilities: [], latency: .standard, source: "standard"),
        "dall-e-3": Model(id: "dall-e-3", capabilities: [], latency: .slow, source: "standard"),
    ]

    /// A registry of every model `prices` lists, with ``standardDetails`` where it has them.
    public init(prices: PriceTable = .standard) {
        var models: [String: Model] = [:]
        for (id, price) in prices.prices {
            var model = Self.standardDetails[id] ?? Model(id: id, source: "prices")
            model.price = price
            models[id] = model
        }
        self.models = models
    }

    /// The model `id`, or `nil` when the registry does not know it.
    public subscript(id: String) -> Model? { models[id] }

    /// Adds `model`, or merges it into the entry of the same id (the new fields win).
    public mutating func register(_ model: Model) {
        if let known = models[model.id] {
            models[model.id] = known.merging(model)
        } else {
            models[model.id] = model
        }
    }

    /// What a model a server lists is assumed to have when the server does not say.
    public struct ListingDefaults: Sendable, Hashable {
        /// The context window of a listed model that reports none. 4096: Ollama's documented default `num_ctx`,
        /// what a local server serves unless told otherwise.
        public var contextWindow: Int
        /// The capabilities of a listed model (the server's protocol supports them).
        public var capabilities: ModelCapabilities
        /// The latency class of a listed model.
        public var latency: LatencyClass

        /// Creates defaults.
        public init(
            contextWindow: Int = 4096, capabilities: ModelCapabilities = [.jsonSchema, .tools, .streaming],
            latency: LatencyClass = .fast
        ) {
            self.contextWindow = contextWindow
            self.capabilities = capabilities
            self.latency = latency
        }
    }

    /// Adds the models a server listed (``Provider/models()``), at most ``maxListedModels``, skipping ids that are
    /// empty or longer than ``maxModelIDLength``. A model already registered keeps what it has and gains only what it
    /// lacked, so a configuration's `models` entry wins over the server's report.
    ///
    /// - Returns: how many models joined or were completed.
    @discardableResult
    public mutating func join(_ listed: [ModelInfo], from route: String, defaults: ListingDefaults = ListingDefaults())
        -> Int
    {
        var joined = 0
        for info in listed.prefix(Self.maxListedModels) {
            guard !info.id.isEmpty, info.id.utf8.count <= Self.maxModelIDLength else { continue }
            // ModelInfo's context window is checked when parsed; check again for one a host built.
            let window = info.contextWindow.flatMap { (1...Self.maxContextWindow).contains($0) ? $0 : nil }
            let reported = Model(
                id: info.id, contextWindow: window ?? defaults.contextWindow, capabilities: defaults.capabilities,
                latency: defaults.latency, source: route)
            if let known = models[info.id] {
                models[info.id] = reported.merging(known)
            } else {
                models[info.id] = reported
            }
            joined += 1
        }
        return joined
    }

    /// The prices of the registered models that have one.
    public var prices: PriceTable {
        PriceTable(models.compactMapValues(\.price))
    }
}
