import Foundation
import MediaIO
import PipelineKit
import Testing

@testable import StoryPipeline

/// Issue 23's limits: 20-minute targets, a shot cap that covers them, and the renderer in the cache fingerprint.
@Suite("Long video limits")
struct LongVideoLimitsTests {
    @Test("story.target_seconds takes up to 1200 s (20 minutes) and refuses more")
    func targetSecondsReachesTwentyMinutes() throws {
        let accepted = try StoryConfiguration.decode(json: Data(#"{"story": {"target_seconds": 1200}}"#.utf8))
        #expect(accepted.story.targetSeconds == 1200)
        #expect(throws: (any Error).self) {
            _ = try StoryConfiguration.decode(json: Data(#"{"story": {"target_seconds": 1200.5}}"#.utf8))
        }
        #expect(StoryConfiguration.Limits.targetSeconds == 5...1200)
    }

    @Test("the caps cover 20 minutes of 3 s shots and leave the 45 s defaults as they were")
    func capsCoverTwentyMinutes() {
        #expect(OutputCaps.hardMaximumShots * 3 >= 1200)
        #expect(OutputCaps.defaultMaxShots(targetSeconds: 1200) == 400)
        #expect(OutputCaps.defaultMaxShots(targetSeconds: 45) == 23)
        #expect(OutputCaps.defaultMaxShots(targetSeconds: .infinity) == 23)
        #expect(OutputCaps.defaultMaxShots(targetSeconds: 1e12) == 400)
        #expect(OutputCaps.defaultMaxWords(targetSeconds: 45, language: "en") == 169)
        // 20 minutes of Japanese at 300 characters a minute, 1.5 × over: within the hard maximum.
        #expect(OutputCaps.defaultMaxWords(targetSeconds: 1200, language: "ja") <= OutputCaps.hardMaximumWords)
        #expect(PlanShots.maxShots == .integer("max_shots", in: 1...400, unit: "shots"))
    }

    @Test("a host's frame renderer is in the fingerprint, so two renderers never share cached video")
    func rendererIsInTheFingerprint() throws {
        let directory = try temporaryDirectory("fingerprint")
        defer { try? FileManager.default.removeItem(at: directory) }
        func services(_ renderer: (any VideoFrameRenderer)?) -> StoryServices {
            StoryServices(
                providers: .offline(), ffmpeg: nil, library: nil, workDirectory: directory, frameRenderer: renderer)
        }
        let plain = services(nil).fingerprint
        // No renderer given: the fingerprint stores made before it was keyed hold, so their cache still hits.
        #expect(!plain.contains("renderer="))
        let counting = services(CountingRenderer(counter: FrameCounter())).fingerprint
        #expect(counting == plain + "; renderer=StoryPipelineTests.CountingRenderer")
        let tinted = services(NamedRenderer(identity: "tinted v2")).fingerprint
        #expect(tinted == plain + "; renderer=tinted v2")
        #expect(Set([plain, counting, tinted]).count == 3)
    }
}

/// A renderer that names itself; it draws nothing (the fingerprint test never renders).
private struct NamedRenderer: VideoFrameRenderer {
    let identity: String
    func prepare(_ timeline: VideoTimeline) async throws -> any VideoFrameSource {
        throw CancellationError()
    }
}
