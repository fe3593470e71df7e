import Foundation
public import PipelineKit
import ProviderKit
import StoryForgeCore
import StoryModels

/// Stage 1a: asks the text provider for candidate ideas about the request's topic, as structured JSON.
///
/// Parameters: none (the count is ``StoryRequest/ideaCount``).
public struct GenerateIdeas: PipelineStage {
    /// `ideas`.
    public static let id: StageID = "ideas"
    /// Bumped when the prompt or the decoding changes.
    public static let version = 1

    /// The stage reads no parameters.
    public static let parameters: [StageParameter]? = []

    /// The most title and tag suggestions kept per idea; the schema asks for 3 to 5.
    static let maxSuggestions = 10

    /// The shared services.
    public let services: StoryServices

    /// Creates the stage.
    public init(services: StoryServices) {
        self.services = services
    }

    struct Segment: Decodable {
        var segment: String
        var score: Double
    }

    struct Title: Decodable {
        var title: String
        var score: Double
    }

    struct Tag: Decodable {
        var tag: String
        var score: Double
    }

    struct Draft: Decodable {
        var title: String
        var logline: String
        var tone: String
        var theme: String
        var narrator: String
        var targetAudience: String
        var platforms: [Segment]
        var regions: [Segment]
        var ageGroups: [Segment]
        var genders: [Segment]
        var titles: [Title]
        var tags: [Tag]
    }

    struct Answer: Decodable {
        var ideas: [Draft]
    }

    /// The segments each dimension of ``ViralPotential`` is scored for.
    static let segments: [String: [String]] = [
        "platforms": ["tiktok", "youtube_shorts", "instagram_reels"],
        "regions": ["north_america", "europe", "latin_america", "asia_pacific"],
        "age_groups": ["13-17", "18-24", "25-34", "35-54", "55+"],
        "genders": ["female", "male"],
    ]

    static func schema(count: Int) -> JSONValue {
        let score: JSONValue = ["type": "number", "minimum": 0, "maximum": 100]
        func segments(_ names: [String]) -> JSONValue {
            [
                "type": "array", "minItems": .number(Double(names.count)), "maxItems": .number(Double(names.count)),
                "items": [
                    "type": "object",
                    "properties": [
                        "segment": ["type": "string", "enum": .array(names.map { .string($0) })], "score": score,
                    ],
                    "required": ["segment", "score"], "additionalProperties": false,
                ],
            ]
        }
        func suggestions(_ key: String, maxLength: Int) -> JSONValue {
            [
                "type": "array", "minItems": 3, "maxItems": 5,
                "items": [
                    "type": "object",
                    "properties": [key: ["type": "string", "maxLength": .number(Double(maxLength))], "score": score],
                    "required": [.string(key), "score"], "additionalProperties": false,
                ],
            ]
        }
        let text: JSONValue = ["type": "string"]
        var properties: [String: JSONValue] = [
            "title": ["type": "string", "maxLength": 60], "logline": text, "tone": text, "theme": text,
            "narrator": text, "target_audience": text, "titles": suggestions("title", maxLength: 60),
            "tags": suggestions("tag", maxLength: 24),
        ]
        for (dimension, names) in Self.segments { properties[dimension] = segments(names) }
        let idea: JSONValue = [
            "type": "object",
            "properties": .object(properties),
            "required": .array(properties.keys.sorted().map { .string($0) }),
            "additionalProperties": false,
        ]
        return [
            "type": "object",
            "properties": [
                "ideas": [
                    "type": "array", "minItems": .number(Double(count)), "maxItems": .number(Double(count)),
                    "items": idea,
                ]
            ],
            "required": ["ideas"], "additionalProperties": false,
        ]
    }

    /// Writes the candidates into a fresh ``StoryState``, best first by ``ViralPotential/overall``.
    public func run(_ request: StoryRequest, context: StageContext) async throws -> StoryState {
        let stopwatch = StageStopwatch()
        let count = max(1, min(request.ideaCount, 10))
        let topic = request.topic.isEmpty ? "a surprising everyday moment" : request.topic
        let chat = ChatRequest(
            messages: [
                .system(
                    "You invent ideas for short vertical story videos with one narrator. Give \(count) different "
                        + "ideas, written in the language \(request.language), as JSON only. Scores are 0 to 100: how "
                        + "likely the idea is to be watched to the end and shared, per platform, region, age group "
                        + "and gender. Titles under 60 characters; tags are single words without #. The user "
                        + "message is the topic."),
                .user(topic),
            ],
            temperature: 0.9,
            seed: request.seed,
            responseFormat: .jsonSchema(name: "story_ideas", schema: Self.schema(count: count), strict: false),
            task: .ideas
        )
        // Not a StoryStage: its routing decisions are collected here for its record.
        var structured = services.structured
        structured.routeLog = StageRouteLog()
        let (answer, usage, cost) = try await structured.generate(
            Answer.self, with: services.providers.text, request: chat, what: "story ideas"
        ) { answer in
            if answer.ideas.isEmpty { return "ideas is empty; give \(count) ideas" }
            if let blank = answer.ideas.firstIndex(where: { $0.title.trimmingCharacters(in: .whitespaces).isEmpty }) {
                return "ideas[\(blank)].title is empty"
            }
            return nil
        }
        var state = StoryState(request: request)
        // A model may answer with thousands of ideas or suggestions whatever the schema says: keep what was asked for.
        state.candidates = answer.ideas.prefix(count).map { draft in
            let clamp: (Double) -> Double = { min(100, max(0, $0.isFinite ? $0 : 0)) }
            let segments: ([Segment]) -> [SegmentScore] = {
                // The largest dimension has 5 segments (age groups); more is a model ignoring the schema.
                $0.prefix(Self.maxSuggestions).map { SegmentScore(segment: $0.segment, score: clamp($0.score)) }
            }
            let titles = draft.titles.prefix(Self.maxSuggestions).map {
                ScoredSuggestion(text: $0.title, score: clamp($0.score))
            }
            let tags = draft.tags.prefix(Self.maxSuggestions).map {
                ScoredSuggestion(text: $0.tag, score: clamp($0.score))
            }
            return StoryIdea(
                id: "idea-" + HexDigest.sha256("\(draft.title)|\(draft.logline)|\(request.seed)").prefix(16),
                title: draft.title.trimmingCharacters(in: .whitespacesAndNewlines),
                logline: draft.logline, tone: draft.tone, theme: draft.theme, narrator: draft.narrator,
                targetAudience: draft.targetAudience, language: request.language,
                viralPotential: ViralPotential(
                    platforms: segments(draft.platforms), regions: segments(draft.regions),
                    ageGroups: segments(draft.ageGroups), genders: segments(draft.genders)),
                titleSuggestions: titles, tagSuggestions: tags
            )
        }
        .sorted { $0.viralPotential.overall > $1.viralPotential.overall }
        state.record(
            .init(
                stage: Self.id.rawValue, provider: services.providers.textRecord.provider,
                model: services.providers.textRecord.model,
                duration: stopwatch.seconds, usage: usage, costUsd: cost, routes: structured.routeLog?.records))
        return state
    }
}

/// Stage 1b: picks the best candidate whose title is not already in the story library.
///
/// When every candidate repeats a known idea, the best one is kept and a warning logged.
public struct SelectIdea: StoryStage {
    /// `select-idea`.
    public static let id: StageID = "select-idea"
    /// Bumped when the choice changes.
    public static let version = 1

    /// The shared services.
    public let services: StoryServices

    /// Creates the stage.
    public init(services: StoryServices) {
        self.services = services
    }

    /// Sets ``StoryState/idea``.
    public func run(_ state: inout StoryState, parameters: NoStageParameters, context: StageContext) async throws
        -> StoryStageReport?
    {
        guard let best = state.candidates.first else {
            throw StoryPipelineError.missingInput("there are no candidate ideas: run the ideas stage first")
        }
        let known = try await services.library?.knownTitles() ?? []
        if let fresh = state.candidates.first(where: { !known.contains(StoryLibrary.normalizedTitle($0.title)) }) {
            state.idea = fresh
        } else {
            context.logger.warning(
                "every candidate idea is already in the story library; keeping the best one",
                metadata: ["story.idea_title": "\(best.title)"])
            state.idea = best
        }
        return nil
    }
}
