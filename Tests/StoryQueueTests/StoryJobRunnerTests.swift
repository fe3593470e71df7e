import Foundation
import Logging
import PipelineKit
import QueueKit
import ServiceLifecycle
import StoryPipeline
import StoryQueue
import Testing

/// A real offline story (template writer, espeak-ng, procedural pictures, ffmpeg) run as a queue job by a
/// `JobWorker`, at a small frame size so that it takes seconds.
@Suite(.serialized) struct StoryJobRunnerTests {
    static func configurationText() throws -> String {
        let configuration = StoryConfiguration(
            story: .init(seed: 3, targetSeconds: 10),
            providers: .offline,
            render: .init(width: 360, height: 640, fps: 30),
            pipeline: PipelineConfiguration(
                stages: [
                    "keyframes": StageConfiguration(
                        parameters: StageParameters(["width": .number(180), "height": .number(320)]))
                ]))
        return String(decoding: try configuration.jsonData(), as: UTF8.self)
    }

    @Test func aStoryJobRunsOnTheFencedStoreAndListsItsExportedFiles() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("storyqueue-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let store = root.appendingPathComponent("store")
        _ = try SharedStore.check(store)
        let queue = try SQLiteJobQueue(path: root.appendingPathComponent("queue.sqlite").path)
        let job = try StoryJob(
            story: .init(topic: "a lighthouse keeper's last night"),
            configuration: .contents(try Self.configurationText(), yaml: false))
        let id = try await queue.enqueue(try job.newJob(uniqueKey: "lighthouse")).job.id

        let runner = StoryJobRunner(store: store, environment: [:], logger: Logger(label: "test"))
        let worker = JobWorker(
            queue: queue,
            configuration: .init(kinds: [StoryJob.kind], lease: .seconds(10), pollInterval: .milliseconds(50))
        ) { context in try await runner.run(context) }
        let group = ServiceGroup(configuration: .init(services: [.init(service: worker)], logger: Logger(label: "test")))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let deadline = ContinuousClock.now + .seconds(120)
            while ContinuousClock.now < deadline, try await !(queue.job(id)?.state.isFinal ?? true) {
                try await Task.sleep(for: .milliseconds(50))
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }

        let record = try #require(try await queue.job(id))
        #expect(record.state == .succeeded, "\(record.lastError ?? "")")
        let result = try JSONDecoder().decode(StoryJobResult.self, from: try #require(record.result))
        #expect(result.runID == "job-\(id)")
        #expect(result.outputDirectory == StoryJobRunner.exportDirectory(store: store, job: id).path)
        for file in ["video.mp4", "voice.wav", "subtitles.srt", "manifest.json"] {
            #expect(result.files.contains(file))
            #expect(FileManager.default.fileExists(atPath: "\(result.outputDirectory)/\(file)"), "\(file)")
        }
        // The run's checkpoints are in the queue's file, under the job's run id, and the progress named a stage.
        #expect(try await queue.checkpointStore.run(RunID("job-\(id)"))?.status == .succeeded)
        #expect(String(decoding: record.progress ?? Data(), as: UTF8.self).contains(#""stage":"#))
    }
}
