import Foundation
import PipelineKit
import PipelineKitTesting
import ProviderKit
import StoryForgeCore
import StoryModels
import Testing

@testable import OfflineProviders
@testable import StoryPipeline

/// The offline writer through the real text stages (ideas, selection, script, revision, shot plan), for topics of
/// every shape: the story told is the topic's.
@Suite struct OfflineWritingTests {
    /// Topics of every shape the issue names: noun phrases, sentences, questions, names, single words, a request with
    /// a lead-in, a paragraph, text in other languages and scripts, and an empty topic.
    static let topics: [String] = [
        "a lighthouse keeper's last night", "A robot learns to paint.", "What if the moon disappeared?",
        "Ada Lovelace", "dragons", "serendipity", "Paris in the rain", "my grandmother's kitchen",
        "Two sisters open a bakery", "the last dragon", "a city of bridges", "The summer of 1969",
        "Why do cats purr?", "I lost my keys on the first day of school", "the day the music died",
        "a ghost who is afraid of the dark", "Marie Curie discovers radium", "an astronaut alone on Mars",
        "the fox and the lantern", "a night-shift nurse in a small hospital", "Sherlock Holmes", "Zorblax",
        "quantum entanglement", "write a story about a lonely whale", "The history of coffee",
        "a librarian finds a book that writes itself", "an orphan's first Christmas", "How did the old bridge fall?",
        "a pirate's treasure map", "our last summer at the lake",
        "An old clockmaker lives above his shop in a quiet town. Every night he repairs clocks that nobody "
            + "collects. One winter a girl brings him a watch that runs backwards, and he realises it is his own. The "
            + "town slowly forgets him, but the watch remembers.",
        "灯台守の最後の夜", "Die letzte Nacht des Leuchtturmwärters", "La última noche del farero",
        "Le dernier voyage du capitaine", "Последняя ночь смотрителя маяка", "一只猫的冒险",
        "a boy and his dog at the end of the world", "the train that never stopped", "a chef who cannot taste",
        "Tokyo at night", "winter", "a wizard's apprentice", "the cartographer",
        "A young inventor builds a machine to talk to the stars", "an honest umbrella",
    ]

    struct Run {
        var state: StoryState
        var visuals: [String] { state.shotlist?.shots.map(\.visualPrompt) ?? [] }
        var script: String { state.script?.current.text ?? "" }
    }

    static func services() throws -> StoryServices {
        StoryServices(
            providers: StoryProviders.offline(), ffmpeg: nil, library: nil, workDirectory: try temporaryDirectory())
    }

    static func context(_ stage: StageID) -> StageContext {
        StageContext(runID: "test", stageID: stage, logger: .init(label: "test"), artifacts: InMemoryArtifactStore())
    }

    /// Ideas → selection → script → revision → shot plan, as the default pipeline runs them.
    static func run(_ topic: String, seed: Int = 7, targetSeconds: Double = 45) async throws -> Run {
        let services = try services()
        var state = try await GenerateIdeas(services: services)
            .run(
                StoryRequest(topic: topic, seed: seed, targetSeconds: targetSeconds), context: context(GenerateIdeas.id)
            )
        state = try await SelectIdea(services: services).run(state, context: context(SelectIdea.id))
        state = try await WriteScript(services: services).run(state, context: context(WriteScript.id))
        state = try await ReviseScript(services: services).run(state, context: context(ReviseScript.id))
        state = try await PlanShots(services: services).run(state, context: context(PlanShots.id))
        return Run(state: state)
    }

    /// The topic's content words as the analyser reads them (the used part of a paragraph; digits are spelled out
    /// for the voice, so only words with letters count).
    static func contentWords(_ topic: String) -> [String] {
        TopicAnalyser.analyse(topic, shape: nil).contentWords.filter { $0.contains(where: \.isLetter) }
    }

    static func firstSentences(_ text: String, _ count: Int) -> String {
        // Sentences end at ".", "!" or "?" before a space (the test's own split, not the writer's).
        var sentences: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if ".!?".contains(character) {
                sentences.append(current)
                current = ""
            }
        }
        return sentences.prefix(count).joined()
    }

    /// Placeholders, unfilled interpolations and doubled words ("the the", "a a").
    static func leaks(_ text: String) -> [String] {
        var found: [String] = []
        for marker in ["{", "}", "\\(", "nil", "Optional("] where text.contains(marker) { found.append(marker) }
        // Within a clause: "part of it. It all changed" is English.
        for clause in text.lowercased().split(whereSeparator: { ".,;:!?".contains($0) }) {
            let words = clause.split { !($0.isLetter || $0 == "'" || $0 == "’") }
            for (first, second) in zip(words, words.dropFirst()) where first == second {
                found.append("\(first) \(second)")
            }
        }
        return found
    }

    @Test func everyTopicIsTheStoryToldInTitleScriptAndPictures() async throws {
        var faithful = 0
        var failures: [String] = []
        for topic in Self.topics {
            let run = try await Self.run(topic)
            let idea = try #require(run.state.idea)
            let opening = (idea.title + " " + Self.firstSentences(run.script, 2)).lowercased()
            let words = Self.contentWords(topic)
            let missingOpening = words.filter { !opening.contains($0) }
            let missingPictures = words.filter { word in !run.visuals.allSatisfy { $0.lowercased().contains(word) } }
            let missingIdea = words.filter { !(idea.title + " " + idea.logline).lowercased().contains($0) }
            let texts = [idea.title, idea.logline, run.script] + run.visuals + run.state.candidates.map(\.title)
            let leaks = texts.flatMap { text in Self.leaks(text).map { "\($0) in “\(text)”" } }
            if ProcessInfo.processInfo.environment["STORYFORGE_PRINT_STORIES"] != nil {
                print(
                    "== \(topic)\n\(idea.title)\n\(idea.logline)\n\(run.script)\n\(run.visuals.prefix(3).joined(separator: "\n"))"
                )
            }
            if missingOpening.isEmpty, missingPictures.isEmpty, missingIdea.isEmpty, leaks.isEmpty, !run.visuals.isEmpty
            {
                faithful += 1
            } else {
                failures.append(
                    "\(topic): opening lacks \(missingOpening), pictures lack \(missingPictures), idea lacks "
                        + "\(missingIdea), leaks \(leaks)\n  \(idea.title) | \(Self.firstSentences(run.script, 2))")
            }
        }
        print("topic faithfulness: \(faithful)/\(Self.topics.count)")
        #expect(failures.isEmpty, "\(failures.joined(separator: "\n"))")
        #expect(Self.topics.count >= 40)
    }

    @Test func theOfflineWriterChosenFromTheEnvironmentFillsTheStoryFields() async throws {
        // story-demo's providers come from `fromEnvironment`: its writer must know the stages' fields, or every string
        // (the title, the narration) is a plain sentence.
        let (providers, _) = try await StoryProviders.fromEnvironment([:], selection: .offline)
        let services = StoryServices(
            providers: providers, ffmpeg: nil, library: nil, workDirectory: try temporaryDirectory())
        var state = try await GenerateIdeas(services: services)
            .run(
                StoryRequest(topic: "a lighthouse keeper's last night", seed: 2),
                context: Self.context(GenerateIdeas.id))
        state = try await SelectIdea(services: services).run(state, context: Self.context(SelectIdea.id))
        state = try await WriteScript(services: services).run(state, context: Self.context(WriteScript.id))
        let idea = try #require(state.idea)
        #expect(
            !idea.title.hasPrefix("The story of")
                && ["Keeper", "Lighthouse", "Night"].contains { idea.title.contains($0) },
            "\(idea.title)")
        let script = try #require(state.script?.current.text)
        #expect(script.contains("the story of a lighthouse keeper's last night"), "\(script)")
    }

    @Test func aFasterVoiceGetsAScriptWithMoreWordsForTheSameLength() async throws {
        // At 1.25× the voice reads 45 s of normal-rate text in 36 s: the script must hold 56 s of normal-rate words.
        let services = try Self.services()
        var state = try await GenerateIdeas(services: services)
            .run(
                StoryRequest(topic: "a night train", seed: 3, targetSeconds: 45),
                context: Self.context(GenerateIdeas.id))
        state = try await SelectIdea(services: services).run(state, context: Self.context(SelectIdea.id))
        var normal = state
        _ = try await WriteScript(services: services)
            .run(&normal, parameters: .init(), context: Self.context(WriteScript.id))
        var faster = state
        _ = try await WriteScript(services: services)
            .run(&faster, parameters: .init(speechRate: 1.25), context: Self.context(WriteScript.id))
        let normalSeconds = SpeakingRate.estimatedDuration(
            of: try #require(normal.script?.current.text), language: "en")
        let fasterSeconds = SpeakingRate.estimatedDuration(
            of: try #require(faster.script?.current.text), language: "en")
        #expect(
            (1.1...1.45).contains(fasterSeconds / normalSeconds), "normal \(normalSeconds) s, 1.25×: \(fasterSeconds) s"
        )
    }

    @Test func theSameTopicAndSeedGiveTheSameStory() async throws {
        for topic in ["a lighthouse keeper's last night", "灯台守の最後の夜", "What if the moon disappeared?"] {
            let first = try await Self.run(topic, seed: 11)
            let again = try await Self.run(topic, seed: 11)
            #expect(first.state.idea == again.state.idea)
            #expect(first.script == again.script)
            #expect(first.visuals == again.visuals)
        }
    }

    @Test func ideasDifferInAngleButKeepThePremise() async throws {
        let topic = "a lighthouse keeper's last night"
        var loglines: Set<String> = []
        for seed in 1...4 {
            let run = try await Self.run(topic, seed: seed)
            let candidates = run.state.candidates
            // One run's ideas each take another angle: turn, mood and narrator all differ.
            #expect(Set(candidates.map(\.logline)).count == candidates.count)
            #expect(Set(candidates.map(\.tone)).count == candidates.count)
            for idea in candidates {
                #expect(
                    idea.logline.contains("a lighthouse keeper’s last night")
                        || idea.logline.contains(
                            "a lighthouse keeper's last night"),
                    "\(idea.logline)")
                #expect(idea.logline.contains("at the lighthouse"), "\(idea.logline)")
            }
            let selected = try #require(run.state.idea)
            // Tags (hashtags) repeat no word within an idea.
            let tags = selected.tagSuggestions.map(\.text)
            #expect(Set(tags).count == tags.count, "\(tags)")
            #expect(tags.prefix(3) == ["lighthouse", "keeper", "last"], "\(tags)")
            loglines.insert(selected.logline)
            #expect(run.script.contains("a lighthouse keeper"))
            #expect(run.script.contains("the last night"))
        }
        #expect(loglines.count >= 2, "different seeds chose the same angle: \(loglines)")
    }

    // MARK: Long targets

    /// The share of sentences that repeat an earlier one verbatim: 0 when every sentence is new.
    static func repeatedSentenceRatio(_ text: String) -> Double {
        let sentences = allSentences(text)
        guard !sentences.isEmpty else { return 0 }
        return 1 - Double(Set(sentences).count) / Double(sentences.count)
    }

    static func allSentences(_ text: String) -> [String] {
        var sentences: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if ".!?".contains(character) {
                sentences.append(current.trimmingCharacters(in: .whitespaces))
                current = ""
            }
        }
        return sentences
    }

    /// The chapters' openings: "On the third leg of the journey", "On the fifth day".
    static func chapterMarkers(_ text: String) -> Set<String> {
        Set(
            allSentences(text).compactMap { sentence in
                guard sentence.hasPrefix("On the "), let comma = sentence.firstIndex(of: ",") else { return nil }
                let marker = String(sentence[..<comma])
                return marker.hasSuffix(" leg of the journey") || marker.hasSuffix(" day") ? marker : nil
            })
    }

    @Test(arguments: [300.0, 600.0])
    func longTargetsTellChaptersThatDoNotRepeatAndShotsStayInBounds(seconds: Double) async throws {
        let run = try await Self.run("a lighthouse keeper's last night", targetSeconds: seconds)
        let script = run.script
        if ProcessInfo.processInfo.environment["STORYFORGE_PRINT_STORIES"] != nil { print(script) }
        let spoken = SpeakingRate.estimatedDuration(of: script, language: "en")
        #expect(spoken >= seconds * 0.8 && spoken <= seconds * 1.3, "\(spoken) s for \(seconds) s")
        #expect(Self.repeatedSentenceRatio(script) == 0, "\(script)")
        // About one chapter a minute or more, each opening on a later hour.
        #expect(Self.chapterMarkers(script).count >= Int(seconds / 60), "\(Self.chapterMarkers(script))")
        #expect(script.contains("the keeper") && script.contains("lighthouse"))
        let shots = try #require(run.state.shotlist?.shots)
        for shot in shots {
            #expect((3 - 1e-9)...(10 + 1e-9) ~= shot.end - shot.start, "shot \(shot.id): \(shot.end - shot.start) s")
        }
        #expect((run.state.capsApplied ?? []).isEmpty, "\(run.state.capsApplied ?? [])")
    }

    @Test func aTwentyMinuteNarrationHasChaptersAndItsShotsStayInBoundsUnderTheShotLimit() async throws {
        // 1,200 s is past the pipeline's target limit (600 s) today: the writer and the planner are checked directly,
        // with the script stage's request for that length (150 words a minute, 6 characters a word).
        let writer = TemplateStoryWriter(fields: TemplateStoryWriter.storyFields)
        let ideas = try await writer.generate(
            ChatRequest(
                messages: [.user("a lighthouse keeper's last night")], seed: 3,
                responseFormat: .jsonSchema(name: "i", schema: GenerateIdeas.schema(count: 1), strict: false)))
        guard case .array(let list)? = try JSONValue(parsing: Data(ideas.text.utf8))["ideas"], let idea = list.first
        else {
            Issue.record("no idea in \(ideas.text)")
            return
        }
        let title = try #require(idea["title"]?.stringValue)
        let logline = try #require(idea["logline"]?.stringValue)
        let schema: JSONValue = [
            "type": "object",
            "properties": ["title": ["type": "string"], "narration": ["type": "string", "minLength": 18_000]],
            "required": ["title", "narration"],
        ]
        let answer = try await writer.generate(
            ChatRequest(
                messages: [.user("\(title). \(logline)")], seed: 3,
                responseFormat: .jsonSchema(name: "s", schema: schema, strict: false)))
        let narration = try #require(try JSONValue(parsing: Data(answer.text.utf8))["narration"]?.stringValue)
        let spoken = SpeakingRate.estimatedDuration(of: narration, language: "en")
        #expect(spoken >= 1200 && spoken <= 1200 * 1.3, "\(spoken) s")
        #expect(Self.repeatedSentenceRatio(narration) == 0)
        #expect(Self.chapterMarkers(narration).count >= 20)
        let split = PlanShots.split(narration, language: "en", minimum: 3, maximum: 10, preferred: 5)
        let limit = OutputCaps.defaultMaxShots(targetSeconds: 1200)
        let shots = PlanShots.merged(split, into: limit, language: "en", maximum: 10)
        #expect(shots.count <= limit)
        for shot in shots {
            let length = SpeakingRate.estimatedDuration(of: shot, language: "en")
            #expect((3 - 1e-9)...(10 + 1e-9) ~= length, "\(length) s: \(shot)")
        }
        #expect(shots.joined(separator: " ") == split.joined(separator: " "))
    }
}
