import Foundation
import MediaIO
import PipelineKit
import PipelineKitTesting
import ProviderKit
import StoryModels
import Synchronization

@testable import StoryPipeline

/// Counts and records the calls that reach a real provider: the image and speech providers of the storyboard tests
/// are the offline ones (procedural art, espeak-ng) behind these.
final class ProviderCalls: Sendable {
    private let recorded = Mutex<(images: [String], speech: [String])>(([], []))

    var imagePrompts: [String] { recorded.withLock { $0.images } }
    var speechTexts: [String] { recorded.withLock { $0.speech } }

    func image(_ prompt: String) { recorded.withLock { $0.images.append(prompt) } }
    func speech(_ text: String) { recorded.withLock { $0.speech.append(text) } }
}

/// An image provider that records each request and passes it to `base`, under `base`'s identity.
struct CountingImages: ImageGenerator {
    let base: any ImageGenerator
    let calls: ProviderCalls

    var identity: ProviderIdentity { base.identity }
    var capabilities: ProviderCapabilities { base.capabilities }
    func checkHealth() async throws -> HealthReport { try await base.checkHealth() }
    func generateImages(_ request: ImageRequest) async throws -> [GeneratedImage] {
        calls.image(request.prompt)
        return try await base.generateImages(request)
    }
}

/// A speech provider that records each request and passes it to `base`, under `base`'s identity.
struct CountingSpeech: SpeechSynthesizer {
    let base: any SpeechSynthesizer
    let calls: ProviderCalls

    var identity: ProviderIdentity { base.identity }
    var capabilities: ProviderCapabilities { base.capabilities }
    func checkHealth() async throws -> HealthReport { try await base.checkHealth() }
    func synthesize(_ request: SpeechRequest) async throws -> SynthesizedSpeech {
        calls.speech(request.text)
        return try await base.synthesize(request)
    }
}

/// A small offline story (12 s, 2–3 s shots, 216×384 video at 12 fps) in a fresh store, with counted
/// image and speech calls.
struct StoryboardBench {
    let root: URL
    let studio: StoryStudio
    let calls: ProviderCalls
    let events: RecordingEventSink

    static func configuration() -> StoryConfiguration {
        StoryConfiguration(
            story: .init(topic: "a lighthouse keeper's last night", seed: 5, targetSeconds: 12),
            providers: .offline,
            // Keyframes at the render size need no upscaling (a 2× upscale takes a debug build minutes), and a
            // small, 12 fps frame keeps the assembly to seconds.
            render: .init(width: 216, height: 384, fps: 12),
            pipeline: PipelineConfiguration(
                stages: [
                    "keyframes": StageConfiguration(
                        parameters: StageParameters(["width": .number(216), "height": .number(384)])),
                    "shots": StageConfiguration(
                        parameters: StageParameters([
                            "min_seconds": .number(1.5), "preferred_seconds": .number(2.5), "max_seconds": .number(3),
                        ])),
                ]))
    }

    static func make(_ name: String) async throws -> StoryboardBench {
        let root = try temporaryDirectory(name)
        let calls = ProviderCalls()
        var providers = StoryProviders.offline()
        providers.images = CountingImages(base: providers.images, calls: calls)
        providers.speech = CountingSpeech(base: providers.speech, calls: calls)
        let events = RecordingEventSink()
        let studio = try await StoryStudio.make(
            store: root.appendingPathComponent("store"), configuration: configuration(), providers: providers,
            eventSinks: [events])
        return StoryboardBench(root: root, studio: studio, calls: calls, events: events)
    }

    var review: URL { root.appendingPathComponent("review") }
    var storyboardURL: URL { review.appendingPathComponent(Storyboard.fileName) }

    /// Runs the story until its keyframes are painted and stops.
    func stopAfterKeyframes(_ runID: RunID = "base") async throws -> StoryStudio.Stopped {
        try await studio.run(
            studio.request(), runID: runID, stoppingAfter: studio.stopStage(named: "keyframes"), writeTo: review)
    }

    /// The storyboard in the review folder, edited by `edit`, written back.
    func editStoryboard(_ edit: (inout Storyboard) throws -> Void) throws {
        var board = try Storyboard.decode(Data(contentsOf: storyboardURL))
        try edit(&board)
        try board.jsonData().write(to: storyboardURL)
    }

    /// The stages that started in `runID`, in order.
    func started(in runID: RunID) -> [String] {
        events.events.filter { $0.runID == runID && $0.kind == .stageStarted }.compactMap { $0.stage?.rawValue }
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}
