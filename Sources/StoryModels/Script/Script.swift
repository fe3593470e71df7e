/// A narration script and its lineage: generated → revised for speech → enhanced.
///
/// Every version keeps the number of the version it came from, so the chain can be replayed.
/// A script always has at least one version, the first is the ``ScriptVersion/Kind/generated``
/// one, and every later version's source is an earlier version.
///
/// ```swift
/// var script = Script(id: "s1", language: "en", generated: draft)
/// try script.append(.revisedForSpeech, text: spokenDraft)
/// script.current.estimatedDuration  // seconds
/// ```
public struct Script: Codable, Hashable, Sendable, Identifiable {
    /// The schema version this document was written with; see ``StoryJSON/schemaVersion``.
    public var schemaVersion: Int
    /// A stable identifier.
    public var id: String
    /// The identifier of the ``StoryIdea`` the script was written for, if any.
    public var ideaId: String?
    /// The BCP-47 language of the text, which sets the speaking rate.
    public var language: String
    /// The versions, oldest first; never empty.
    public private(set) var versions: [ScriptVersion]

    /// Creates a script from its generated first version.
    public init(id: String, ideaId: String? = nil, language: String, generated text: String) {
        self.schemaVersion = StoryJSON.schemaVersion
        self.id = id
        self.ideaId = ideaId
        self.language = language
        self.versions = [ScriptVersion(number: 1, kind: .generated, source: nil, text: text, language: language)]
    }

    /// The latest version.
    public var current: ScriptVersion { versions[versions.count - 1] }

    /// Adds a version derived from `source` (by default the latest version).
    ///
    /// - Throws: ``StoryModelError/invalidLineage(_:)`` when `kind` is ``ScriptVersion/Kind/generated``
    ///   (only the first version is) or `source` names no existing version.
    @discardableResult
    public mutating func append(
        _ kind: ScriptVersion.Kind,
        text: String,
        from source: Int? = nil,
        score: ScriptScore? = nil
    ) throws(StoryModelError) -> ScriptVersion {
        guard kind != .generated else {
            throw .invalidLineage("only the first version is generated")
        }
        let sourceNumber = source ?? current.number
        guard versions.contains(where: { $0.number == sourceNumber }) else {
            throw .invalidLineage("no version \(sourceNumber) to derive from")
        }
        var version = ScriptVersion(
            number: current.number + 1, kind: kind, source: sourceNumber, text: text, language: language)
        version.score = score
        versions.append(version)
        return version
    }

    /// The chain of versions that led to `number`, oldest first.
    public func lineage(of number: Int) -> [ScriptVersion] {
        var chain: [ScriptVersion] = []
        var next: Int? = number
        while let wanted = next, let version = versions.first(where: { $0.number == wanted }) {
            chain.append(version)
            next = version.source
        }
        return chain.reversed()
    }

    private enum CodingKeys: String, CodingKey {
        case schemaVersion, id, ideaId, language, versions
    }

    /// Decodes a script, checking its lineage.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        schemaVersion = try container.decode(Int.self, forKey: .schemaVersion)
        id = try container.decode(String.self, forKey: .id)
        ideaId = try container.decodeIfPresent(String.self, forKey: .ideaId)
        language = try container.decode(String.self, forKey: .language)
        versions = try container.decode([ScriptVersion].self, forKey: .versions)
        if let problem = Self.lineageProblem(versions) {
            throw DecodingError.dataCorruptedError(forKey: .versions, in: container, debugDescription: problem)
        }
    }

    /// Why `versions` is not a valid lineage, or `nil` when it is.
    static func lineageProblem(_ versions: [ScriptVersion]) -> String? {
        guard let first = versions.first else { return "expected at least one version" }
        guard first.kind == .generated, first.source == nil else {
            return "the first version must be generated, with no source"
        }
        for (index, version) in versions.enumerated().dropFirst() {
            guard version.number > versions[index - 1].number else {
                return "version numbers must increase (\(version.number) after \(versions[index - 1].number))"
            }
            guard version.kind != .generated else { return "version \(version.number): only the first is generated" }
            guard let source = version.source, versions[..<index].contains(where: { $0.number == source }) else {
                return "version \(version.number): its source must be an earlier version"
            }
        }
        return nil
    }
}
