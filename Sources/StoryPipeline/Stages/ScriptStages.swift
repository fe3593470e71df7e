import Foundation
public import PipelineKit
import ProviderKit
import StoryModels

/// Stage 2a: writes the narration for the chosen idea, aiming at the request's spoken length.
///
/// A script more than 30 % over the target is cut at the sentence boundary nearest to it.
public struct WriteScript: PipelineStage {
    /// `script`.
    public static let id: StageID = "script"
    /// Bumped when the prompt or the trimming changes.
    public static let version = 1

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
    public func run(_ input: StoryState, context: StageContext) async throws -> StoryState {
        let stopwatch = StageStopwatch()
        var state = input
        let idea = try state.require(state.idea, "the chosen idea", from: SelectIdea.id.rawValue)
        let language = state.request.language
        let targetWords = Int(state.request.targetSeconds * SpeakingRate.wordsPerMinute(for: language) / 60)
        let schema: ProviderKit.JSONValue = [
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
                        + "words, in the language \(language). Plain sentences only: no headings, lists, stage "
                        + "directions, speaker names or emoji. Open with a hook, build to a turn, end on an image. "
                        + "Tone: \(idea.tone). Narrator: \(idea.narrator). Answer with JSON only. The user message is "
                        + "the story's title and premise."),
                .user("\(idea.title). \(idea.logline)"),
            ],
            temperature: 0.8,
            seed: state.request.seed,
            responseFormat: .jsonSchema(name: "story_script", schema: schema, strict: false)
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
        let text = Self.fitted(answer.narration, targetSeconds: state.request.targetSeconds, language: language)
        state.script = Script(
            id: "script-" + Digest.sha256(idea.id + "|" + text).prefix(16), ideaId: idea.id, language: language,
            generated: text)
        state.record(
            .init(
                stage: Self.id.rawValue, provider: services.providers.textName, model: services.providers.textModel,
                duration: stopwatch.seconds, usage: usage, costUsd: cost))
        return state
    }

    /// Cuts `text` at a sentence boundary when it runs more than 30 % over `targetSeconds`.
    static func fitted(_ text: String, targetSeconds: Double, language: String) -> String {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard SpeakingRate.estimatedDuration(of: trimmed, language: language) > targetSeconds * 1.3 else {
            return trimmed
        }
        var kept: [String] = []
        for sentence in HeuristicScriptScorer.sentences(trimmed) {
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
/// Parameters: `threshold` (overall score, default 60), `max_revisions` (default 2).
public struct ReviseScript: PipelineStage {
    /// `revise`.
    public static let id: StageID = "revise"
    /// Bumped when the revision or scoring changes.
    public static let version = 1

    /// The shared services.
    public let services: StoryServices
    /// The critic.
    public let scorer: any ScriptScorer

    /// Creates the stage; the default critic is ``HeuristicScriptScorer``.
    public init(services: StoryServices, scorer: any ScriptScorer = HeuristicScriptScorer()) {
        self.services = services
        self.scorer = scorer
    }

    struct Answer: Decodable {
        var narration: String
    }

    /// Appends a `revisedForSpeech` version (and `enhanced` versions when they score better) to the script.
    public func run(_ input: StoryState, context: StageContext) async throws -> StoryState {
        let stopwatch = StageStopwatch()
        var state = input
        var script = try state.require(state.script, "the script", from: WriteScript.id.rawValue)
        let threshold = context.configuration.number("threshold") ?? 60
        let maxRevisions = Int(context.configuration.number("max_revisions") ?? 2)
        let language = script.language
        let target = state.request.targetSeconds

        let spoken = SpeechText.normalize(script.current.text, language: language)
        guard !spoken.isEmpty else {
            throw StoryPipelineError.malformedModelOutput("the script is empty once rewritten for speech")
        }
        var score = try await scorer.score(spoken, language: language, targetSeconds: target)
        var best = try script.append(.revisedForSpeech, text: spoken, from: script.current.number, score: score)
        var usage: ExportManifest.TokenUsage?
        var cost = 0.0
        var revisions = 0
        while score.overall < threshold, revisions < maxRevisions {
            revisions += 1
            try context.checkCancellation()
            let chat = ChatRequest(
                messages: [
                    .system(
                        "You improve narration for a story video read aloud by one narrator. Keep the story and its "
                            + "length (about \(Int(target)) seconds). Plain sentences only. Answer with JSON only."),
                    .user("Narration: \(best.text)\nA critic scored it \(Int(score.overall))/100: \(score.feedback)."),
                ],
                temperature: 0.7,
                seed: state.request.seed &+ revisions,
                responseFormat: .jsonSchema(
                    name: "revised_script",
                    schema: [
                        "type": "object",
                        "properties": ["narration": ["type": "string", "minLength": .number(Double(best.text.count))]],
                        "required": ["narration"], "additionalProperties": false,
                    ], strict: false)
            )
            let (answer, used, spent) = try await services.structured.generate(
                Answer.self, with: services.providers.text, request: chat, what: "revised script"
            ) { $0.narration.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? "narration is empty" : nil }
            cost += spent
            if let used {
                usage = .init(
                    promptTokens: (usage?.promptTokens ?? 0) + used.promptTokens,
                    completionTokens: (usage?.completionTokens ?? 0) + used.completionTokens)
            }
            let candidateText = SpeechText.normalize(
                WriteScript.fitted(answer.narration, targetSeconds: target, language: language), language: language)
            guard !candidateText.isEmpty else { continue }
            let candidateScore = try await scorer.score(candidateText, language: language, targetSeconds: target)
            context.logger.info(
                "script revision scored",
                metadata: ["story.revision": "\(revisions)", "story.score": "\(candidateScore.overall)"])
            if candidateScore.overall > score.overall {
                best = try script.append(.enhanced, text: candidateText, from: best.number, score: candidateScore)
                score = candidateScore
            }
        }
        state.script = script
        state.record(
            .init(
                stage: Self.id.rawValue,
                provider: revisions > 0 ? services.providers.textName : "rules",
                model: revisions > 0 ? services.providers.textModel : "speech-text-normalizer",
                duration: stopwatch.seconds, usage: usage, costUsd: cost))
        return state
    }
}
