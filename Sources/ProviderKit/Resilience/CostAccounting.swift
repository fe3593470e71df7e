/// What a model costs, in US dollars. Fields that do not apply stay zero.
public struct ModelPrice: Sendable, Hashable, Codable {
    /// Per million prompt tokens.
    public var inputPerMillionTokens: Double
    /// Per million generated tokens.
    public var outputPerMillionTokens: Double
    /// Per thousand characters of text to speak (speech models).
    public var perThousandCharacters: Double
    /// Per generated image (image models).
    public var perImage: Double
    /// Per minute of transcribed audio (transcription models).
    public var perAudioMinute: Double
    /// Per second of generated video (video models).
    public var perVideoSecond: Double

    /// Creates a price.
    public init(
        inputPerMillionTokens: Double = 0,
        outputPerMillionTokens: Double = 0,
        perThousandCharacters: Double = 0,
        perImage: Double = 0,
        perAudioMinute: Double = 0,
        perVideoSecond: Double = 0
    ) {
        self.inputPerMillionTokens = inputPerMillionTokens
        self.outputPerMillionTokens = outputPerMillionTokens
        self.perThousandCharacters = perThousandCharacters
        self.perImage = perImage
        self.perAudioMinute = perAudioMinute
        self.perVideoSecond = perVideoSecond
    }

    /// Nothing: a local model.
    public static let free = ModelPrice()

    enum CodingKeys: String, CodingKey {
        case inputPerMillionTokens, outputPerMillionTokens, perThousandCharacters, perImage, perAudioMinute
        case perVideoSecond
    }

    /// Decodes a price; missing fields are zero. In a router configuration the keys are
    /// snake_case (`input_per_million_tokens`), converted by its decoder.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        func value(_ key: CodingKeys) throws -> Double { try container.decodeIfPresent(Double.self, forKey: key) ?? 0 }
        self.init(
            inputPerMillionTokens: try value(.inputPerMillionTokens),
            outputPerMillionTokens: try value(.outputPerMillionTokens),
            perThousandCharacters: try value(.perThousandCharacters), perImage: try value(.perImage),
            perAudioMinute: try value(.perAudioMinute), perVideoSecond: try value(.perVideoSecond))
    }
}

/// Prices by model name; the host adds or overrides entries.
///
/// ```swift
/// var prices = PriceTable.standard
/// prices["my-finetune"] = ModelPrice(inputPerMillionTokens: 0.3, outputPerMillionTokens: 1.2)
/// ```
public struct PriceTable: Sendable, Hashable {
    /// The prices, by model name.
    public var prices: [String: ModelPrice]

    /// Creates a table.
    public init(_ prices: [String: ModelPrice] = [:]) { self.prices = prices }

    /// A few public list prices (USD, as published by OpenAI; check them before relying on a budget).
    public static let standard = PriceTable([
        "gpt-4o-mini": ModelPrice(inputPerMillionTokens: 0.15, outputPerMillionTokens: 0.60),
        "gpt-4o": ModelPrice(inputPerMillionTokens: 2.50, outputPerMillionTokens: 10.00),
        "gpt-4.1-mini": ModelPrice(inputPerMillionTokens: 0.40, outputPerMillionTokens: 1.60),
        "tts-1": ModelPrice(perThousandCharacters: 0.015),
        "tts-1-hd": ModelPrice(perThousandCharacters: 0.030),
        "whisper-1": ModelPrice(perAudioMinute: 0.006),
        "dall-e-3": ModelPrice(perImage: 0.040),
    ])

    /// The price of `model`, or `nil` when unknown.
    public subscript(model: String) -> ModelPrice? {
        get { prices[model] }
        set { prices[model] = newValue }
    }

    /// This table with `other`'s entries added, `other` winning where both have a model.
    public func merging(_ other: PriceTable) -> PriceTable {
        PriceTable(prices.merging(other.prices) { _, new in new })
    }

    /// The cost of a call before it is made: the prompt at about four characters a token and the
    /// output limit (or 512 tokens) in full, so that a budget is not passed by surprise.
    public func estimate(_ call: ProviderCall, model: String?) -> Double {
        guard let price = model.flatMap({ prices[$0] }) else { return 0 }
        switch call.request {
        case .chat(let request), .stream(let request):
            let prompt = Double(request.messages.reduce(0) { $0 + $1.content.count }) / 4
            let output = Double(request.maxTokens ?? 512)
            return (prompt * price.inputPerMillionTokens + output * price.outputPerMillionTokens) / 1e6
        case .speech(let request): return Double(request.text.count) * price.perThousandCharacters / 1000
        case .images(let request): return Double(request.count) * price.perImage
        case .video(let request):
            // The request's length is the caller's: only a finite, positive one costs anything.
            guard request.seconds.isFinite, request.seconds > 0 else { return 0 }
            return request.seconds * price.perVideoSecond
        case .transcription: return 0  // the audio's length is known only from the answer
        }
    }

    /// The cost of a finished call, from what it used; falls back to the estimate when a chat
    /// answer reported no usage.
    public func cost(_ call: ProviderCall, model: String?, usage: TokenUsage?, audioSeconds: Double? = nil) -> Double {
        guard let price = model.flatMap({ prices[$0] }) else { return 0 }
        switch call.request {
        case .chat, .stream:
            guard let usage else { return estimate(call, model: model) }
            // Counts are Ints (at most Int.max, exactly representable to 2^53): Double() cannot trap.
            return
                (Double(usage.promptTokens) * price.inputPerMillionTokens
                + Double(usage.completionTokens) * price.outputPerMillionTokens) / 1e6
        case .transcription:
            guard let audioSeconds, audioSeconds.isFinite, audioSeconds > 0 else { return 0 }
            return audioSeconds / 60 * price.perAudioMinute
        case .speech, .images, .video: return estimate(call, model: model)
        }
    }
}

/// Usage and cost of a run, per provider, against an optional budget. Share one ledger between
/// routers to give a run one budget.
public actor CostLedger {
    /// What one provider has used.
    public struct Usage: Sendable, Hashable {
        /// Calls that succeeded.
        public var calls = 0
        /// Prompt tokens.
        public var promptTokens = 0
        /// Generated tokens.
        public var completionTokens = 0
        /// Characters spoken.
        public var characters = 0
        /// Images made.
        public var images = 0
        /// Seconds of audio transcribed.
        public var audioSeconds = 0.0
        /// Seconds of video clips generated (as requested).
        public var videoSeconds = 0.0
        /// Dollars spent.
        public var cost = 0.0
    }

    /// The budget in US dollars, or `nil` for none.
    public nonisolated let budget: Double?
    private var usage: [String: Usage] = [:]
    private var spent = 0.0

    /// Creates a ledger with an optional budget in US dollars.
    public init(budget: Double? = nil) {
        self.budget = budget
    }

    /// Dollars spent so far.
    public var totalCost: Double { spent }

    /// Usage so far, by provider name.
    public var usageByProvider: [String: Usage] { usage }

    /// What is left of the budget (`nil` without one).
    public var remaining: Double? { budget.map { max(0, $0 - spent) } }

    /// Whether a call estimated at `cost` fits in the budget.
    public func canSpend(_ cost: Double) -> Bool {
        guard let budget else { return true }
        return spent + cost <= budget
    }

    /// Whether the budget is spent: every remote call is refused from then on, even one whose price is unknown.
    public var isSpent: Bool {
        guard let budget else { return false }
        return spent >= budget
    }

    /// Whether a remote call estimated at `cost` may go: the budget is not spent and the call fits in it.
    public func admits(_ cost: Double) -> Bool {
        guard let budget else { return true }
        return spent < budget && spent + cost <= budget
    }

    /// Books a finished call.
    public func record(
        provider: String, call: ProviderCall, usage tokens: TokenUsage?, audioSeconds: Double?, cost: Double
    ) {
        // Token counts come from the provider: the sums saturate instead of trapping, and a cost
        // that is not a number (NaN from a NaN price) or negative books nothing. An infinite one
        // is kept: it honestly spends the budget.
        var entry = usage[provider, default: Usage()]
        entry.calls = CheckedNumber.saturatingSum(entry.calls, 1)
        entry.promptTokens = CheckedNumber.saturatingSum(entry.promptTokens, max(0, tokens?.promptTokens ?? 0))
        entry.completionTokens = CheckedNumber.saturatingSum(
            entry.completionTokens, max(0, tokens?.completionTokens ?? 0))
        switch call.request {
        case .speech(let request): entry.characters = CheckedNumber.saturatingSum(entry.characters, request.text.count)
        case .images(let request): entry.images = CheckedNumber.saturatingSum(entry.images, max(0, request.count))
        case .transcription:
            if let audioSeconds, audioSeconds.isFinite, audioSeconds > 0 { entry.audioSeconds += audioSeconds }
        case .video(let request):
            if request.seconds.isFinite, request.seconds > 0 { entry.videoSeconds += request.seconds }
        case .chat, .stream: break
        }
        let booked = cost > 0 ? cost : 0  // NaN > 0 is false
        entry.cost += booked
        usage[provider] = entry
        spent += booked
    }
}
