import Foundation
import StoryModels

/// Small, hand-written values shared by the tests.
enum Fixtures {
    static func shot(_ id: Int, _ start: Double, _ end: Double) -> Shot {
        Shot(
            id: id, start: start, end: end,
            narration: NarrationSpan(text: "word \(id)", firstWord: id - 1, endWord: id),
            sceneDescription: "scene \(id)", visualPrompt: "prompt \(id)", mood: "calm", camera: "wide",
            motion: "push-in", transition: .crossfade)
    }

    static let idea = StoryIdea(
        id: "idea-1", title: "The Last Lighthouse", logline: "A keeper waits for a ship that sank.",
        tone: "eerie", theme: "loss", narrator: "the keeper", targetAudience: "adults", language: "en",
        viralPotential: ViralPotential(
            platforms: [SegmentScore(segment: "tiktok", score: 80)],
            regions: [SegmentScore(segment: "us", score: 60)],
            ageGroups: [SegmentScore(segment: "18-24", score: 70)],
            genders: [SegmentScore(segment: "female", score: 50)]),
        titleSuggestions: [ScoredSuggestion(text: "Lights Out", score: 72)],
        tagSuggestions: [ScoredSuggestion(text: "ghoststory", score: 90)])

    static let manifest = ExportManifest(
        runId: "run-1", ideaId: "idea-1", scriptId: "script-1",
        createdAt: Date(timeIntervalSince1970: 1_700_000_000), title: "Lights Out",
        alternativeTitles: ["The Keeper"], description: "A ghost story.", hashtags: ["ghost"],
        voiceDuration: 44.5, videoDuration: 44.6,
        stages: [
            .init(
                stage: "script", provider: "openai", model: "gpt-4o-mini", duration: 2.5,
                usage: .init(promptTokens: 100, completionTokens: 50), costUsd: 0.25),
            .init(stage: "voice", provider: "espeak-ng", model: "", duration: 1, costUsd: 0.5),
        ],
        files: [.init(path: "video.mp4", bytes: 10, sha256: String(repeating: "ab", count: 32))])
}
