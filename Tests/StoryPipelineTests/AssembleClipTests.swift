import Foundation
import MediaIO
import PipelineKit
import StoryModels
import Testing

@testable import StoryPipeline

/// Points shots at clips, as the media sources do: shot 1 at a "user" clip (with its sound kept), shot 2 at a
/// "generated" one; shot 0 stays the painted still.
struct UseTestClips: StoryStage {
    static let id: StageID = "test-clips"
    static let version = 1
    let userClip: URL
    let generatedClip: URL

    func run(_ state: inout StoryState, parameters: NoStageParameters, context: StageContext) async throws
        -> StoryStageReport?
    {
        let shots = try state.required(\.shotlist).shots
        let user = try await context.artifacts.put(try Data(contentsOf: userClip), fileExtension: "mkv")
        let generated = try await context.artifacts.put(try Data(contentsOf: generatedClip), fileExtension: "mp4")
        state.shotMedia = shots.enumerated().map { index, shot in
            switch index {
            case 1:
                ShotMedia(
                    shotID: shot.id, kind: .clip, source: "user", clip: user, clipAudio: true, sourceItem: "mine.mkv")
            case 2: ShotMedia(shotID: shot.id, kind: .clip, source: "comfyui", clip: generated)
            default: ShotMedia(shotID: shot.id, kind: .still, source: "procedural")
            }
        }
        return StoryStageReport(provider: "test", model: "clips")
    }
}

@Suite(.serialized) struct AssembleClipTests {
    @Test func aStoryMixingAStillAUserClipAndAGeneratedClipPassesTheGate() async throws {
        let root = try temporaryDirectory("assemble-clips")
        defer { try? FileManager.default.removeItem(at: root) }
        let ffmpeg = try await FFmpeg.locate()
        // A user's clip: odd-sized (331×187), variable frame rate, with a 1 kHz tone; a generated one: 1.5 s, silent.
        let userClip = root.appendingPathComponent("mine.mkv")
        let generatedClip = root.appendingPathComponent("generated.mp4")
        try await ffmpeg.run([
            "-f", "lavfi", "-i", "testsrc2=size=332x188:rate=30:duration=4", "-f", "lavfi", "-i",
            "sine=frequency=1000:sample_rate=48000:duration=4", "-vf",
            "format=yuv444p,scale=331:187,setpts='if(gte(N\\,20)\\,N+9\\,N)/(30*TB)'", "-fps_mode", "passthrough",
            "-c:v", "ffv1", "-c:a", "pcm_s16le", "-shortest", "-y", userClip.path,
        ])
        try await ffmpeg.run([
            "-f", "lavfi", "-i", "mandelbrot=size=256x256:rate=30", "-t", "1.5", "-c:v", "libx264", "-preset",
            "ultrafast", "-pix_fmt", "yuv420p", "-y", generatedClip.path,
        ])
        var configuration = OfflineRunTests.configuration()
        // Shorter shots, so that the 10 s story has a still and two clips.
        configuration.pipeline.stages["shots"] = StageConfiguration(
            parameters: StageParameters([
                "min_seconds": .number(1.5), "max_seconds": .number(4), "preferred_seconds": .number(3),
            ]))
        let studio = try await StoryStudio.make(
            store: root.appendingPathComponent("store"), configuration: configuration, providers: .offline()
        ) { services in
            try StoryStudio.defaultPipeline(services: services).inserting(
                UseTestClips(userClip: userClip, generatedClip: generatedClip), after: UpscaleKeyframes.self)
        }
        let result = try await studio.run(studio.request(), exportTo: root.appendingPathComponent("out"))
        let state = result.state
        let shots = try #require(state.shotlist?.shots)
        try #require(shots.count >= 3, "the offline plan has \(shots.count) shots")
        let qc = try #require(state.qc)
        #expect(qc.passed, "\(qc.failures)")
        #expect(qc.checks.first { $0.name == "avSync" }?.passed == true)
        // The fit each clip got is in its record; the still's record has none.
        let media = try #require(state.shotMedia)
        #expect(media[0].clipFit == nil)
        #expect(media[1].clipFit != nil)
        #expect(media[2].clipFit == (shots[2].duration > 3 ? .loop : .slow))
        #expect(state.heldStretches != nil)
        let assemble = state.stageRecords.first { $0.stage == AssembleVideo.id.rawValue }
        #expect(assemble?.model.contains("clips: ") == true, "\(assemble?.model ?? "")")
        let probe = try await ffmpeg.probe(root.appendingPathComponent("out/video.mp4"))
        #expect(abs((probe.video?.duration ?? 0) - (state.videoDuration ?? -1)) < 0.05)
    }
}
