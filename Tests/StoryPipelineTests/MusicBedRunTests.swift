import Foundation
import MediaIO
import PipelineKit
import StoryForgeCore
import StoryModels
import Testing

@testable import StoryPipeline

/// `stages.assemble.parameters.music: synth`: a short offline run with the synthesized bed under the voice passes
/// the quality gate (loudness and true peak included), and the bed follows the voice's length and the seed.
@Suite(.serialized) struct MusicBedRunTests {
    @Test func anOfflineRunWithTheSynthesizedBedPassesTheQualityGate() async throws {
        let root = try temporaryDirectory("musicbed-run")
        defer { try? FileManager.default.removeItem(at: root) }
        let configuration = StoryConfiguration(
            story: .init(topic: "a lighthouse keeper's last night", seed: 3, targetSeconds: 10),
            providers: .offline,
            render: .init(width: 360, height: 640, fps: 30),
            pipeline: PipelineConfiguration(
                stages: [
                    "keyframes": StageConfiguration(
                        parameters: StageParameters(["width": .number(180), "height": .number(320)])),
                    "assemble": StageConfiguration(
                        parameters: StageParameters(["music": .string(AssembleVideo.synthesizedMusic)])),
                ]))
        let (studio, _) = try await StoryStudio.make(
            store: root.appendingPathComponent("store"), configuration: configuration, environment: [:])
        let output = root.appendingPathComponent("out")
        let result = try await studio.run(studio.request(), runID: "bed", exportTo: output)
        let qc = try StoryJSON.decode(QCSummary.self, from: Data(contentsOf: output.appendingPathComponent("qc.json")))
        #expect(qc.passed, "\(qc.failures)")
        for check in qc.checks
        where check.name.lowercased().contains("loud") || check.name.lowercased().contains("peak") {
            print("music bed run QC \(check.name): \(check.measured.map { "\($0)" } ?? "-") (\(check.message))")
        }
        let assemble = try #require(result.manifest.stages.first { $0.stage == "assemble" })
        #expect(assemble.model.contains("music bed: "), "\(assemble.model)")
        let ffmpeg = try await FFmpeg.locate()
        let probe = try await ffmpeg.probe(output.appendingPathComponent("video.mp4"))
        let voice = try #require(result.state.voice)
        #expect(abs((probe.duration ?? 0) - voice.duration) < 0.2)
    }

    @Test func theBedIsTheVoicesLengthAndABadLengthIsAnError() throws {
        let directory = try temporaryDirectory("musicbed-stage")
        defer { try? FileManager.default.removeItem(at: directory) }
        let bed = try AssembleVideo.synthesizeMusicBed(seconds: 1.25, moods: ["tense"], seed: 8, in: directory)
        let audio = try WAV.read(from: bed.url)
        #expect(audio.frameCount == 60_000 && audio.sampleRate == 48_000 && audio.channelCount == 2)
        #expect(bed.style.mode == .minor)
        for seconds in [0, -3, Double.nan, Double.infinity] {
            #expect {
                _ = try AssembleVideo.synthesizeMusicBed(seconds: seconds, moods: [], seed: 0, in: directory)
            } throws: { error in
                (error as? StoryPipelineError)?.message.contains("music bed") == true
            }
        }
    }
}
