import Foundation
public import PipelineKit
import ProviderKit
import StoryForgeCore
import StoryModels

/// Stage 3: splits the script into shots of 3–10 s of narration and asks the text provider for each shot's picture.
///
/// The split is made here, at sentence (or, for long sentences, comma and word) boundaries, from the estimated
/// speaking time, so every shot's length is within bounds whatever the model says; the model writes the visual
/// prompt, mood and camera of each. The shot list is validated and repaired to the script's estimated duration; the
/// timing stage later snaps it to the voice.
///
/// Sentences end at `.`, `!`, `?` and at the full-width `。`, `！`, `？` of Chinese and Japanese; clauses at `,;:` and
/// `，、；：`; a run of text with no break longer than `max_seconds` is cut evenly. The plan has at most `max_shots`
/// shots: beyond that, neighbouring pieces are merged (noted in ``StoryState/capsApplied``), since every shot costs
/// an image call.
///
/// Parameters: `min_seconds` (0.5…60, default 3), `max_seconds` (1…120, default 10), `preferred_seconds` (0.5…120,
/// default 5), with `max_seconds ≥ 2 × min_seconds` and `min_seconds ≤ preferred_seconds ≤ max_seconds`;
/// `max_shots` (1…400; default one per 2 s of the target length, 23 for 45 s).
public struct PlanShots: StoryStage {
    /// `shots`.
    public static let id: StageID = "shots"
    /// Bumped when the split or the prompt changes. (Western text splits as before and plans within `max_shots`
    /// are unchanged; 2: a plan over `max_shots` merges the shortest neighbours first, keeping shots within bounds.)
    public static let version = 2

    /// `min_seconds`: the shortest shot.
    public static let minSeconds = StageParameter.number("min_seconds", in: 0.5...60, unit: "seconds")
    /// `max_seconds`: the longest shot.
    public static let maxSeconds = StageParameter.number("max_seconds", in: 1...120, unit: "seconds")
    /// `preferred_seconds`: where a shot ends at the next sentence end.
    public static let preferredSeconds = StageParameter.number("preferred_seconds", in: 0.5...120, unit: "seconds")
    /// `max_shots`: the most shots, and so image calls, of a plan.
    public static let maxShots = StageParameter.integer("max_shots", in: 1...OutputCaps.hardMaximumShots, unit: "shots")

    /// The stage's parameters.
    public struct Parameters: StoryStageParameters {
        /// `min_seconds`, `max_seconds`, `preferred_seconds`, `max_shots`.
        public static let declarations = [
            PlanShots.minSeconds, PlanShots.maxSeconds, PlanShots.preferredSeconds, PlanShots.maxShots,
        ]
        /// The shortest shot, in seconds.
        public var minSeconds: Double = 3
        /// The longest shot, in seconds.
        public var maxSeconds: Double = 10
        /// Where a shot ends at the next sentence end, in seconds.
        public var preferredSeconds: Double = 5
        /// The most shots; `nil` for one per 2 s of the target length.
        public var maxShots: Int?

        /// Parameters with the defaults.
        public init() {}

        /// Decodes and range-checks the parameters (the checks across them are ``PlanShots/parameterIssues(_:)``).
        public init(from decoder: any Decoder) throws {
            let reader = try StageParameterReader(decoder)
            minSeconds = try reader.number(PlanShots.minSeconds) ?? minSeconds
            maxSeconds = try reader.number(PlanShots.maxSeconds) ?? maxSeconds
            preferredSeconds = try reader.number(PlanShots.preferredSeconds) ?? preferredSeconds
            maxShots = try reader.integer(PlanShots.maxShots)
        }
    }

    /// `max_seconds ≥ 2 × min_seconds` and `min_seconds ≤ preferred_seconds ≤ max_seconds`, with the defaults for
    /// the values not given.
    public static func parameterIssues(_ parameters: StageParameters) -> [ConfigurationIssue] {
        let minimum = (try? parameters.number(minSeconds)) ?? nil ?? 3
        let maximum = (try? parameters.number(maxSeconds)) ?? nil ?? 10
        let preferred = (try? parameters.number(preferredSeconds)) ?? nil ?? 5
        var issues: [ConfigurationIssue] = []
        if maximum < minimum * 2 {
            issues.append(
                ConfigurationIssue(
                    path: "max_seconds",
                    message: "must be at least 2 × min_seconds (\(shown(minimum))), got \(shown(maximum))"))
        }
        if !(minimum...max(minimum, maximum)).contains(preferred) {
            issues.append(
                ConfigurationIssue(
                    path: "preferred_seconds",
                    message:
                        "must be between min_seconds (\(shown(minimum))) and max_seconds (\(shown(maximum))), "
                        + "got \(shown(preferred))"))
        }
        return issues
    }

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
    public func run(_ state: inout StoryState, parameters: Parameters, context: StageContext) async throws
        -> StoryStageReport?
    {
        let script = try state.required(\.script)
        let idea = try state.required(\.idea)
        let minimum = parameters.minSeconds
        let maximum = parameters.maxSeconds
        let preferred = parameters.preferredSeconds
        let maxShots = parameters.maxShots ?? OutputCaps.defaultMaxShots(targetSeconds: state.request.targetSeconds)
        guard minimum > 0, maximum >= minimum * 2, (minimum...maximum).contains(preferred) else {
            throw StoryPipelineError.invalidConfiguration(
                "stages.shots.parameters: need 0 < min_seconds, max_seconds ≥ 2 × min_seconds and "
                    + "min_seconds ≤ preferred_seconds ≤ max_seconds")
        }
        let language = script.language
        let split = Self.split(
            script.current.text, language: language, minimum: minimum, maximum: maximum, preferred: preferred)
        guard !split.isEmpty else { throw StoryPipelineError.malformedModelOutput("the script has no words to film") }
        let pieces = Self.merged(split, into: maxShots, language: language, maximum: maximum)
        if pieces.count < split.count {
            state.noteCap(
                "shots: \(split.count) pieces of narration were merged into \(pieces.count) shots "
                    + "(stages.shots.parameters.max_shots)")
            context.logger.warning(
                "the shot plan was merged to the shot limit",
                metadata: ["story.pieces": "\(split.count)", "story.max_shots": "\(maxShots)"])
        }

        let count = pieces.count
        let numbered = pieces.enumerated().map { "\($0.offset + 1). \($0.element)" }.joined(separator: "\n")
        let text: JSONValue = ["type": "string"]
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
                ], strict: false),
            task: .shotPlan
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
        return StoryStageReport(services.providers.textRecord, usage: usage, costUsd: cost)
    }

    /// The words of `text` as the subtitle aligner counts them: white-space separated, with a letter or digit.
    static func words(_ text: String) -> [Substring] {
        text.split(whereSeparator: \.isWhitespace).filter { $0.contains { $0.isLetter || $0.isNumber } }
    }

    /// `3`, `2.5`: a number in a message.
    static func shown(_ value: Double) -> String {
        Int(exactly: value).map(String.init) ?? String(value)
    }

    /// The units the split works on: white-space separated words, further cut after full-width sentence and clause
    /// marks (Chinese and Japanese put no space there), and a unit longer than `maximum` seconds (a run of CJK text
    /// with no mark at all) cut into even parts. Each unit says whether white space followed it in the text, so
    /// pieces are joined back as they were written.
    static func units(_ text: String, language: String, maximum: Double) -> [(text: String, spaced: Bool)] {
        let breaks: Set<Character> = OutputCaps.fullWidthSentenceEnds.union(fullWidthClauseEnds)
        var units: [(text: String, spaced: Bool)] = []
        for word in text.split(whereSeparator: \.isWhitespace) {
            var parts: [String] = []
            var current = ""
            for character in word {
                current.append(character)
                if breaks.contains(character) {
                    parts.append(current)
                    current = ""
                }
            }
            if !current.isEmpty { parts.append(current) }
            for (index, part) in parts.enumerated() {
                let spaced = index == parts.count - 1
                let seconds = SpeakingRate.estimatedDuration(of: part, language: language)
                guard seconds > maximum, part.count > 1 else {
                    units.append((part, spaced))
                    continue
                }
                // One part per `maximum` seconds and at most one per character: the conversion cannot trap.
                let wanted = (seconds / max(maximum, 0.001)).rounded(.up) + 1
                let count = wanted < Double(part.count) ? Int(wanted) : part.count
                let characters = Array(part)
                for chunk in 0..<count {
                    let range = (chunk * characters.count / count)..<((chunk + 1) * characters.count / count)
                    guard !range.isEmpty else { continue }
                    units.append((String(characters[range]), spaced && chunk == count - 1))
                }
            }
        }
        return units
    }

    /// Clause marks of Chinese and Japanese.
    static let fullWidthClauseEnds: Set<Character> = ["，", "、", "；", "："]

    /// Cuts the narration into pieces of `minimum`…`maximum` seconds: a piece ends at the first sentence end after
    /// `preferred` seconds; when the next word would pass `maximum`, it ends at the last sentence end, else the last
    /// comma, else the last word that keeps it at least `minimum` long. A short last piece joins the one before, or
    /// shares its words with it evenly when together they would be too long.
    static func split(_ text: String, language: String, minimum: Double, maximum: Double, preferred: Double) -> [String]
    {
        let units = Self.units(text, language: language, maximum: maximum)
        let words = units.map(\.text)
        guard !words.isEmpty else { return [] }
        // Prefix sums of the units' word counts make the length of any range O(1): a hostile script of thousands of
        // words stays linear (each unit is counted once).
        var prefix = [0]
        prefix.reserveCapacity(words.count + 1)
        for word in words {
            prefix.append(prefix[prefix.count - 1] + SpeakingRate.wordCount(of: word, language: language))
        }
        let perMinute = SpeakingRate.wordsPerMinute(for: language)
        // The same arithmetic as `SpeakingRate.estimatedDuration`, so that cuts fall exactly where they did.
        func seconds(_ range: Range<Int>) -> Double {
            Double(prefix[range.upperBound] - prefix[range.lowerBound]) * 60 / perMinute
        }
        func endsSentence(_ index: Int) -> Bool {
            guard let last = words[index].last else { return false }
            return ".!?".contains(last) || OutputCaps.fullWidthSentenceEnds.contains(last)
        }
        func endsClause(_ index: Int) -> Bool {
            guard let last = words[index].last else { return false }
            return ",;:".contains(last) || fullWidthClauseEnds.contains(last)
        }
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
        return pieces.map { range in
            var piece = ""
            for index in range {
                piece += units[index].text
                if units[index].spaced, index < range.upperBound - 1 { piece += " " }
            }
            return piece
        }
    }

    /// `pieces` merged into at most `limit` groups of neighbours, each joined with a space (or, for Chinese and
    /// Japanese, without one). The shortest neighbouring pair whose sum stays within `maximum` seconds is merged first,
    /// so a long script that only just passes the limit keeps every shot within bounds (a 20-minute script at 5 s a
    /// piece is 240 pieces against the 200-shot limit); only when no pair fits any more are the groups made even in
    /// count, and so longer than `maximum`.
    static func merged(_ pieces: [String], into limit: Int, language: String, maximum: Double = .infinity) -> [String] {
        let limit = max(1, limit)
        guard pieces.count > limit else { return pieces }
        let separator = SpeakingRate.countsCharacters(for: language) ? "" : " "
        var groups = pieces
        var seconds = pieces.map { SpeakingRate.estimatedDuration(of: $0, language: language) }
        // At most 12,000 words (`OutputCaps.hardMaximumWords`) make at most a few thousand pieces: a scan per merge is
        // fast enough.
        while groups.count > limit {
            var best: Int?
            for index in 0..<(groups.count - 1) where seconds[index] + seconds[index + 1] <= maximum {
                if best.map({ seconds[index] + seconds[index + 1] < seconds[$0] + seconds[$0 + 1] }) ?? true {
                    best = index
                }
            }
            guard let index = best else { break }
            groups[index] += separator + groups[index + 1]
            seconds[index] += seconds[index + 1]
            groups.remove(at: index + 1)
            seconds.remove(at: index + 1)
        }
        guard groups.count > limit else { return groups }
        return (0..<limit).map { group in
            groups[(group * groups.count / limit)..<((group + 1) * groups.count / limit)].joined(separator: separator)
        }
    }
}
