import Synchronization

/// Why a ``ProviderRouter`` with per-task routes sent a call where it did: carried in every ``RoutingDecision``,
/// logged (`routing.reason`), counted (the `reason` dimension of `storyforge_provider_routing_decisions_total`) and
/// written to story manifests.
///
/// A struct with static members rather than an enum, so that a reason added later breaks no host; each value is one
/// of the documented names below.
public struct RoutingReason: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The name as logs, metrics and manifests spell it (`context_window`).
    public let rawValue: String
    private init(_ rawValue: String) { self.rawValue = rawValue }

    /// `ordered`: the first route of the task's list (of its tier) took the call.
    public static let ordered = RoutingReason("ordered")
    /// `capability`: a route before it (or the fast tier) lacks what the request needs (JSON schema, tools, vision,
    /// streaming).
    public static let capability = RoutingReason("capability")
    /// `context_window`: the request's estimated tokens do not fit a route before it (or the fast tier).
    public static let contextWindow = RoutingReason("context_window")
    /// `breaker_open`: a route before it has an open circuit breaker.
    public static let breakerOpen = RoutingReason("breaker_open")
    /// `low_score`: the caller judged an earlier answer too weak and asked to escalate (``RouteEscalation``).
    public static let lowScore = RoutingReason("low_score")
    /// `budget`: the budget is spent or the call would pass it, so remote routes are skipped and a local one served.
    public static let budget = RoutingReason("budget")
    /// `failure`: a route before it failed (an error that falls back: 5xx, timeout, transport…).
    public static let failure = RoutingReason("failure")

    /// Every reason, for listings and validation.
    public static let all: [RoutingReason] = [
        .ordered, .capability, .contextWindow, .breakerOpen, .lowScore, .budget, .failure,
    ]

    /// Decodes a reason by name; an unknown name is an error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let known = Self.all.first(where: { $0.rawValue == name }) else {
            throw DecodingError.dataCorruptedError(
                in: container,
                debugDescription: "unknown routing reason \(name.prefix(40)) (known: "
                    + Self.all.map(\.rawValue).joined(separator: ", ") + ")")
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

/// A complexity tier of a task's route list (``TaskRoutes``): requests that fit the fast tier's models go there,
/// the others to the quality tier, and each tier falls over to the other.
public struct RoutingTier: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `fast` or `quality`.
    public let rawValue: String
    private init(_ rawValue: String) { self.rawValue = rawValue }

    /// Small, quick models (often local) for requests that fit them.
    public static let fast = RoutingTier("fast")
    /// Strong models for requests the fast tier cannot take.
    public static let quality = RoutingTier("quality")

    /// Both tiers.
    public static let all: [RoutingTier] = [.fast, .quality]

    /// The tier named `name`, or `nil`.
    public static func named(_ name: String) -> RoutingTier? { all.first { $0.rawValue == name } }

    /// Decodes a tier; a name other than `fast` or `quality` is an error.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let tier = Self.named(name) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "must be fast or quality (got \(name.prefix(40)))")
        }
        self = tier
    }

    /// Encodes the name.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The name.
    public var description: String { rawValue }
}

/// Where a ``ProviderRouter`` with per-task routes sent one call, and why: in ``ResponseOrigin/routing``.
public struct RoutingDecision: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A route passed over before the one that served, and why.
    public struct Skip: Sendable, Hashable, Codable {
        /// The route's name.
        public var route: String
        /// The model it would have used.
        public var model: String?
        /// Why it was passed over.
        public var reason: RoutingReason

        /// Creates a skip.
        public init(route: String, model: String?, reason: RoutingReason) {
            self.route = route
            self.model = model
            self.reason = reason
        }
    }

    /// The call's task (``ModelTask/unnamed`` when the request named none).
    public var task: ModelTask
    /// The route that served it.
    public var route: String
    /// The model it used.
    public var model: String?
    /// The tier of the route, in a tiered list.
    public var tier: RoutingTier?
    /// Why this route: ``RoutingReason/ordered`` when it was the first choice, else why the ones before it were not
    /// used (the first skip's reason, the tier choice, or ``RoutingReason/lowScore`` for an escalation).
    public var reason: RoutingReason
    /// The routes passed over before it, in order.
    public var skipped: [Skip]
    /// Whether a later route in the list could still take the task: a caller that finds the answer weak may ask for
    /// one escalation (``RouteEscalation``).
    public var canEscalate: Bool

    /// Creates a decision.
    public init(
        task: ModelTask, route: String, model: String?, tier: RoutingTier? = nil, reason: RoutingReason,
        skipped: [Skip] = [], canEscalate: Bool = false
    ) {
        self.task = task
        self.route = route
        self.model = model
        self.tier = tier
        self.reason = reason
        self.skipped = skipped
        self.canEscalate = canEscalate
    }

    /// E.g. `script → quality/gpt-4o (context_window)`.
    public var description: String {
        "\(task) → \(route)\(model.map { "/\($0)" } ?? "") (\(reason))"
    }
}

/// How many decisions a router made, by task, route and reason: what the metrics count, kept for the host too.
public struct RoutingCount: Sendable, Hashable {
    /// The task.
    public var task: ModelTask
    /// The route that served.
    public var route: String
    /// Why.
    public var reason: RoutingReason
    /// How many calls.
    public var calls: Int
}

/// The decision counts of one router; shared by its copies. Guarded by a `Mutex`.
final class RoutingBoard: Sendable {
    private struct Key: Hashable {
        var task: ModelTask
        var route: String
        var reason: RoutingReason
    }

    private let counts = Mutex<[Key: Int]>([:])

    func record(_ decision: RoutingDecision) {
        counts.withLock {
            $0[Key(task: decision.task, route: decision.route, reason: decision.reason), default: 0] &+= 1
        }
    }

    func snapshot() -> [RoutingCount] {
        counts.withLock { counts in
            counts.map { RoutingCount(task: $0.key.task, route: $0.key.route, reason: $0.key.reason, calls: $0.value) }
        }
        .sorted { ($0.task.rawValue, $0.route, $0.reason.rawValue) < ($1.task.rawValue, $1.route, $1.reason.rawValue) }
    }
}
