import Foundation
import StoryForgeTestSupport
import Testing

/// `story-queue` and `story-worker` over PostgreSQL, as a user runs them: enqueue twice with one unique key, a worker
/// process runs the story to its exports, the status lists the files, SIGTERM stops the worker cleanly.
@Suite(.enabled(if: PostgresTestDatabase.enabled, PostgresTestDatabase.skipMessage), .serialized)
struct StoryCommandsOverPostgresTests {
    @Test func aStoryEnqueuedWithStoryQueueIsRunByStoryWorkerToItsExports() async throws {
        let url = try #require(PostgresTestDatabase.urlText, "CI=true but STORYFORGE_POSTGRES_URL is not set")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pg-story-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        // A short, small story: the test is about the queue, not the video.
        let config = directory.appendingPathComponent("config.json")
        try Data(
            #"""
            { "story": { "target_seconds": 6, "seed": 5 }, "render": { "aspect": "256x456" },
              "pipeline": { "stages": { "upscale": { "enabled": false } } } }
            """#.utf8
        ).write(to: config)
        let key = "pg-\(UUID().uuidString)"
        let topic = "a lighthouse keeper's last night"
        let first = try run(
            "story-queue",
            [
                "enqueue", "--queue", url, "--topic", topic, "--config", config.path,
                "--unique-key", key,
            ])
        let again = try run("story-queue", ["enqueue", "--queue", url, "--topic", topic, "--unique-key", key])
        #expect(first.status == 0 && again.status == 0, "\(first.output)\(again.output)")
        let id = try #require(first.output.split(separator: " ").dropFirst(2).first.map(String.init))
        #expect(first.output.hasPrefix("enqueued job \(id)"), "\(first.output)")
        #expect(again.output.hasPrefix("exists   job \(id)"), "the unique key returns the same job: \(again.output)")

        let store = directory.appendingPathComponent("store")
        let log = directory.appendingPathComponent("worker.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let worker = Process()
        worker.executableURL = try PackageExecutable.url("story-worker")
        worker.arguments = ["--queue", url, "--store", store.path, "--poll", "1", "--shutdown-seconds", "5"]
        let handle = try FileHandle(forWritingTo: log)
        worker.standardOutput = handle
        worker.standardError = handle
        try worker.run()
        defer { if worker.isRunning { worker.terminate() } }

        var status = ""
        let deadline = ContinuousClock.now + .seconds(300)
        while ContinuousClock.now < deadline {
            status = try run("story-queue", ["status", "--queue", url, id]).output
            if status.contains(": succeeded") || status.contains(": dead") || !worker.isRunning { break }
            try await Task.sleep(for: .seconds(1))
        }
        let workerLog = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(status.hasPrefix("job \(id): succeeded"), "\(status)\n\(workerLog)")
        let exports = store.appendingPathComponent("exports/job-\(id)")
        #expect(status.contains("video.mp4") && status.contains("manifest.json"), "\(status)")
        #expect(FileManager.default.fileExists(atPath: exports.appendingPathComponent("video.mp4").path))

        worker.terminate()  // SIGTERM: stop claiming, nothing running, exit 0
        worker.waitUntilExit()
        #expect(worker.terminationReason == .exit && worker.terminationStatus == 0, "\(workerLog)")
    }

    /// Runs one of the package's executables to its end; its standard output and error together.
    private func run(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = try PackageExecutable.url(name)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }
}
