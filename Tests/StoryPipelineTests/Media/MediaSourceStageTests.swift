import Foundation
import MediaIO
import OfflineProviders
import PipelineKit
import PipelineKitTesting
import ProviderKit
import ProviderKitTesting
import StoryForgeCore
import StoryModels
import Testing

@testable import StoryPipeline

/// The paint stage with media sources, for real: a library folder with a still and a clip, OpenAI video over a
/// loopback server (a real MP4, and a "clip" that is not a video), procedural art last; ffmpeg probes and cuts.
@Suite(.serialized) struct MediaSourceStageTests {
    static let prompts = [
        (1, "An old lighthouse in a storm"), (2, "Bread in a warm kitchen"), (3, "Surfers riding a big wave"),
        (4, "Quantum entanglement diagrams"),
    ]

    static func state() -> StoryState {
        var state = StoryState(request: StoryRequest(topic: "media", seed: 5))
        state.shotlist = Shotlist(
            shots: prompts.map { id, prompt in
                Shot(
                    id: id, start: Double(id - 1) * 2, end: Double(id) * 2,
                    narration: NarrationSpan(text: "words for shot \(id)", firstWord: 0, endWord: 4),
                    sceneDescription: prompt, visualPrompt: prompt, mood: "calm")
            })
        state.keyframePrompts = prompts.map { KeyframePrompt(shotId: $0.0, prompt: $0.1, seed: UInt64($0.0)) }
        return state
    }

    static func mp4(_ url: URL, ffmpeg: FFmpeg, seconds: Int = 1) async throws {
        try await ffmpeg.run([
            "-y", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=96x160:rate=10", "-t", "\(seconds)", "-pix_fmt",
            "yuv420p", "file:" + url.path,
        ])
    }

    /// A loopback OpenAI video server: a real MP4 for prompts about surf, an MP4-looking file of junk otherwise.
    static func videoServer(clip: Data) throws -> LoopbackHTTPServer {
        let junk = Data([0, 0, 0, 0x18]) + Data("ftypisom".utf8) + Data(repeating: 0x55, count: 200)
        return try LoopbackHTTPServer { request in
            if request.method == "POST" {
                let id = request.bodyText.contains("Surfers") ? "surf" : "junk"
                return .json(#"{"id":"\#(id)","status":"completed","seconds":"4"}"#)
            }
            if request.path.hasSuffix("/surf/content") { return .bytes(clip, contentType: "video/mp4") }
            if request.path.hasSuffix("/junk/content") { return .bytes(junk, contentType: "video/mp4") }
            return .json(#"{"id":"x","status":"completed"}"#)
        }
    }

    func paint(
        _ sources: ShotMediaSources, root: URL, ffmpeg: FFmpeg
    ) async throws -> (StoryState, InMemoryArtifactStore) {
        var providers = StoryProviders.offline()
        providers.media = sources
        let services = StoryServices(providers: providers, ffmpeg: ffmpeg, library: nil, workDirectory: root)
        let artifacts = InMemoryArtifactStore()
        let stateRef = try await artifacts.put(StoryJSON.encode(Self.state()), fileExtension: "json")
        let context = StageContext(
            runID: "media", stageID: PaintKeyframe.id, logger: .init(label: "test"), artifacts: artifacts,
            configuration: StageParameters(["width": .number(90), "height": .number(160)]))
        var painted: [KeyframeImage] = []
        for prompt in Self.state().keyframePrompts ?? [] {
            painted.append(
                try await PaintKeyframe(services: services).run(
                    KeyframeJob(prompt: prompt, state: stateRef), context: context))
        }
        let collected = try await CollectKeyframes(services: services).run(
            painted,
            context: StageContext(
                runID: "media", stageID: CollectKeyframes.id, logger: .init(label: "test"), artifacts: artifacts))
        return (collected, artifacts)
    }

    @Test func sourcesAreAskedInOrderAndAClipThatIsNotAVideoFallsThroughToTheNext() async throws {
        let root = try temporaryDirectory("media-stage")
        defer { try? FileManager.default.removeItem(at: root) }
        let ffmpeg = try await FFmpeg.locate()
        let folder = root.appendingPathComponent("library")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try ImageEncoder(format: .png()).encode(
            PixelBuffer(width: 300, height: 200, layout: .rgb, componentType: .uint8)
        )
        .write(to: folder.appendingPathComponent("lighthouse-storm.png"))
        try await Self.mp4(folder.appendingPathComponent("kitchen-bread.mp4"), ffmpeg: ffmpeg)
        let generated = root.appendingPathComponent("surf.mp4")
        try await Self.mp4(generated, ffmpeg: ffmpeg, seconds: 3)
        let server = try Self.videoServer(clip: try Data(contentsOf: generated))
        defer { server.shutdown() }

        let video = OpenAIVideoGenerator(
            configuration: .init(
                baseURL: server.baseURL.appending(path: "v1"), apiKey: "sk-test", pollInterval: .milliseconds(5)))
        let sources = ShotMediaSources(sources: [
            MediaLibrarySource(library: try MediaLibrary(folder: folder)),
            ClipGeneratorSource(video, name: "openai-video", costPerSecondUsd: 0.1, maxSeconds: 4),
            ImageGeneratorSource(ProceduralImageGenerator(), name: "procedural"),
        ])
        let (state, artifacts) = try await paint(sources, root: root, ffmpeg: ffmpeg)
        let media = try #require(state.shotMedia)
        #expect(media.map(\.source) == ["library", "library", "openai-video", "procedural"])
        #expect(media.map(\.kind) == [.still, .clip, .clip, .still])
        #expect(media[0].sourceItem == "lighthouse-storm.png" && media[0].matchScore == 1)
        #expect(media[1].clipFit == .loop)  // a 1 s clip for a 2 s shot
        #expect(media[2].clipFit == .trim && media[2].costUsd == 0.4)  // 4 s reported at 0.10 USD/s
        #expect(media[3].clip == nil && media[3].matchScore == nil)
        // Every shot has a keyframe at the keyframe size: the found still cropped, the clips' poster frames.
        let keyframes = try #require(state.keyframes)
        #expect(keyframes.count == 4)
        for ref in keyframes {
            let image = try ImageDecoder().decode(try await artifacts.data(for: ref))
            #expect(image.pixels.width == 90 && image.pixels.height == 160)
        }
        let clip = try #require(media[2].clip)
        #expect(try await artifacts.data(for: clip) == (try Data(contentsOf: generated)))
        #expect(state.stageRecords.last?.provider == "library>openai-video>procedural")
        #expect(abs((state.stageRecords.last?.costUsd ?? 0) - 0.4) < 1e-9)
    }

    @Test func aSpentBudgetSkipsThePaidSource() async throws {
        let root = try temporaryDirectory("media-budget")
        defer { try? FileManager.default.removeItem(at: root) }
        let ffmpeg = try await FFmpeg.locate()
        let server = try Self.videoServer(clip: Data())
        defer { server.shutdown() }
        let video = OpenAIVideoGenerator(
            configuration: .init(
                baseURL: server.baseURL.appending(path: "v1"), apiKey: "sk-test", pollInterval: .milliseconds(5)))
        let sources = ShotMediaSources(
            sources: [
                ClipGeneratorSource(video, name: "openai-video", costPerSecondUsd: 0.1, maxSeconds: 8),
                ImageGeneratorSource(ProceduralImageGenerator(), name: "procedural"),
            ], budgetUsd: 0.5)
        let (state, _) = try await paint(sources, root: root, ffmpeg: ffmpeg)
        #expect(state.shotMedia?.allSatisfy { $0.source == "procedural" } == true)
        #expect(server.requests.isEmpty, "a paid call went out past the budget")
    }

    @Test func withoutAMediaSectionTheFingerprintAndThePaintedRecordsAreUnchanged() throws {
        let offline = StoryProviders.offline()
        #expect(!offline.fingerprint.contains("media="))
        let record = KeyframeImage(
            shotId: 1, image: ArtifactRef(path: "a.png", sha256: String(repeating: "0", count: 64), byteCount: 1),
            state: ArtifactRef(path: "s.json", sha256: String(repeating: "1", count: 64), byteCount: 1))
        #expect(!String(decoding: try StoryJSON.encode(record), as: UTF8.self).contains("media"))
    }
}
