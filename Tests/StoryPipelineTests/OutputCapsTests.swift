import Foundation
import PipelineKit
import PipelineKitTesting
import PropertyBased
import Testing

@testable import StoryModels
@testable import StoryPipeline

/// A model answer has no length limit of its own: one 5,000-word sentence, or a page of Chinese, must still make a
/// bounded script, a bounded shot plan and a bounded number of paid image calls, and say so in the manifest.
@Suite struct OutputCapsTests {
    static let runaway = (0..<5000).map { ["the", "keeper", "climbed", "and", "climbed"][$0 % 5] }
        .joined(separator: " ")
    /// 2,000 characters of Chinese in sentences of 20, ending in `。`, no spaces.
    static let chinese = String(repeating: "灯塔守护者在暴风雨的夜晚爬上楼梯点亮了灯。", count: 100)

    let fixtures = ModelOutputTests()

    func answer(_ narration: String) throws -> String {
        String(decoding: try JSONEncoder().encode(["title": "The Last Light", "narration": narration]), as: UTF8.self)
    }

    func shotsAnswer(_ count: Int) -> String {
        let shot = #"{"visual_prompt": "a lighthouse at night", "mood": "calm", "camera": "slow zoom in"}"#
        return #"{"shots": ["# + Array(repeating: shot, count: count).joined(separator: ",") + "]}"
    }

    @Test func aRunawaySentenceIsCutAtTheWordLimitAndClosed() {
        let (text, cutFrom) = OutputCaps.capped(Self.runaway, maxWords: 169, language: "en")
        #expect(cutFrom == 5000)
        #expect(SpeakingRate.wordCount(of: text, language: "en") == 169)
        #expect(text.hasSuffix("."))
        #expect(Self.runaway.hasPrefix(String(text.dropLast())))
        // Within the limit, the text is returned as it was.
        #expect(OutputCaps.capped("Short and sweet.", maxWords: 169, language: "en") == ("Short and sweet.", nil))
    }

    @Test func aCutPrefersTheLastSentenceEndThatKeepsHalfTheLimit() {
        let text = "One two three four five six. Seven eight nine ten eleven twelve thirteen fourteen"
        #expect(OutputCaps.capped(text, maxWords: 10, language: "en").text == "One two three four five six.")
        #expect(OutputCaps.capped(text, maxWords: 13, language: "en").text.hasSuffix("thirteen."))
        // A "word" of a million letters is one word, and still cut: at 30 characters a word.
        let (long, cut) = OutputCaps.capped(String(repeating: "a", count: 1_000_000), maxWords: 10, language: "en")
        #expect(long.count <= 301 && cut == 1)
    }

    @Test func chineseIsCountedByCharacterAndCutAtItsFullStops() {
        #expect(OutputCaps.sentences("他走了。她笑了！好吗？") == ["他走了。", "她笑了！", "好吗？"])
        let (text, cutFrom) = OutputCaps.capped(Self.chinese, maxWords: 120, language: "zh")
        #expect(cutFrom == 2000)
        #expect(SpeakingRate.wordCount(of: text, language: "zh") == 120)
        #expect(text.hasSuffix("。"))
        let fitted = WriteScript.fitted(Self.chinese, targetSeconds: 20, language: "zh")
        // 20 s of Chinese at 240 characters a minute is 80 characters; the cut lands on a sentence end within 10 %.
        #expect(SpeakingRate.estimatedDuration(of: fitted, language: "zh") <= 22)
        #expect(fitted.hasSuffix("。"))
    }

    /// Western text splits into sentences exactly as the scorer splits it, so a default run is unchanged.
    @Test func westernSentencesSplitAsBefore() async {
        await propertyCheck(count: 200, input: Gen.uint64()) { seed in
            var random = SplitMix(seed: seed)
            let pieces = ["Hello.", "world", "A.B.", "wait!", "why?", "e.g.", "...", "\n", "  ", "end.\"", "ok"]
            let text = (0..<Int(random.next() % 30)).map { _ in pieces[Int(random.next() % UInt64(pieces.count))] }
                .joined(separator: random.next() % 3 == 0 ? "" : " ")
            #expect(OutputCaps.sentences(text) == HeuristicScriptScorer.sentences(text), "\(text)")
        }
    }

    /// The split keeps its cuts for Western text (the linear-time rewrite against the original, kept here).
    @Test func theShotSplitIsUnchangedForWesternText() async {
        await propertyCheck(count: 150, input: Gen.uint64()) { seed in
            var random = SplitMix(seed: seed)
            let vocabulary = ["the", "keeper,", "climbed", "stairs.", "light!", "storm", "quietly;", "why?", "sea"]
            let text = (0..<Int(8 + random.next() % 200))
                .map { _ in vocabulary[Int(random.next() % UInt64(vocabulary.count))] }.joined(separator: " ")
            #expect(
                PlanShots.split(text, language: "en", minimum: 3, maximum: 10, preferred: 5)
                    == Self.originalSplit(text, language: "en", minimum: 3, maximum: 10, preferred: 5))
        }
    }

    @Test func chineseSplitsIntoShotsAtItsFullStops() {
        let pieces = PlanShots.split(Self.chinese, language: "zh", minimum: 3, maximum: 10, preferred: 5)
        #expect(pieces.count > 50)
        #expect(pieces.joined() == Self.chinese)
        for piece in pieces {
            #expect(SpeakingRate.estimatedDuration(of: piece, language: "zh") <= 10.0001)
        }
        // A run with no mark at all is cut evenly rather than left as one shot of minutes.
        let unbroken = String(repeating: "灯", count: 400)
        let cut = PlanShots.split(unbroken, language: "zh", minimum: 3, maximum: 10, preferred: 5)
        #expect(cut.joined() == unbroken)
        #expect(cut.allSatisfy { SpeakingRate.estimatedDuration(of: $0, language: "zh") <= 10.0001 })
    }

    @Test func aRunawayAnswerMakesABoundedScriptShotPlanAndImageCountNotedInTheManifest() async throws {
        let server = try ModelOutputTests.ScriptedChatServer([try answer(Self.runaway)])
        let services = try fixtures.services(text: server.provider())
        var state = try await WriteScript(services: services)
            .run(fixtures.stateWithIdea(), context: fixtures.context(WriteScript.id))
        let script = try #require(state.script)
        // 20 s of English: 1.5 × 50 words.
        #expect(script.current.wordCount == OutputCaps.defaultMaxWords(targetSeconds: 20, language: "en"))
        #expect(script.current.wordCount == 75)
        #expect(
            state.capsApplied == [
                "script: the model's narration (5000 words) was cut to 75 words (stages.script.parameters.max_words)"
            ])

        let pieces = PlanShots.split(script.current.text, language: "en", minimum: 3, maximum: 10, preferred: 5)
        let shotServer = try ModelOutputTests.ScriptedChatServer([shotsAnswer(pieces.count)])
        state = try await PlanShots(services: try fixtures.services(text: shotServer.provider()))
            .run(state, context: fixtures.context(PlanShots.id))
        let shots = try #require(state.shotlist?.shots)
        #expect(shots.count == pieces.count)
        #expect(shots.count <= OutputCaps.defaultMaxShots(targetSeconds: 20))

        let jobs = try await PlanKeyframes().run(state, context: fixtures.context(PlanKeyframes.id))
        #expect(jobs.count == shots.count)

        let manifest = ExportManifest(
            runId: "r", ideaId: "i", scriptId: "s", createdAt: Date(timeIntervalSince1970: 0), title: "t",
            description: "", hashtags: [], voiceDuration: 1, videoDuration: 1, stages: [], files: [],
            capsApplied: state.capsApplied)
        let encoded = String(decoding: try StoryJSON.encode(manifest), as: UTF8.self)
        #expect(encoded.contains(#""caps_applied" : ["#))
        #expect(try StoryJSON.decode(ExportManifest.self, from: StoryJSON.encode(manifest)) == manifest)
    }

    @Test func aPageOfChineseMakesABoundedScriptAndShotPlan() async throws {
        var start = fixtures.stateWithIdea()
        start.request.language = "zh"
        let server = try ModelOutputTests.ScriptedChatServer([try answer(Self.chinese)])
        var state = try await WriteScript(services: try fixtures.services(text: server.provider()))
            .run(start, context: fixtures.context(WriteScript.id))
        let text = try #require(state.script?.current.text)
        // `fitted` cuts at a full stop near 22 s (88 characters); before, the whole page was one "sentence".
        #expect(SpeakingRate.estimatedDuration(of: text, language: "zh") <= 22)
        #expect(text.hasSuffix("。"))

        let pieces = PlanShots.split(text, language: "zh", minimum: 3, maximum: 10, preferred: 5)
        #expect((2...OutputCaps.defaultMaxShots(targetSeconds: 20)).contains(pieces.count))
        let shotServer = try ModelOutputTests.ScriptedChatServer([shotsAnswer(pieces.count)])
        state = try await PlanShots(services: try fixtures.services(text: shotServer.provider()))
            .run(state, context: fixtures.context(PlanShots.id))
        let jobs = try await PlanKeyframes().run(state, context: fixtures.context(PlanKeyframes.id))
        #expect(jobs.count == pieces.count)
        #expect(jobs.count <= OutputCaps.defaultMaxShots(targetSeconds: 20))
    }

    @Test func aManifestWithinEveryLimitIsWrittenAsBefore() throws {
        let manifest = ExportManifest(
            runId: "r", ideaId: "i", scriptId: "s", createdAt: Date(timeIntervalSince1970: 0), title: "t",
            description: "", hashtags: [], voiceDuration: 1, videoDuration: 1, stages: [], files: [], capsApplied: [])
        #expect(manifest.capsApplied == nil)
        #expect(!String(decoding: try StoryJSON.encode(manifest), as: UTF8.self).contains("caps"))
        var state = StoryState(request: StoryRequest(topic: "t"))
        #expect(!String(decoding: try StoryJSON.encode(state), as: UTF8.self).contains("caps"))
        state.noteCap("x")
        state.noteCap("x")
        #expect(state.capsApplied == ["x"])
    }

    @Test func aLongScriptFromElsewhereIsMergedToTheShotLimit() async throws {
        var state = fixtures.stateWithIdea()
        let text = (0..<120).map { _ in ModelOutputTests.goodNarration }.joined(separator: " ")
        state.script = Script(id: "s", ideaId: "idea-1", language: "en", generated: text)
        let server = try ModelOutputTests.ScriptedChatServer([shotsAnswer(7)])
        let context = StageContext(
            runID: "test", stageID: PlanShots.id, logger: .init(label: "test"), artifacts: InMemoryArtifactStore(),
            configuration: StageParameters(["max_shots": .number(7)]))
        let planned = try await PlanShots(services: try fixtures.services(text: server.provider()))
            .run(state, context: context)
        let shots = try #require(planned.shotlist?.shots)
        #expect(shots.count == 7)
        // Every word is still filmed, in order.
        #expect(shots.map(\.narration.text).joined(separator: " ") == text)
        #expect(planned.shotlist?.validate().isEmpty == true)
        #expect(planned.capsApplied?.first?.hasPrefix("shots: ") == true)
        #expect(planned.capsApplied?.first?.contains("merged into 7 shots (stages.shots.parameters.max_shots)") == true)
        // The model was asked for 7 shots, not hundreds.
        #expect(server.requestBodies.first?.contains("exactly 7 shots") == true)
    }

    @Test func theImageLimitPaintsEvenlySpacedShotsAndTheOthersReuseThem() async throws {
        var state = fixtures.stateWithIdea()
        state.shotlist = Shotlist(
            shots: (0..<10).map {
                Shot(
                    id: $0, start: Double($0), end: Double($0 + 1),
                    narration: .init(text: "w", firstWord: $0, endWord: $0 + 1),
                    sceneDescription: "", visualPrompt: "p\($0)")
            })
        let artifacts = InMemoryArtifactStore()
        let context = StageContext(
            runID: "test", stageID: PlanKeyframes.id, logger: .init(label: "test"), artifacts: artifacts,
            configuration: StageParameters(["max_images": .number(3)]))
        let jobs = try await PlanKeyframes().run(state, context: context)
        #expect(jobs.map(\.prompt.shotId) == [0, 3, 6])
        var painted: [KeyframeImage] = []
        for job in jobs {
            let image = try await artifacts.put(Data("image \(job.prompt.shotId)".utf8), fileExtension: "png")
            painted.append(KeyframeImage(shotId: job.prompt.shotId, image: image, state: job.state))
        }
        let services = StoryServices(
            providers: .offline(), ffmpeg: nil, library: nil, workDirectory: try temporaryDirectory("collect"))
        let collected = try await CollectKeyframes(services: services).run(painted.reversed(), context: context)
        let keyframes = try #require(collected.keyframes)
        #expect(keyframes.count == 10)
        let index = Dictionary(uniqueKeysWithValues: painted.map { ($0.image, $0.shotId) })
        #expect(keyframes.map { index[$0] } == [0, 0, 0, 3, 3, 3, 6, 6, 6, 6])
        #expect(
            collected.capsApplied == [
                "keyframes: 3 images painted for 10 shots (stages.keyframe-plan.parameters.max_images)"
            ])
    }

    /// `PlanShots.split` as it was before the linear-time rewrite, for the comparison above.
    static func originalSplit(_ text: String, language: String, minimum: Double, maximum: Double, preferred: Double)
        -> [String]
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
                let cut = candidates.last { endsSentence($0 - 1) } ?? candidates.last { endsClause($0 - 1) } ?? end
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
