import Foundation
import HTTPTypes
import ProviderKit
import QueueKit
import StoryQueue
import Testing

@testable import StoryServer

/// The built `story-server` killed with SIGKILL mid-story and started again on the same store: the queue's lease
/// gives the story to the new process, which resumes it from its last checkpoint; the story ends once (one job,
/// one export, succeeded), and its event stream, reconnected with `Last-Event-ID`, continues where it was cut
/// without repeating an event.
///
/// A 3 s lease (`--lease-seconds 3`) is how soon the restarted server may take the killed one's claim; the story is
/// the end-to-end test's small one (offline providers, a 180×320 frame), so the whole test is a few seconds of
/// rendering on an idle machine.
@Suite(.serialized) struct RestartTests {
    @Test func aKilledServerFinishesTheStoryOnceAndItsStreamResumesWithoutRepeats() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("storyserver-restart-\(UUID())")
        let store = root.appendingPathComponent("store")
        try FileManager.default.createDirectory(at: store, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let arguments = ["--port", "0", "--store", store.path, "--workers", "1", "--lease-seconds", "3", "--rate", "0"]

        var (server, output, _) = try StoryServerCommandTests.start(arguments)
        defer { if server.isRunning { kill(server.processIdentifier, SIGKILL) } }
        var port = try #require(StoryServerCommandTests.port(from: output))
        let created = try await Self.call(.post, port: port, "/v1/stories", body: StoryServerEndToEndTests.body)
        #expect(created.status.code == 202)
        let story = try JSONDecoder.api.decode(StoryCreated.self, from: created.body)

        // Follow the stream until a stage has committed (fraction > 0), then kill the server under it.
        var before: [ParsedEvent] = []
        do {
            let url = try #require(URL(string: "http://127.0.0.1:\(port)\(story.eventsURL)"))
            let stream = try await DefaultHTTPTransport().stream(
                ProviderKit.HTTPRequest(url: url, timeouts: HTTPTimeouts(firstByte: .seconds(60), idle: .seconds(60))))
            var text = ""
            for try await chunk in stream.body {
                text += String(decoding: chunk, as: UTF8.self)
                // Only whole events: a chunk may end inside one.
                let whole = String(
                    text[..<(text.range(of: "\n\n", options: .backwards)?.upperBound ?? text.startIndex)])
                before = parseEventStream(whole).events
                let statuses = try before.map { try JSONDecoder.api.decode(StoryStatus.self, from: Data($0.data.utf8)) }
                if statuses.contains(where: { $0.status == .running && $0.fraction > 0 }) { break }
                #expect(statuses.allSatisfy { !$0.status.isFinal }, "the story ended before it could be killed")
            }
        }
        let lastSeen = try #require(before.last?.id)
        kill(server.processIdentifier, SIGKILL)
        server.waitUntilExit()
        #expect(server.terminationReason == .uncaughtSignal)

        (server, output, _) = try StoryServerCommandTests.start(arguments)
        port = try #require(StoryServerCommandTests.port(from: output))
        let url = try #require(URL(string: "http://127.0.0.1:\(port)\(story.eventsURL)"))
        let resumed = try await DefaultHTTPTransport().send(
            ProviderKit.HTTPRequest(
                url: url, headers: [HTTPField.Name("Last-Event-ID")!: String(lastSeen)],
                timeouts: HTTPTimeouts(firstByte: .seconds(60), idle: .seconds(60), total: .seconds(600))))
        let after = parseEventStream(String(decoding: resumed.body, as: UTF8.self)).events
        let ids = after.compactMap(\.id)
        #expect(ids.count == after.count && !ids.isEmpty)
        #expect(ids.allSatisfy { $0 > lastSeen }, "resumed after \(lastSeen): \(ids)")
        #expect(ids == ids.sorted() && Set(ids).count == ids.count, "\(ids)")
        #expect(Set(ids).isDisjoint(with: before.compactMap(\.id)))
        let statuses = try after.map { try JSONDecoder.api.decode(StoryStatus.self, from: Data($0.data.utf8)) }
        let final = try #require(statuses.last)
        #expect(after.last?.kind == "done")
        #expect(final.status == .succeeded, "\(final.error?.message ?? "")")
        #expect(final.attempt == 2, "one attempt killed, one that finished")
        #expect(final.files.contains { $0.name == "video.mp4" })

        // Once: one story in the list, one job in the queue, one export.
        let list = try await Self.call(.get, port: port, "/v1/stories")
        #expect(try JSONDecoder.api.decode(StoryPage.self, from: list.body).stories.map(\.id) == [story.id])
        kill(server.processIdentifier, SIGTERM)
        server.waitUntilExit()
        let queue = try SQLiteJobQueue(path: store.appendingPathComponent("queue.sqlite").path)
        let jobs = try await queue.jobs(JobFilter(kind: StoryJob.kind))
        #expect(jobs.map(\.id.description) == [story.id])
        #expect(jobs.first?.state == .succeeded)
        let exports = try FileManager.default.contentsOfDirectory(atPath: store.appendingPathComponent("exports").path)
        #expect(exports.filter { $0.hasPrefix("job-") } == ["job-\(story.id)"])
    }

    private static func call(
        _ method: ProviderKit.HTTPMethod, port: Int, _ path: String, body: String? = nil
    ) async throws -> ProviderKit.HTTPResponse {
        let url = try #require(URL(string: "http://127.0.0.1:\(port)\(path)"))
        var headers = HTTPFields()
        if body != nil { headers[.contentType] = "application/json" }
        return try await DefaultHTTPTransport().send(
            ProviderKit.HTTPRequest(method: method, url: url, headers: headers, body: body.map { Data($0.utf8) }))
    }
}
