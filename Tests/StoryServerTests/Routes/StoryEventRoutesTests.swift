import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import QueueKit
import StoryQueue
import Testing

@testable import StoryServer

/// One parsed Server-Sent Event.
struct ParsedEvent: Equatable {
    var id: Int?
    var kind: String?
    var data: String
}

/// Parses a whole event stream (RFC: fields `id`, `event`, `data`; comments start with `:`).
func parseEventStream(_ text: String) -> (events: [ParsedEvent], comments: Int, retry: Int?) {
    var events: [ParsedEvent] = []
    var comments = 0
    var retry: Int?
    for block in text.components(separatedBy: "\n\n") where !block.isEmpty {
        var event = ParsedEvent(data: "")
        var isEvent = false
        for line in block.split(separator: "\n") {
            if line.hasPrefix(":") {
                comments += 1
            } else if line.hasPrefix("id: ") {
                event.id = Int(line.dropFirst(4))
                isEvent = true
            } else if line.hasPrefix("event: ") {
                event.kind = String(line.dropFirst(7))
            } else if line.hasPrefix("data: ") {
                event.data += line.dropFirst(6)
            } else if line.hasPrefix("retry: ") {
                retry = Int(line.dropFirst(7))
            }
        }
        if isEvent { events.append(event) }
    }
    return (events, comments, retry)
}

/// `GET /v1/stories/{id}/events` over real HTTP, while the test moves the job through the queue as a worker would.
@Suite struct StoryEventRoutesTests {
    @Test func eventsFollowTheJobAndEndAfterTheFinalState() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let configuration = StoryServerRoutes<StoryRequestContext>.Configuration(heartbeatInterval: .milliseconds(50))
        try await fixture.withServer(tokens: try ServerFixture.tokens, configuration: configuration) { client in
            let id = try await client.call(.post, "/v1/stories", json: #"{"topic": "a fox"}"#)
                .decode(StoryCreated.self).id
            let queue = fixture.queue
            let stream = try await withThrowingTaskGroup(of: Answer?.self) { group in
                group.addTask {
                    // A worker's steps, slower than the stream's poll so that each one is seen.
                    let claim = try #require(
                        try await queue.claim(kinds: [StoryJob.kind], worker: "test", lease: .seconds(60)))
                    try await Task.sleep(for: .milliseconds(150))
                    for (index, stage) in ["ideas", "script", "voice"].enumerated() {
                        let progress = #"{"stage":"\#(stage)","index":\#(index),"count":4,"started_at":1764700000}"#
                        try await queue.reportProgress(Data(progress.utf8), for: claim.token)
                        try await Task.sleep(for: .milliseconds(150))
                    }
                    try await fixture.finish(id, files: [:], claim: claim)
                    return nil
                }
                group.addTask { try await client.call(.get, "/v1/stories/\(id)/events") }
                var stream: Answer?
                for try await response in group where response != nil { stream = response }
                return try #require(stream)
            }
            #expect(stream.status == .ok)
            #expect(stream.headers[.contentType] == "text/event-stream")
            let parsed = parseEventStream(stream.text)
            #expect(parsed.retry == 2000)
            #expect(parsed.comments >= 1, "heartbeats while idle")
            let ids = parsed.events.compactMap(\.id)
            #expect(ids == ids.sorted() && Set(ids).count == ids.count, "\(ids)")
            #expect(parsed.events.last?.kind == "done")
            #expect(parsed.events.dropLast().allSatisfy { $0.kind == "progress" })
            let statuses = try parsed.events.map {
                try JSONDecoder.api.decode(StoryStatus.self, from: Data($0.data.utf8))
            }
            #expect(statuses.first?.status == .queued || statuses.first?.status == .running)
            #expect(statuses.last?.status == .succeeded)
            #expect(statuses.compactMap(\.stage) == ["ideas", "script", "voice"])
            #expect(statuses.map(\.fraction) == statuses.map(\.fraction).sorted())
            #expect(statuses.contains { $0.fraction == 0.5 && $0.stage == "voice" })
            #expect(statuses.first { $0.stage == "ideas" }?.startedAt == Date(timeIntervalSince1970: 1_764_700_000))

            // Resuming after an event sends only what came after it; after the final one, nothing.
            let middle = try #require(parsed.events.first { $0.data.contains("\"script\"") }?.id)
            let resumed = try await client.call(
                .get, "/v1/stories/\(id)/events", headers: [HTTPField.Name("Last-Event-ID")!: String(middle)])
            let later = parseEventStream(resumed.text).events
            #expect(later.allSatisfy { ($0.id ?? 0) > middle })
            #expect(later.last?.kind == "done")
            #expect(!later.contains { $0.data.contains("\"script\"") })
            let last = try #require(ids.last)
            let after = try await client.call(
                .get, "/v1/stories/\(id)/events", headers: [HTTPField.Name("Last-Event-ID")!: String(last)])
            #expect(parseEventStream(after.text).events.isEmpty)
            let bad = try await client.call(
                .get, "/v1/stories/\(id)/events", headers: [HTTPField.Name("Last-Event-ID")!: "yesterday"])
            #expect(bad.status == .badRequest)
        }
    }

    @Test func aClientThatGoesAwayClosesItsStream() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let configuration = StoryServerRoutes<StoryRequestContext>.Configuration(heartbeatInterval: .milliseconds(50))
        try await fixture.withRoutes(tokens: try ServerFixture.tokens, configuration: configuration) { client, routes in
            let id = try await client.call(.post, "/v1/stories", json: #"{"topic": "a fox"}"#)
                .decode(StoryCreated.self).id
            let port = try #require(client.port)
            // Three clients follow the queued story (it never finishes here), then hang up.
            var listeners: [TestClient] = []
            for _ in 0..<3 {
                let listener = TestClient(host: "127.0.0.1", port: port)
                listener.connect()
                try await listener.executeAndDontWaitForResponse(
                    .init(
                        "/v1/stories/\(id)/events", method: .get, authority: "localhost",
                        headers: [.authorization: "Bearer \(ServerFixture.aliceToken)"]))
                listeners.append(listener)
            }
            #expect(try await Self.waitUntil { routes.openEventStreams == 3 })
            for listener in listeners { try await listener.shutdown() }
            #expect(try await Self.waitUntil { routes.openEventStreams == 0 }, "\(routes.openEventStreams) left open")
        }
    }

    /// Polls `condition` for up to 5 s.
    static func waitUntil(_ condition: () -> Bool) async throws -> Bool {
        for _ in 0..<250 {
            if condition() { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return condition()
    }

    @Test func eventIdsComeFromTheRecordAlone() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let enqueued = try await fixture.queue.enqueue(
            try StoryJob(story: .init(topic: "a fox"), owner: "alice").newJob())
        let queued = try #require(try await fixture.queue.job(enqueued.job.id))
        // The same record, read again (as after a restart), has the same id.
        #expect(StoryRecordMapping.eventID(of: queued) == StoryRecordMapping.eventID(of: enqueued.job))
        let claim = try #require(
            try await fixture.queue.claim(kinds: [StoryJob.kind], worker: "test", lease: .seconds(60)))
        var previous = StoryRecordMapping.eventID(of: queued)
        for index in 0..<3 {
            try await Task.sleep(for: .milliseconds(2))
            try await fixture.queue.reportProgress(
                Data(#"{"stage":"s","index":\#(index),"count":3}"#.utf8), for: claim.token)
            let id = StoryRecordMapping.eventID(of: try #require(try await fixture.queue.job(claim.job.id)))
            #expect(id > previous)
            previous = id
        }
        _ = try await fixture.queue.cancel(claim.job.id)
        try await fixture.queue.acknowledgeCancel(claim.token)
        let cancelled = try #require(try await fixture.queue.job(claim.job.id))
        #expect(StoryRecordMapping.eventID(of: cancelled) > previous)
        // Below 2^53, so that a browser's EventSource and JSON numbers keep it exact.
        #expect(StoryRecordMapping.eventID(of: cancelled) < 1 << 53)
    }
}

extension JSONDecoder {
    /// The API's decoder: ISO 8601 dates.
    static var api: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }
}
