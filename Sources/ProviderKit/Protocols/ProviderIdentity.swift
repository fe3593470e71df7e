import Foundation
import StoryForgeCore

/// Who a provider is: its name, the model it uses for each kind of call, and a digest of the configuration that
/// changes its output.
///
/// Cache keys and manifests are built from the identity, so that a different model, server or voice reruns what it
/// would change instead of reusing stale results. It never holds a secret: no API key, no auth header, not even a
/// hash of one (the response cache scopes entries by account separately, see ``CachingProvider``).
///
/// ```swift
/// let provider = OpenAICompatibleProvider(configuration: .fromEnvironment())
/// provider.identity.name                 // "openai-compatible"
/// provider.identity.model(for: .speech)  // "tts-1"
/// provider.identity.fingerprint          // "openai-compatible[chat=gpt-4o-mini,…]#3f2a…"
/// ```
public struct ProviderIdentity: Sendable, Hashable, CustomStringConvertible {
    /// A kind of call a provider serves, naming which of its models applies.
    public struct Role: Sendable, Hashable, Comparable, CustomStringConvertible {
        /// `chat`, `speech`, `transcription`, `images` or `video`.
        public let rawValue: String
        private init(_ rawValue: String) { self.rawValue = rawValue }

        /// Chat completions (``TextGenerator``).
        public static let chat = Role("chat")
        /// Speech synthesis (``SpeechSynthesizer``).
        public static let speech = Role("speech")
        /// Transcription (``Transcriber``).
        public static let transcription = Role("transcription")
        /// Image generation (``ImageGenerator``).
        public static let images = Role("images")
        /// Video clip generation (``VideoClipGenerator``).
        public static let video = Role("video")

        /// The role's name.
        public var description: String { rawValue }
        /// Ordered by name, so fingerprints list roles the same way every time.
        public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rawValue < rhs.rawValue }
    }

    /// What the provider is, e.g. `openai-compatible`, `ollama`, `espeak-ng`, `template`; for a chain, the members'
    /// names joined by `>` (`ollama>openai-compatible`).
    public let name: String
    /// The model for each role the provider serves; a request that names its own model overrides it.
    public let models: [Role: String]
    /// The hex SHA-256 of the output-relevant configuration (base URL, voice, rates…, never a secret), or of the
    /// members' fingerprints for a chain.
    public let configurationDigest: String
    /// For a chain (fallback, router), the members in order of preference; empty for a single provider.
    public let members: [ProviderIdentity]

    /// Creates an identity.
    ///
    /// - Parameters:
    ///   - name: what the provider is.
    ///   - models: the model for each role it serves.
    ///   - configuration: the settings that change its output, by name (`base_url`, `voice`, …). Never pass a key,
    ///     a header value or anything derived from one.
    public init(name: String, models: [Role: String], configuration: [String: String] = [:]) {
        self.name = name
        self.models = models
        self.members = []
        let canonical = configuration.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            .joined(separator: "\n")
        self.configurationDigest = Self.sha256(canonical)
    }

    /// The identity of a chain whose members are tried in order: named after them, with the first member's models,
    /// and a digest over every member's fingerprint (so that changing any member changes the chain).
    public static func chain(_ members: [ProviderIdentity]) -> ProviderIdentity {
        let flat = members.flatMap { $0.members.isEmpty ? [$0] : $0.members }
        var models: [Role: String] = [:]
        for member in flat.reversed() { models.merge(member.models) { _, earlier in earlier } }
        return ProviderIdentity(
            name: flat.map(\.name).joined(separator: ">"), models: models,
            digest: sha256(flat.map(\.fingerprint).joined(separator: "\n")), members: flat)
    }

    private init(name: String, models: [Role: String], digest: String, members: [ProviderIdentity]) {
        self.name = name
        self.models = models
        self.configurationDigest = digest
        self.members = members
    }

    /// The model used for `role`, or `nil` when the provider does not serve it.
    public func model(for role: Role) -> String? { models[role] }

    /// The member of a chain named `name` (the chain itself for a single provider of that name), for origins.
    public func member(named name: String) -> ProviderIdentity? {
        if self.name == name { return self }
        return members.first { $0.name == name }
    }

    /// A line that changes whenever the name, a model or the configuration does, e.g.
    /// `espeak-ng[speech=en-us]#1a2b3c4d5e6f7a8b`; used in cache keys.
    public var fingerprint: String {
        let list = models.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        return "\(name)[\(list)]#\(configurationDigest.prefix(16))"
    }

    /// The fingerprint.
    public var description: String { fingerprint }

    private static func sha256(_ text: String) -> String { HexDigest.sha256(text) }
}

extension ProviderCall {
    /// The identity role of this call: `chat` for both whole and streamed chats.
    public var role: ProviderIdentity.Role {
        switch request {
        case .chat, .stream: .chat
        case .speech: .speech
        case .transcription: .transcription
        case .images: .images
        case .video: .video
        }
    }
}

extension ResponseOrigin {
    /// The origin of a response served by the provider with `identity`: its name, and the model the request named or
    /// else the identity's model for the call's role, so origins and identities always agree.
    public init(
        identity: ProviderIdentity, call: ProviderCall, usedFallback: Bool = false, skipped: [String] = [],
        fromCache: Bool = false
    ) {
        self.init(
            provider: identity.name, model: call.model ?? identity.model(for: call.role), usedFallback: usedFallback,
            skipped: skipped, fromCache: fromCache, fingerprint: identity.fingerprint)
    }
}
