import Foundation
import MediaIO
import PipelineKit
import PipelineKitTesting
import StoryForgeCore
import StoryModels
import Testing

@testable import StoryPipeline

/// The whole offline run, for real: template writer, espeak-ng, procedural pictures, UpscaleKit, ffmpeg.
/// A short story at a small frame size keeps it to seconds.
@Suite(.serialized) struct OfflineRunTests {
    static func configuration() -> StoryConfiguration {
        StoryConfiguration(
            story: .init(topic: "a lighthouse keeper's last night", seed: 3, targetSeconds: 10),
            providers: .offline,
            render: .init(width: 360, height: 640, fps: 30),
            pipeline: PipelineConfiguration(
                stages: [
                    "keyframes": StageConfiguration(
                        parameters: StageParameters(["width": .number(180), "height": .number(320)]))
                ]))
    }

    @Test func theOfflineRunMakesAVideoThatPassesTheQualityGateAndARerunComesFromTheCache() async throws {
        let root = try temporaryDirectory("offline")
        defer { try? FileManager.default.removeItem(at: root) }
        let store = root.appendingPathComponent("store")
        let events = RecordingEventSink()
        let (studio, notes) = try await StoryStudio.make(
            store: store, configuration: Self.configuration(), environment: [:], eventSinks: [events])
        #expect(notes.contains { $0.contains("template writer") })
        #expect(studio.services.providers.isOffline)

        let output = root.appendingPathComponent("out")
        let request = studio.request()
        let result = try await studio.run(request, runID: "first", exportTo: output)

        // The files, and the manifest's hashes of them.
        let manifest = try StoryJSON.decode(
            ExportManifest.self, from: Data(contentsOf: output.appendingPathComponent("manifest.json")))
        #expect(manifest.files == result.manifest.files)
        #expect(manifest.title == result.manifest.title)
        let paths = Set(manifest.files.map(\.path))
        for expected in [
            "video.mp4", "voice.wav", "subtitles.srt", "subtitles.ass", "script.md", "qc.json", "keyframes/001.png",
        ] {
            #expect(paths.contains(expected), "missing \(expected)")
        }
        for file in manifest.files {
            let data = try Data(contentsOf: output.appendingPathComponent(file.path))
            #expect(data.count == file.bytes)
            #expect(HexDigest.sha256(data) == file.sha256, "\(file.path) does not match its hash")
        }
        let hidden = try FileManager.default.contentsOfDirectory(atPath: output.path).filter { $0.hasPrefix(".") }
        #expect(hidden.isEmpty, "staging left behind: \(hidden)")

        // The quality gate passed, and the video is what the configuration asked for.
        let qc = try StoryJSON.decode(
            QCSummary.self, from: Data(contentsOf: output.appendingPathComponent("qc.json")))
        #expect(qc.passed, "\(qc.failures)")
        let ffmpeg = try await FFmpeg.locate()
        let probe = try await ffmpeg.probe(output.appendingPathComponent("video.mp4"))
        #expect(probe.video?.width == 360 && probe.video?.height == 640)
        let voice = try #require(result.state.voice)
        #expect(abs((probe.duration ?? 0) - voice.duration) < 0.2)
        #expect((5...20).contains(voice.duration))

        // The story hangs together: shots cover the voice, subtitles cover the words.
        let shots = try #require(result.state.shotlist)
        #expect(shots.validate(voiceDuration: voice.duration).isEmpty)
        #expect(manifest.files.filter { $0.path.hasPrefix("keyframes/") }.count == shots.shots.count)
        let srt = SRT.parse(try String(contentsOf: output.appendingPathComponent("subtitles.srt"), encoding: .utf8))
        #expect(!srt.cues.isEmpty)
        #expect(abs((srt.cues.last?.end ?? 0) - (result.state.words?.last?.end ?? 0)) < 0.6)
        let script = try #require(result.state.script)
        #expect(script.versions.map(\.kind).starts(with: [.generated, .revisedForSpeech]))
        #expect(!script.current.text.contains { $0.isNumber })
        #expect(manifest.stages.map(\.stage).contains("voice"))
        // 180×320 keyframes to 360×640 is exactly ×2: the learned model does it.
        #expect(manifest.stages.first { $0.stage == "upscale" }?.model == "learned")
        #expect(manifest.stages.first { $0.stage == "script" }?.model.contains("not a language model") == true)

        // The library knows the run and its files.
        let library = try #require(studio.services.library)
        let runs = try await library.runs()
        #expect(runs.first { $0.id == "first" }?.status == .succeeded)
        #expect(try await library.assets(ofRun: "first").count == manifest.files.count + 0)
        #expect(try await library.knownTitles().contains(StoryLibrary.normalizedTitle(result.state.idea!.title)))

        // A second run of the same request, into a new directory, reuses every stage.
        let before = events.events.count
        let again = root.appendingPathComponent("again")
        let clock = ContinuousClock()
        let start = clock.now
        let rerun = try await studio.run(request, runID: "second", exportTo: again)
        let elapsed = clock.now - start
        let rerunEvents = events.events.dropFirst(before)
        let hits = rerunEvents.filter { $0.kind == .cacheHit }.count
        let started = rerunEvents.compactMap { event -> String? in
            event.kind == .stageStarted ? event.stage?.rawValue : nil
        }
        // A fan-out always starts, then takes every child from the cache.
        #expect(
            started.allSatisfy { $0 == PaintKeyframe.id.rawValue }, "stages ran again on an identical rerun: \(started)"
        )
        #expect(hits >= studio.pipeline().stages.count - 1)
        // Every file but storyboard.json, which names its run (as manifest.json does).
        let named = { (files: [ExportManifest.File]) in files.filter { $0.path != "storyboard.json" }.map(\.sha256) }
        #expect(named(rerun.manifest.files) == named(manifest.files))
        #expect(rerun.manifest.files.map(\.path) == manifest.files.map(\.path))
        #expect(elapsed < .seconds(30))
    }

    @Test func aDisabledStageIsSkippedAndTheRunStillExports() async throws {
        let root = try temporaryDirectory("disabled")
        defer { try? FileManager.default.removeItem(at: root) }
        var configuration = Self.configuration()
        configuration.pipeline.stages["upscale"] = StageConfiguration(enabled: false)
        configuration.pipeline.stages["qc"] = StageConfiguration(
            parameters: StageParameters(["warn_only": .bool(true)]))
        configuration.story.seed = 11
        let (studio, _) = try await StoryStudio.make(
            store: root.appendingPathComponent("store"), configuration: configuration, environment: [:])
        let result = try await studio.run(studio.request(), exportTo: root.appendingPathComponent("out"))
        #expect(result.state.upscaledKeyframes == nil)
        #expect(result.state.qc != nil)
        #expect(FileManager.default.fileExists(atPath: root.appendingPathComponent("out/video.mp4").path))
    }
}
