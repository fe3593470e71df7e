import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import QueueKit
import ServiceLifecycle
import StoryForgeCore
import StoryQueue
import Testing

@testable import StoryServer

/// One real story through the server: POST, the event stream to `done`, the video downloaded and measured by
/// ffprobe. Offline providers (template writer, espeak-ng, procedural pictures) and a small frame keep it to
/// seconds.
@Suite(.serialized) struct StoryServerEndToEndTests {
    /// The request's overrides: a 180×320 frame at 15 fps, 90×160 keyframes.
    static let body = #"""
        {"topic": "a lighthouse keeper's last night", "seed": 3, "target_seconds": 8, "voice": "en-us",
         "config": {"render": {"width": 180, "height": 320, "fps": 15},
                    "pipeline": {"stages": {"keyframes": {"parameters": {"width": 90, "height": 160}}}}}}
        """#

    /// The server's own configuration: the offline providers, which callers cannot change.
    static let base: [String: JSONValue] = [
        "providers": ["text": "template", "speech": "espeak", "images": "procedural"]
    ]

    @Test func aStoryGoesFromPostToADownloadedVideo() async throws {
        let fixture = try ServerFixture(baseConfiguration: Self.base)
        defer { fixture.remove() }
        let runner = StoryJobRunner(store: fixture.store, environment: [:], logger: Logger(label: "test"))
        let worker = JobWorker(
            queue: fixture.queue,
            configuration: .init(kinds: [StoryJob.kind], lease: .seconds(60), pollInterval: .milliseconds(50))
        ) { context in try await runner.run(context) }
        let group = ServiceGroup(configuration: .init(services: [.init(service: worker)], logger: Logger(label: "t")))
        let configuration = StoryServerRoutes<StoryRequestContext>.Configuration(heartbeatInterval: .seconds(1))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            defer { tasks.cancelAll() }
            try await fixture.withServer(tokens: try ServerFixture.tokens, configuration: configuration) { client in
                let created = try await client.call(.post, "/v1/stories", json: Self.body)
                #expect(created.status == .accepted, "\(created.text)")
                let story = try created.decode(StoryCreated.self)

                // A client of its own for the stream: the test client's 20 s limit is for a whole answer, and the
                // story may take longer than that on a busy machine.
                let listener = TestClient(
                    host: "127.0.0.1", port: try #require(client.port), configuration: .init(timeout: .seconds(300)))
                listener.connect()
                let stream = try await listener.get(
                    story.eventsURL, headers: [.authorization: "Bearer \(ServerFixture.aliceToken)"])
                try await listener.shutdown()
                #expect(stream.status == .ok)
                let text = String(decoding: (stream.body ?? ByteBuffer()).readableBytesView, as: UTF8.self)
                let events = parseEventStream(text).events
                let statuses = try events.map { try JSONDecoder.api.decode(StoryStatus.self, from: Data($0.data.utf8)) }
                let final = try #require(statuses.last)
                #expect(events.last?.kind == "done")
                #expect(final.status == .succeeded, "\(final.error?.message ?? "")")
                #expect(statuses.contains { $0.status == .running && $0.stage != nil })
                #expect(statuses.map(\.fraction) == statuses.map(\.fraction).sorted())
                #expect(final.fraction == 1)
                #expect(final.title?.isEmpty == false)

                let video = try #require(final.files.first { $0.name == "video.mp4" })
                #expect(video.contentType == "video/mp4")
                let download = try await client.call(.get, video.url)
                #expect(download.status == .ok)
                let bytes = Data(download.body.readableBytesView)
                #expect(Int64(bytes.count) == video.size)
                #expect(HexDigest.sha256(bytes) == video.sha256)
                let file = fixture.root.appendingPathComponent("downloaded.mp4")
                try bytes.write(to: file)

                let manifest = try await client.call(.get, "/v1/stories/\(story.id)/files/manifest.json")
                let object = try #require(
                    try JSONSerialization.jsonObject(with: Data(manifest.body.readableBytesView)) as? [String: Any])
                let expected = try #require(object["video_duration"] as? Double)
                let measured = try await Self.duration(of: file)
                #expect(abs(measured - expected) <= 0.1, "ffprobe \(measured) s, manifest \(expected) s")
                #expect((4...16).contains(measured), "an ~8 s story is \(measured) s")
            }
            await group.triggerGracefulShutdown()
        }
    }

    /// The container's duration as ffprobe reads it.
    static func duration(of file: URL) async throws -> Double {
        let ffprobe = try #require(Subprocess.find("ffprobe"))
        let result = try await Subprocess.run(
            ffprobe, ["-v", "error", "-show_entries", "format=duration", "-of", "default=nw=1:nk=1", file.path])
        #expect(result.status == 0, "\(result.stderr)")
        let text = String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return try #require(Double(text))
    }
}
