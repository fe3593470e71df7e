import Crypto
import Foundation
import ProviderKit
import ProviderKitCache
import ProviderKitTesting
import StoryForgeCore
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
        #expect(error?.code == .notFound)
        #expect(error?.message.contains("record it first") == true)

        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(files.count == 2)
        for file in files {
            let text = try String(contentsOf: directory.appending(path: file), encoding: .utf8)
            #expect(!text.contains(Fixtures.secret))
            #expect(text.contains("\"operation\""))
        }
    }

    @Test("a recording's file name is the SHA-256 of its request in canonical JSON, for every kind of request")
    func keysAreCanonical() async throws {
        let directory = FileManager.default.temporaryDirectory.appending(path: "storyforge-key-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try LoopbackHTTPServer { request in
            if request.path.hasSuffix("audio/speech") { return .bytes(Data([1]), contentType: "audio/mpeg") }
            if request.path.hasSuffix("images/generations") { return .json(#"{"data":[{"b64_json":"AA=="}]}"#) }
            return Fixtures.ok()
        }
        defer { server.shutdown() }
        let recorder = Fixtures.provider(server).recording(to: directory, mode: .record, name: "open\"ai/é")
        let chat = ChatRequest(
            model: "m",
            messages: [
                .system("Be \"brief\"\n\tplease"),
                .assistant("", toolCalls: [ToolCall(id: "c", name: "f", arguments: "{}")]),
                .tool("42", callID: "c"), .user("ünïcödé / slash"),
            ],
            temperature: 0.7, maxTokens: 9, stop: ["END"], seed: 3,
            responseFormat: .jsonSchema(name: "s", schema: ["type": "object", "n": 1.5], strict: true),
            tools: [ToolDefinition(name: "f", description: "d")])
        _ = try await recorder.generate(chat)
        _ = try await recorder.synthesize(SpeechRequest(text: "Hi", speed: 1.25))
        _ = try await recorder.generateImages(ImageRequest(prompt: "sea", seed: 1))
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        #expect(files.count == 3)
        for file in files {
            let data = try Data(contentsOf: directory.appending(path: file))
            let request = try #require(try JSONValue(parsing: data)["request"])
            let digest = SHA256.hash(data: Data(request.jsonText.utf8))
            let hex = digest.map { String(format: "%02x", $0) }.joined()
            #expect(file == hex + ".json")
        }
    }
}
