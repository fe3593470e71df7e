import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import QueueKit
import StoryForgeCore
import StoryQueue
import Testing

@testable import StoryServer

/// The REST routes over real loopback HTTP, on a real SQLite queue, with no worker (stories stay queued unless a
/// test finishes them through the queue).
@Suite struct StoryServerRoutesTests {
    @Test func aStoryIsCreatedReadAndListed() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer(tokens: try ServerFixture.tokens) { client in
            let created = try await client.call(
                .post, "/v1/stories", json: #"{"topic": "a lighthouse keeper's last night", "seed": 7}"#)
            #expect(created.status == .accepted)
            let story = try created.decode(StoryCreated.self)
            #expect(story.statusURL == "/v1/stories/\(story.id)")
            #expect(story.eventsURL == "/v1/stories/\(story.id)/events")
            #expect(created.headers[.location] == story.statusURL)
            #expect(created.headers[.contentType] == "application/json")

            let status = try await client.call(.get, story.statusURL)
            #expect(status.status == .ok)
            let decoded = try status.decode(StoryStatus.self)
            #expect(decoded.status == .queued)
            #expect(decoded.topic == "a lighthouse keeper's last night")
            #expect(decoded.fraction == 0)
            #expect(status.text.contains(#""created_at":"#))

            let list = try await client.call(.get, "/v1/stories").decode(StoryPage.self)
            #expect(list.stories.map(\.id) == [story.id])
            #expect(list.nextCursor == nil)

            // The job carries the owner and the settings, checked as a configuration file.
            let record = try #require(try await fixture.queue.job(JobID(rawValue: Int64(story.id) ?? 0)))
            let job = try StoryJob(payload: record.payload)
            #expect(job.owner == "alice")
            #expect(job.story.seed == 7)
        }
    }

    @Test func tokensAreRequiredAndStoriesBelongToTheirToken() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer(tokens: try ServerFixture.tokens) { client in
            let none = try await client.call(.get, "/v1/stories", token: nil)
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate] == "Bearer")
            #expect(none.apiError?.code == "unauthorized")
            let wrong = try await client.call(.get, "/v1/stories", token: "not-a-token-at-all-000000")
            #expect(wrong.status == .unauthorized)
            let basic = try await client.call(
                .get, "/v1/stories", token: nil, headers: [.authorization: "Basic YWxpY2U6eA=="])
            #expect(basic.status == .unauthorized)

            let id = try await client.call(.post, "/v1/stories", json: #"{"topic": "a fox"}"#)
                .decode(StoryCreated.self).id
            let bob = ServerFixture.bobToken
            #expect(try await client.call(.get, "/v1/stories/\(id)", token: bob).status == .notFound)
            #expect(try await client.call(.delete, "/v1/stories/\(id)", token: bob).status == .notFound)
            #expect(try await client.call(.post, "/v1/stories/\(id)/retry", token: bob).status == .notFound)
            #expect(try await client.call(.get, "/v1/stories/\(id)/events", token: bob).status == .notFound)
            #expect(
                try await client.call(.get, "/v1/stories/\(id)/files/manifest.json", token: bob).status == .notFound)
            #expect(try await client.call(.get, "/v1/stories", token: bob).decode(StoryPage.self).stories.isEmpty)
            // A story that does not exist answers exactly as another owner's.
            let missing = try await client.call(.get, "/v1/stories/999999", token: bob)
            #expect(missing.status == .notFound)
            #expect(missing.apiError?.code == "not_found")
            #expect(try await client.call(.get, "/v1/stories/\(id)").status == .ok)

            let query = try await client.call(.get, "/v1/stories?access_token=\(ServerFixture.aliceToken)")
            #expect(query.status == .badRequest)
            #expect(query.apiError?.message.contains("Authorization header") == true)
            #expect(query.apiError?.message.contains(ServerFixture.aliceToken) == false)
            // The health check needs no token.
            let health = try await client.call(.get, "/healthz", token: nil)
            #expect(health.status == .ok)
            #expect(health.text == #"{"status":"ok"}"#)
        }
    }

    @Test func withoutTokensEveryCallerIsLocal() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer(tokens: nil) { client in
            let created = try await client.call(.post, "/v1/stories", token: nil, json: #"{"topic": "a fox"}"#)
            #expect(created.status == .accepted)
            let id = try created.decode(StoryCreated.self).id
            #expect(try await client.call(.get, "/v1/stories/\(id)", token: nil).status == .ok)
        }
    }

    @Test func bodiesAreDecodedStrictly() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer(tokens: try ServerFixture.tokens) { client in
            let cases: [(String, String)] = [
                (#"{"topic": "a fox", "colour": "red"}"#, "colour"),
                (#"{"topic": "a fox", "seed": "seven"}"#, "seed"),
                (#"{"topic": "a fox", "seed": 1.5}"#, "seed"),
                (#"{"topic": "a fox", "seed": -1}"#, "seed"),
                (#"{"topic": "a fox", "target_seconds": "long"}"#, "target_seconds"),
                (#"{"topic": "a fox", "target_seconds": 100000}"#, "target_seconds"),
                (#"{"seed": 3}"#, "topic"),
                (#"{"topic": ""}"#, "topic"),
                (#"{"topic": "a fox", "aspect": "3:7:9"}"#, "aspect"),
                (#"{"topic": "a fox", "language": "not a tag"}"#, "language"),
                (#"{"topic": "a fox", "webhook_url": "ftp://example.com/x"}"#, "webhook_url"),
                (#"{"topic": "a fox", "config": {"routing": {}}}"#, "config.routing"),
                (#"{"topic": "a fox", "config": {"providers": {"text": "openai"}}}"#, "config.providers.text"),
                (#"{"topic": "a fox", "config": {"render": {"fps": "x"}}}"#, "render.fps"),
                (
                    #"{"topic": "a fox", "config": {"pipeline": {"stages": {"assemble": {"parameters": {"music": "/etc/passwd"}}}}}}"#,
                    "music"
                ),
                (#"[1, 2]"#, "JSON object"),
                (#"{"topic": "a fox""#, "not JSON"),
            ]
            for (body, named) in cases {
                let response = try await client.call(.post, "/v1/stories", json: body)
                #expect(response.status == .badRequest, "\(body)")
                #expect(response.apiError?.code == "invalid_request", "\(body)")
                #expect(response.apiError?.message.contains(named) == true, "\(body): \(response.text)")
            }
            // Nothing was queued by any of them.
            #expect(try await fixture.queue.jobs(JobFilter()).isEmpty)
        }
    }

    @Test func aBodyOverTheLimitIsRefused() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer(tokens: try ServerFixture.tokens) { client in
            let large = #"{"topic": ""# + String(repeating: "x", count: 70 * 1024) + #""}"#
            let response = try await client.call(.post, "/v1/stories", json: large)
            #expect(response.status == .contentTooLarge)
            #expect(response.apiError?.code == "payload_too_large")
        }
    }

    @Test func eachTokenHasItsOwnRate() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let configuration = StoryServerRoutes<StoryRequestContext>.Configuration(
            rate: .init(perSecond: 0.001, burst: 2))
        try await fixture.withServer(tokens: try ServerFixture.tokens, configuration: configuration) { client in
            #expect(try await client.call(.get, "/v1/stories").status == .ok)
            #expect(try await client.call(.get, "/v1/stories").status == .ok)
            let limited = try await client.call(.get, "/v1/stories")
            #expect(limited.status == .tooManyRequests)
            #expect(limited.apiError?.code == "rate_limited")
            let wait = try #require(limited.headers[.retryAfter].flatMap { Int($0) })
            #expect((1...1000).contains(wait))
            // Bob's bucket is his own.
            #expect(try await client.call(.get, "/v1/stories", token: ServerFixture.bobToken).status == .ok)
        }
    }

    @Test func theSameIdempotencyKeyGivesTheSameStory() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer(tokens: try ServerFixture.tokens) { client in
            let key: HTTPFields = [HTTPField.Name("Idempotency-Key")!: "4b1d7c52-8f0e-4d0e-9a39-1f1d2f0c6a11"]
            let body = #"{"topic": "a fox"}"#
            let first = try await client.call(.post, "/v1/stories", json: body, headers: key)
                .decode(StoryCreated.self)
            let second = try await client.call(.post, "/v1/stories", json: body, headers: key)
                .decode(StoryCreated.self)
            #expect(first.id == second.id)
            // Another owner's same key is another story.
            let bobs = try await client.call(
                .post, "/v1/stories", token: ServerFixture.bobToken, json: body, headers: key
            ).decode(StoryCreated.self)
            #expect(bobs.id != first.id)
            let unkeyed = try await client.call(.post, "/v1/stories", json: body).decode(StoryCreated.self)
            #expect(unkeyed.id != first.id)
            let long: HTTPFields = [HTTPField.Name("Idempotency-Key")!: String(repeating: "k", count: 300)]
            #expect(try await client.call(.post, "/v1/stories", json: body, headers: long).status == .badRequest)
            // The key's text never reaches the queue: only its hash with the owner.
            let keys = try await fixture.queue.jobs(JobFilter()).compactMap(\.uniqueKey)
            #expect(keys.count == 2)
            #expect(keys.allSatisfy { $0.hasPrefix("story-server:") && !$0.contains("4b1d7c52") })
        }
    }

    @Test func aStoryIsCancelledAndRetried() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer(tokens: try ServerFixture.tokens) { client in
            let id = try await client.call(.post, "/v1/stories", json: #"{"topic": "a fox"}"#)
                .decode(StoryCreated.self).id
            let queuedRetry = try await client.call(.post, "/v1/stories/\(id)/retry")
            #expect(queuedRetry.status == .conflict)
            #expect(queuedRetry.apiError?.code == "conflict")

            let cancelled = try await client.call(.delete, "/v1/stories/\(id)")
            #expect(cancelled.status == .ok)
            let status = try cancelled.decode(StoryStatus.self)
            #expect(status.status == .cancelled)
            #expect(status.finishedAt != nil)

            let retried = try await client.call(.post, "/v1/stories/\(id)/retry")
            #expect(retried.status == .accepted)
            #expect(try retried.decode(StoryStatus.self).status == .queued)
            // The retry is a new attempt of the same job: the same id, so the same pipeline run resumes.
            let claim = try #require(
                try await fixture.queue.claim(kinds: [StoryJob.kind], worker: "test", lease: .seconds(60)))
            #expect(claim.job.id.description == id)
            #expect(try await client.call(.get, "/v1/stories/\(id)").decode(StoryStatus.self).status == .running)
        }
    }

    @Test func aFailedStoryShowsItsErrorAndRetriesFromItsCheckpoint() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer(tokens: try ServerFixture.tokens) { client in
            let id = try await client.call(.post, "/v1/stories", json: #"{"topic": "a fox"}"#)
                .decode(StoryCreated.self).id
            // Two attempts (the service's default), both failed: the story is failed.
            for _ in 0..<2 {
                let claim = try #require(
                    try await fixture.queue.claim(kinds: [StoryJob.kind], worker: "test", lease: .seconds(60)))
                _ = try await fixture.queue.fail(claim.token, error: "qcFailed: the video is silent")
                if try await fixture.queue.job(claim.job.id)?.state == .available {
                    // The fixture's backoff is at most 50 ms.
                    try await Task.sleep(for: .milliseconds(100))
                }
            }
            let failed = try await client.call(.get, "/v1/stories/\(id)").decode(StoryStatus.self)
            #expect(failed.status == .failed)
            #expect(failed.error == StoryStatus.Failure(code: "qc_failed", message: "the video is silent"))
            #expect(failed.attempt == 2)
            let retried = try await client.call(.post, "/v1/stories/\(id)/retry").decode(StoryStatus.self)
            #expect(retried.status == .queued)
            #expect(retried.error == nil)
            let claim = try #require(
                try await fixture.queue.claim(kinds: [StoryJob.kind], worker: "test", lease: .seconds(60)))
            #expect(claim.job.id.description == id)
            #expect(claim.token.attempt == 3)
        }
    }

    @Test func storiesArePagedByCursorAndFilteredByStatus() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer(tokens: try ServerFixture.tokens) { client in
            var ids: [String] = []
            for index in 0..<5 {
                ids.append(
                    try await client.call(.post, "/v1/stories", json: #"{"topic": "story \#(index)"}"#)
                        .decode(StoryCreated.self).id)
                // Bob's stories in between are skipped, not counted.
                _ = try await client.call(
                    .post, "/v1/stories", token: ServerFixture.bobToken, json: #"{"topic": "bob's"}"#)
            }
            _ = try await client.call(.delete, "/v1/stories/\(ids[1])")
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let uri = "/v1/stories?limit=2" + (cursor.map { "&cursor=\($0)" } ?? "")
                let page = try await client.call(.get, uri).decode(StoryPage.self)
                #expect(page.stories.count <= 2)
                seen += page.stories.map(\.id)
                cursor = page.nextCursor
                pages += 1
            } while cursor != nil && pages < 10
            #expect(seen == ids.reversed())
            let cancelled = try await client.call(.get, "/v1/stories?status=cancelled").decode(StoryPage.self)
            #expect(cancelled.stories.map(\.id) == [ids[1]])
            let queued = try await client.call(.get, "/v1/stories?status=queued&limit=500").decode(StoryPage.self)
            #expect(queued.stories.count == 4)
            #expect(try await client.call(.get, "/v1/stories?status=done").status == .badRequest)
            #expect(try await client.call(.get, "/v1/stories?limit=zero").status == .badRequest)
            #expect(try await client.call(.get, "/v1/stories?cursor=abc").status == .badRequest)
        }
    }

    @Test func unknownRoutesAreJSONAndNoCORSHeadersAreSent() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        try await fixture.withServer(tokens: try ServerFixture.tokens) { client in
            let response = try await client.call(
                .get, "/v1/nothing-here", headers: [HTTPField.Name("Origin")!: "https://evil.example"])
            #expect(response.status == .notFound)
            #expect(response.apiError?.code == "not_found")
            let preflight = try await client.call(
                .options, "/v1/stories",
                headers: [
                    HTTPField.Name("Origin")!: "https://evil.example",
                    HTTPField.Name("Access-Control-Request-Method")!: "POST",
                ])
            for answer in [response, preflight] {
                #expect(answer.headers[HTTPField.Name("Access-Control-Allow-Origin")!] == nil)
            }
        }
    }
}
