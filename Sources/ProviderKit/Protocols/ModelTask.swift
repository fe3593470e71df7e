/// The kind of work a model call does (writing ideas, a script, a shot plan…), so that a ``ProviderRouter`` with
/// per-task routes (``TaskRoutes``) sends it to the models configured for that work, and logs, metrics and manifests
/// say which task each call served.
///
/// A struct with static members rather than an enum: hosts add their own tasks (`ModelTask("captions")`) and new
/// ones break no host.
///
/// ```swift
/// var request = ChatRequest(messages: [.user("Three story ideas about the sea")])
/// request.task = .ideas
/// ```
public struct ModelTask: Sendable, Hashable, Codable, Comparable, CustomStringConvertible,
    ExpressibleByStringLiteral
{
    /// The task's name as configuration files, logs, metrics and manifests spell it (`shot_plan`).
    public let rawValue: String

    /// A task named `rawValue`.
    public init(_ rawValue: String) { self.rawValue = rawValue }

    /// A task named by a string literal.
    public init(stringLiteral value: String) { self.rawValue = value }

    /// Story ideas (`ideas`).
    public static let ideas = ModelTask("ideas")
    /// The first script (`script`).
    public static let script = ModelTask("script")
    /// A revision of the script (`revision`).
    public static let revision = ModelTask("revision")
    /// The scene and shot plan (`shot_plan`).
    public static let shotPlan = ModelTask("shot_plan")
    /// A model that scores or judges text (`scoring`).
    public static let scoring = ModelTask("scoring")
    /// An image prompt for a keyframe (`keyframe_prompt`).
    public static let keyframePrompt = ModelTask("keyframe_prompt")
    /// The task of a request that names none (`default`): it takes the default route list.
    public static let unnamed = ModelTask("default")

    /// Decodes the name.
    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(String.self)
    }

    /// Encodes the name.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    /// The name.
    public var description: String { rawValue }

    /// Ordered by name, for stable listings.
    public static func < (lhs: ModelTask, rhs: ModelTask) -> Bool { lhs.rawValue < rhs.rawValue }
}
