import Foundation
public import PipelineKit
import ProviderKit
import StoryForgeCore
public import StoryModels

/// Stage 2a: writes the narration for the chosen idea, aiming at the request's spoken length.
///
/// A script more than 30 % over the target is cut at the sentence boundary nearest to it (`.`, `!`, `?`, and the
/// full-width `。`, `！`, `？` of Chinese and Japanese). Whatever the model answers, the narration then has at most
/// `max_words` words (CJK characters for Chinese and Japanese), cut at a sentence end or else a word; a cut is noted
/// in ``StoryState/capsApplied``.
///
/// Parameters: `max_words` (1…12000; default 1.5 × the words the target length takes at the language's speaking rate,
/// 169 for 45 s of English), `speech_rate` (0.75…1.5, the configuration's `story.speech_rate`: a voice that speaks
/// 1.25× faster needs 1.25× the words to last the target length, so the words asked for, the cut and the default
/// `max_words` scale with it).
public struct WriteScript: StoryStage {
    /// `script`.
    public static let id: StageID = "script"
    /// Bumped when the prompt or the trimming changes. (The caps leave every script within them unchanged, so
    /// cached scripts stay valid.)
    public static let version = 1

    /// `max_words`: the most words of narration, whatever the model writes.
    public static let maxWords = StageParameter.integer("max_words", in: 1...OutputCaps.hardMaximumWords, unit: "words")

    /// The stage's parameters.
    public struct Parameters: StoryStageParameters {
        /// `max_words`, `speech_rate`.
        public static let declarations = [WriteScript.maxWords, SynthesizeVoice.speechRate]
        /// The most words of narration; `nil` for 1.5 × the words the target length takes.
        public var maxWords: Int?
        /// How fast the voice will speak relative to normal; `nil` for normal.
        public var speechRate: Double?

        /// Parameters with the defaults.
        public init(maxWords: Int? = nil, speechRate: Double? = nil) {
            self.maxWords = maxWords
            self.speechRate = speechRate
        }

        /// Decodes and range-checks the parameters.
        public init(from decoder: any Decoder) throws {
            let reader = try StageParameterReader(decoder)
            maxWords = try reader.integer(WriteScript.maxWords)
            speechRate = try reader.number(SynthesizeVoice.speechRate)
        }
    }

    /// The shared services.
    public let services: StoryServices

    /// Creates the stage.
    public init(services: StoryServices) {
        self.services = services
    }

    struct Answer: Decodable {
        var title: String
        var narration: String
    }

    /// Sets ``StoryState/script`` to a script with one generated version.
    public func run(_ state: inout StoryState, parameters: Parameters, context: StageContext) async throws
        -> StoryStageReport?
    {
        let idea = try state.required(\.idea)
        let language = state.request.language
        // The length the narration takes at the normal rate: a faster voice needs more words for the same target.
        // The rate is range-checked (0.75…1.5).
        let target = try state.request.checkedTargetSeconds() * (parameters.speechRate ?? 1)
        // At most 1.5 × 1200 s × 300 words a minute: the conversion cannot trap.
        let targetWords = Int(target * SpeakingRate.wordsPerMinute(for: language) / 60)
        let maxWords = parameters.maxWords ?? OutputCaps.defaultMaxWords(targetSeconds: target, language: language)
        let schema: JSONValue = [
            "type": "object",
            "properties": [
                "title": ["type": "string"],
                "narration": ["type": "string", "minLength": .number(Double(targetWords * 6))],
            ],
            "required": ["title", "narration"], "additionalProperties": false,
        ]
        let chat = ChatRequest(
            messages: [
                .system(
                    "You write narration for a vertical story video, read by one narrator. About \(targetWords) "
                        + "words, in the language \(LanguageTag.promptName(language)). Plain sentences only: no headings, lists, stage "
                        + "directions, speaker names or emoji. Open with a hook, build to a turn, end on an image. "
                        + "Tone: \(idea.tone). Narrator: \(idea.narrator). Answer with JSON only. The user message is "
                        + "the story's title and premise."),
                .user("\(idea.title). \(idea.logline)"),
            ],
            temperature: 0.8,
            seed: state.request.seed,
            responseFormat: .jsonSchema(name: "story_script", schema: schema, strict: false),
            task: .script
        )
        let (answer, usage, cost) = try await services.structured.generate(
            Answer.self, with: services.providers.text, request: chat, what: "script"
        ) { answer in
            let words = SpeakingRate.wordCount(of: answer.narration, language: language)
            if words == 0 { return "narration is empty" }
            if words < targetWords * 4 / 10 {
                return "narration has \(words) words; write about \(targetWords)"
            }
            return nil
        }
        let fitted = Self.fitted(answer.narration, targetSeconds: target, language: language)
        let (text, cutFrom) = OutputCaps.capped(fitted, maxWords: maxWords, language: language)
        if let cutFrom {
            state.noteCap(
                "script: the model's narration (\(cutFrom) words) was cut to \(maxWords) words "
                    + "(stages.script.parameters.max_words)")
            context.logger.warning(
                "the model's narration was cut to the word limit",
                metadata: ["story.words": "\(cutFrom)", "story.max_words": "\(maxWords)"])
        }
        guard !text.isEmpty else { throw StoryPipelineError.malformedModelOutput("the model's narration is empty") }
        state.script = Script(
            id: "script-" + HexDigest.sha256(idea.id + "|" + text).prefix(16), ideaId: idea.id, language: language,
            generated: text)
        return StoryStageReport(services.providers.textRecord, usage: usage, costUsd: cost)
    }

    /// Cuts `text` at a sentence boundary when it runs more than 30 % over `targetSeconds`.
    static func fitted(_ text: String, targetSeconds: Double, language: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard SpeakingRate.estimatedDuration(of: trimmed, language: language) > targetSeconds * 1.3 else {
            return trimmed
        }
        var kept: [String] = []
        for sentence in OutputCaps.sentences(trimmed) {
            let candidate = (kept + [sentence]).joined(separator: " ")
            if !kept.isEmpty, SpeakingRate.estimatedDuration(of: candidate, language: language) > targetSeconds * 1.1 {
                break
            }
            kept.append(sentence)
        }
        return kept.joined(separator: " ")
    }
}

/// Stage 2b: rewrites the script for the ear (``SpeechText``), scores it, and while the score is under the threshold
/// asks the text provider for a better version, up to a limit; the best-scoring version becomes the current one.
///
/// Parameters: `threshold` (overall score 0…100, default 60), `max_revisions` (0…10, default 2), `max_words` (as
/// ``WriteScript``'s, for each revised narration).
///
/// With a router with per-task routes (``ProviderKit/TaskRoutes``) as the text provider, a revision that still scores
/// under the threshold asks once for an escalation: the next revision (within `max_revisions`) goes to the route after
/// the one that wrote it, and the manifest records it with reason `low_score`.
public struct ReviseScript: StoryStage {
    /// `revise`.
    public static let id: StageID = "revise"
    /// Bumped when the revision or scoring changes.
    public static let version = 1

    /// `threshold`: revise while the overall score is below it.
    public static let threshold = StageParameter.number("threshold", in: 0...100, unit: "points")
    /// `max_revisions`: each revision is a paid model call; ten is already far past where scores stop improving.
    public static let maxRevisions = StageParameter.integer("max_revisions", in: 0...10)

    /// The stage's parameters.
    public struct Parameters: StoryStageParameters {
        /// `threshold`, `max_revisions`, `max_words`, `speech_rate`.
        public static let declarations = [
            ReviseScript.threshold, ReviseScript.maxRevisions, WriteScript.maxWords, SynthesizeVoice.speechRate,
        ]
        /// Revise while the overall score is below it.
        public var threshold: Double = 60
        /// The most revisions (each a model call).
        public var maxRevisions = 2
        /// The most words of each revised narration; `nil` for ``WriteScript``'s default.
        public var maxWords: Int?
        /// How fast the voice will speak relative to normal (as ``WriteScript``'s); `nil` for normal.
        public var speechRate: Double?

        /// Parameters with the defaults.
        public init() {}

        /// Decodes and range-checks the parameters.
        public init(from decoder: any Decoder) throws {
            let reader = try StageParameterReader(decoder)
            threshold = try reader.number(ReviseScript.threshold) ?? threshold
            maxRevisions = try reader.integer(ReviseScript.maxRevisions) ?? maxRevisions
            maxWords = try reader.integer(WriteScript.maxWords)
            speechRate = try reader.number(SynthesizeVoice.speechRate)
        }
    }

    /// The shared services.
    public let services: StoryServices
    /// The critic: ``StoryServices/scorer``, so that its identity is part of every cache key.
    public var scorer: any ScriptScorer { services.scorer }

    /// Creates the stage; the critic is the services' ``StoryServices/scorer``.
    public init(services: StoryServices) {
        self.services = services
    }

    struct Answer: Decodable {
        var narration: String
    }

    /// Appends a `revisedForSpeech` version (and `enhanced` versions when they score better) to the script.
    public func run(_ state: inout StoryState, parameters: Parameters, context: StageContext) async throws
        -> StoryStageReport?
    {
        var script = try state.required(\.script)
        let threshold = parameters.threshold
        let maxRevisions = parameters.maxRevisions
        let language = script.language
        // As in ``WriteScript``: the length at the normal rate.
        let target = try state.request.checkedTargetSeconds() * (parameters.speechRate ?? 1)
        let maxWords = parameters.maxWords ?? OutputCaps.defaultMaxWords(targetSeconds: target, language: language)

        let spoken = SpeechText.normalize(script.current.text, language: language)
        guard !spoken.isEmpty else {
            throw StoryPipelineError.malformedModelOutput("the script is empty once rewritten for speech")
        }
        var score = try await scorer.score(spoken, language: language, targetSeconds: target)
        var best = try script.append(.revisedForSpeech, text: spoken, from: script.current.number, score: score)
        var usage: ExportManifest.TokenUsage?
        var cost = 0.0
        var revisions = 0
        // Local-first escalation: a revision still under the threshold from a route with a stronger one after it
        // sends the next revision past it, once per run of the stage (a router with per-task routes says when it can).
        var escalation: RouteEscalation?
        var escalated = false
        while score.overall < threshold, revisions < maxRevisions {
            revisions += 1
            try context.checkCancellation()
            var chat = ChatRequest(
                messages: [
                    .system(
                        "You improve narration for a story video read aloud by one narrator. Keep the story"
                            + LanguageTag.keepLanguageClause(language) + " and its "
                            + "length (about \(Int(target)) seconds). Plain sentences only. Answer with JSON only."),
                    .user(
                        "Narration: \(best.text)\nA critic scored it \(Self.points(score.overall))/100: "
                            + "\(score.feedback)."),
                ],
                temperature: 0.7,
                seed: state.request.seed &+ revisions,
                responseFormat: .jsonSchema(
                    name: "revised_script",
                    schema: [
                        "type": "object",
                        "properties": ["narration": ["type": "string", "minLength": .number(Double(best.text.count))]],
                        "required": ["narration"], "additionalProperties": false,
                    ], strict: false),
                task: .revision
            )
            chat.escalation = escalation
            escalation = nil
            let generated = try await services.structured.generateRouted(
                Answer.self, with: services.providers.text, request: chat, what: "revised script"
            ) { $0.narration.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? "narration is empty" : nil }
            let (answer, used, spent) = (generated.value, generated.usage, generated.cost)
            cost += spent
            if let used { usage = (usage ?? .init(promptTokens: 0, completionTokens: 0)).adding(used) }
            let fitted = WriteScript.fitted(answer.narration, targetSeconds: target, language: language)
            let (capped, cutFrom) = OutputCaps.capped(fitted, maxWords: maxWords, language: language)
            if let cutFrom {
                state.noteCap(
                    "revise: a revised narration (\(cutFrom) words) was cut to \(maxWords) words "
                        + "(stages.revise.parameters.max_words)")
            }
            let candidateText = SpeechText.normalize(capped, language: language)
            guard !candidateText.isEmpty else { continue }
            let candidateScore = try await scorer.score(candidateText, language: language, targetSeconds: target)
            context.logger.info(
                "script revision scored",
                metadata: ["story.revision": "\(revisions)", "story.score": "\(candidateScore.overall)"])
            if candidateScore.overall > score.overall {
                best = try script.append(.enhanced, text: candidateText, from: best.number, score: candidateScore)
                score = candidateScore
            }
            if !escalated, score.overall < threshold, revisions < maxRevisions, let routing = generated.routing,
                routing.canEscalate
            {
                escalated = true
                escalation = RouteEscalation(after: routing.route, reason: .lowScore)
                context.logger.info(
                    "the revision scored under the threshold: the next one escalates past its route",
                    metadata: [
                        "story.score": "\(candidateScore.overall)", "story.threshold": "\(threshold)",
                        "provider.task": "\(routing.task)", "provider.name": "\(routing.route)",
                    ])
            }
        }
        state.script = script
        // Without a model call the work was the rules' (SpeechText and the scorer), and the record says so.
        return revisions > 0
            ? StoryStageReport(services.providers.textRecord, usage: usage, costUsd: cost)
            : StoryStageReport(provider: "rules", model: "speech-text-normalizer", usage: usage, costUsd: cost)
    }
}

extension ReviseScript {
    /// A score as a whole number for a prompt; a custom scorer may return anything, NaN included.
    static func points(_ score: Double) -> String {
        score.isFinite ? String(Int(min(max(score, 0), 100).rounded())) : "?"
    }
}

extension StoryRequest {
    /// ``targetSeconds``, checked: a request built in code may hold any number, and the stages multiply it.
    ///
    /// - Throws: ``StoryPipelineError/invalidConfiguration(_:underlying:)`` outside
    ///   ``StoryConfiguration/Limits/targetSeconds``.
    func checkedTargetSeconds() throws(StoryPipelineError) -> Double {
        let range = StoryConfiguration.Limits.targetSeconds
        guard targetSeconds.isFinite, range.contains(targetSeconds) else {
            throw .invalidConfiguration(
                "the request's target seconds must be between \(Int(range.lowerBound)) and \(Int(range.upperBound)), "
                    + "got \(targetSeconds)")
        }
        return targetSeconds
    }
}
