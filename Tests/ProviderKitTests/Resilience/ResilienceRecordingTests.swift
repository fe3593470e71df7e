import Foundation
import ProviderKit
import ProviderKitTestServer
import Testing

/// Record and replay through files.
@Suite("Resilience: record and replay")
struct ResilienceRecordingTests {
    typealias Fixtures = ResilienceFixtures

    @Test("answers recorded once replay offline, streams as streams, with no secret in the files")
    func recordThenReplay() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "storyforge-rec-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try LoopbackHTTPServer { request in
            request.bodyText.contains("\"stream\":true") ? Fixtures.completeStream : Fixtures.ok("recorded")
        }
        let recorder = Fixtures.provider(server).recording(to: directory, mode: .record, name: "openai")
        let original = try await recorder.generate(Fixtures.request)
        var streamed: [ChatStreamPart] = []
        for try await part in recorder.stream(Fixtures.request) { streamed.append(part) }
        #expect(server.requests.count == 2)
        server.shutdown()

        // The server is gone: replay must not need it.
        let replay = Fixtures.provider(server).recording(to: directory, mode: .replay, name: "openai")
        let replayed = try await replay.generate(Fixtures.request)
        #expect(replayed.text == original.text)
        #expect(replayed.usage == original.usage)
        var replayedParts: [ChatStreamPart] = []
        for try await part in replay.stream(Fixtures.request) { replayedParts.append(part) }
        #expect(replayedParts == streamed)

        let error = await #expect(throws: ProviderError.self) {
            try await replay.generate(ChatRequest(messages: [.user("never recorded")]))
        }
        #expect(error == .notFound)
        #expect(error?.message.contains("record it first") == true)

        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(files.count == 2)
        for file in files {
            let text = try String(contentsOf: directory.appending(path: file), encoding: .utf8)
            #expect(!text.contains(Fixtures.secret))
            #expect(text.contains("\"operation\""))
        }
    }
}
