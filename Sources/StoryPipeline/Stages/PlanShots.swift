import Foundation
public import PipelineKit
import ProviderKit
import StoryModels

/// Stage 3: splits the script into shots of 3–10 s of narration and asks the text provider for each shot's picture.
///
/// The split is made here, at sentence (or, for long sentences, comma and word) boundaries, from the estimated
/// speaking time, so every shot's length is within bounds whatever the model says; the model writes the visual
/// prompt, mood and camera of each. The shot list is validated and repaired to the script's estimated duration; the
/// timing stage later snaps it to the voice.
///
/// Parameters: `min_seconds` (3), `max_seconds` (10), `preferred_seconds` (5).
public struct PlanShots: PipelineStage {
    /// `shots`.
    public static let id: StageID = "shots"
    /// Bumped when the split or the prompt changes.
    public static let version = 1

    /// The shared services.
    public let services: StoryServices

    /// Creates the stage.
    public init(services: StoryServices) {
        self.services = services
    }

    struct Visual: Decodable {
        var visualPrompt: String
        var mood: String
        var camera: String
    }

    struct Answer: Decodable {
        var shots: [Visual]
    }

    static let motions = ["zoom in", "pan right", "zoom out", "pan left", "pan up", "pan down"]

    /// Sets ``StoryState/shotlist``.
    public func run(_ input: StoryState, context: StageContext) async throws -> StoryState {
        let stopwatch = StageStopwatch()
        var state = input
        let script = try state.require(state.script, "the script", from: WriteScript.id.rawValue)
        let idea = try state.require(state.idea, "the chosen idea", from: SelectIdea.id.rawValue)
        let minimum = context.configuration.number("min_seconds") ?? 3
        let maximum = context.configuration.number("max_seconds") ?? 10
        let preferred = context.configuration.number("preferred_seconds") ?? 5
        guard minimum > 0, maximum >= minimum * 2, (minimum...maximum).contains(preferred) else {
            throw StoryPipelineError.invalidConfiguration(
                "stages.shots.parameters: need 0 < min_seconds, max_seconds ≥ 2 × min_seconds and "
                    + "min_seconds ≤ preferred_seconds ≤ max_seconds")
        }
        let language = script.language
        let pieces = Self.split(
            script.current.text, language: language, minimum: minimum, maximum: maximum, preferred: preferred)
        guard !pieces.isEmpty else { throw StoryPipelineError.malformedModelOutput("the script has no words to film") }

        let count = pieces.count
        let numbered = pieces.enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: "\n")
        let text: ProviderKit.JSONValue = ["type": "string"]
        let chat = ChatRequest(
            messages: [
                .system(
                    "You are the director of a vertical story video. For each numbered narration line, describe one "
                        + "still picture for an image model: subject, setting, light, colours; no text in the "
                        + "picture. Keep characters and style consistent across shots. Answer with JSON only: exactly "
                        + "\(count) shots, in order."),
                .user("Story: \(idea.title). Tone: \(idea.tone).\n\(numbered)"),
            ],
            temperature: 0.7,
            seed: state.request.seed,
            responseFormat: .jsonSchema(
                name: "shot_visuals",
                schema: [
                    "type": "object",
                    "properties": [
                        "shots": [
                            "type": "array", "minItems": .number(Double(count)), "maxItems": .number(Double(count)),
                            "items": [
                                "type": "object",
                                "properties": ["visual_prompt": text, "mood": text, "camera": text],
                                "required": ["visual_prompt", "mood", "camera"], "additionalProperties": false,
                            ],
                        ]
                    ],
                    "required": ["shots"], "additionalProperties": false,
                ], strict: false)
        )
        let (answer, usage, cost) = try await services.structured.generate(
            Answer.self, with: services.providers.text, request: chat, what: "shot plan"
        ) { answer in
            if answer.shots.count != count { return "there are \(answer.shots.count) shots; give exactly \(count)" }
            if let blank = answer.shots.firstIndex(where: {
                $0.visualPrompt.trimmingCharacters(in: .whitespaces).isEmpty
            }) {
                return "shots[\(blank)].visual_prompt is empty"
            }
            return nil
        }

        var shots: [Shot] = []
        var time = 0.0
        var word = 0
        for (index, piece) in pieces.enumerated() {
            let duration = SpeakingRate.estimatedDuration(of: piece, language: language)
            let words = Self.words(piece).count
            let visual = answer.shots[index]
            let camera = visual.camera.lowercased()
            let motion = Self.motions.first { camera.contains($0) } ?? Self.motions[index % Self.motions.count]
            shots.append(
                Shot(
                    id: index, start: time, end: time + duration,
                    narration: NarrationSpan(text: piece, firstWord: word, endWord: word + words),
                    sceneDescription: piece, visualPrompt: visual.visualPrompt, mood: visual.mood,
                    camera: visual.camera, motion: motion, transition: index == 0 ? .cut : .crossfade))
            time += duration
            word += words
        }
        var shotlist = Shotlist(shots: shots)
        if !shotlist.validate(voiceDuration: time).isEmpty { shotlist = shotlist.repaired(toDuration: time) }
        state.shotlist = shotlist
        state.record(
            .init(
                stage: Self.id.rawValue, provider: services.providers.textName, model: services.providers.textModel,
                duration: stopwatch.seconds, usage: usage, costUsd: cost))
        return state
    }

    /// The words of `text` as the subtitle aligner counts them: white-space separated, with a letter or digit.
    static func words(_ text: String) -> [Substring] {
        text.split(whereSeparator: \.isWhitespace).filter { $0.contains { $0.isLetter || $0.isNumber } }
    }

    /// Cuts the narration into pieces of `minimum`…`maximum` seconds: a piece ends at the first sentence end after
    /// `preferred` seconds; when the next word would pass `maximum`, it ends at the last sentence end, else the last
    /// comma, else the last word that keeps it at least `minimum` long. A short last piece joins the one before, or
    /// shares its words with it evenly when together they would be too long.
    static func split(_ text: String, language: String, minimum: Double, maximum: Double, preferred: Double) -> [String]
    {
        let words = text.split(whereSeparator: \.isWhitespace).map(String.init)
        guard !words.isEmpty else { return [] }
        func seconds(_ range: Range<Int>) -> Double {
            SpeakingRate.estimatedDuration(of: words[range].joined(separator: " "), language: language)
        }
        func endsSentence(_ index: Int) -> Bool { words[index].last.map { ".!?".contains($0) } ?? false }
        func endsClause(_ index: Int) -> Bool { words[index].last.map { ",;:".contains($0) } ?? false }
        var pieces: [Range<Int>] = []
        var start = 0
        var index = 0
        while index < words.count {
            let end = index + 1
            if endsSentence(index), seconds(start..<end) >= preferred {
                pieces.append(start..<end)
                start = end
            } else if end < words.count, seconds(start..<(end + 1)) > maximum {
                let candidates = (start + 1...end).filter { seconds(start..<$0) >= minimum }
                let cut =
                    candidates.last { endsSentence($0 - 1) } ?? candidates.last { endsClause($0 - 1) } ?? end
                pieces.append(start..<cut)
                start = cut
            }
            index += 1
        }
        if start < words.count {
            let last = start..<words.count
            if let previous = pieces.last, seconds(last) < minimum {
                let joined = previous.lowerBound..<words.count
                if seconds(joined) <= maximum {
                    pieces[pieces.count - 1] = joined
                } else {
                    let middle = joined.lowerBound + joined.count / 2
                    pieces[pieces.count - 1] = joined.lowerBound..<middle
                    pieces.append(middle..<words.count)
                }
            } else {
                pieces.append(last)
            }
        }
        return pieces.map { words[$0].joined(separator: " ") }
    }
}
