import Foundation
import ProviderKit
import ProviderKitTesting
import StoryServer
import Synchronization
import Testing

/// Deliveries to a real HTTP receiver on loopback (so the policy here allows private addresses, except where the
/// test is that the default refuses them).
@Suite struct WebhookSenderTests {
    private let secret: WebhookSecret
    private let status = StoryStatus(
        id: "story-1", status: .succeeded, topic: "a lighthouse", title: "The Keeper", fraction: 1, attempt: 1,
        createdAt: Date(timeIntervalSince1970: 1_700_000_000), finishedAt: Date(timeIntervalSince1970: 1_700_000_090),
        files: [
            .init(
                name: "video.mp4", size: 1234, sha256: String(repeating: "a", count: 64), contentType: "video/mp4",
                url: "/v1/stories/story-1/files/video.mp4")
        ])

    init() throws { secret = try WebhookSecret("test-secret-0123456789") }

    private func sender(allowPrivate: Bool = true, timeout: Duration = .seconds(10)) -> WebhookSender {
        WebhookSender(
            secret: secret,
            configuration: .init(policy: WebhookTargetPolicy(allowPrivateAddresses: allowPrivate), timeout: timeout))
    }

    @Test func postsTheSignedStatusJSON() async throws {
        let receiver = try LoopbackHTTPServer { _ in .json("{}") }
        defer { receiver.shutdown() }
        let delivery = try WebhookDelivery(status: status, url: "\(receiver.baseURL)/hooks/story?token=abc")
        let code = try await sender().deliver(delivery)
        #expect(code == 200)
        let request = try #require(receiver.requests.first)
        #expect(receiver.requests.count == 1)
        #expect(request.method == "POST")
        #expect(request.path == "/hooks/story?token=abc")
        #expect(request.header("Content-Type") == "application/json")
        #expect(request.header(WebhookSender.eventHeader) == "story.succeeded")
        #expect(request.header(WebhookSender.storyHeader) == "story-1")
        #expect(
            WebhookSignature.verify(
                header: request.header(WebhookSignature.headerName), body: request.body, secret: secret))
        // The body is the story's status as the API writes it (snake_case, ISO 8601).
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        #expect(try decoder.decode(StoryStatus.self, from: request.body) == status)
        #expect(request.bodyText.contains(#""finished_at":"2023-11-14T22:14:50Z""#))
    }

    @Test func aServerErrorOrARedirectIsAFailedAttemptAndTheRedirectIsNotFollowed() async throws {
        let receiver = try LoopbackHTTPServer { request in
            request.path == "/moved"
                ? .init(status: 302, headers: [("Location", "/elsewhere")]) : .json(#"{"error":"boom"}"#, status: 500)
        }
        defer { receiver.shutdown() }
        await #expect(throws: StoryServerError.unavailable("")) {
            try await sender().deliver(try WebhookDelivery(status: status, url: "\(receiver.baseURL)/hook"))
        }
        await #expect(throws: StoryServerError.unavailable("")) {
            try await sender().deliver(try WebhookDelivery(status: status, url: "\(receiver.baseURL)/moved"))
        }
        #expect(receiver.requests.map(\.path) == ["/hook", "/moved"])
    }

    @Test func aReceiverThatDoesNotAnswerTimesOut() async throws {
        let receiver = try LoopbackHTTPServer { _ in .init(status: 200, delayBeforeHead: .seconds(5)) }
        defer { receiver.shutdown() }
        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: StoryServerError.unavailable("")) {
            try await sender(timeout: .milliseconds(300))
                .deliver(try WebhookDelivery(status: status, url: "\(receiver.baseURL)/slow"))
        }
        // Well under the receiver's 5 s: the timeout, not the answer, ended it.
        #expect(clock.now - start < .seconds(4))
    }

    @Test func theDefaultPolicyRefusesALoopbackReceiverWithoutConnecting() async throws {
        let receiver = try LoopbackHTTPServer { _ in .json("{}") }
        defer { receiver.shutdown() }
        await #expect(throws: StoryServerError.invalidRequest("")) {
            try await sender(allowPrivate: false)
                .deliver(try WebhookDelivery(status: status, url: "\(receiver.baseURL)/hook"))
        }
        #expect(receiver.requests.isEmpty)
    }

    @Test func onlyFinalStatesHaveWebhooks() {
        var running = status
        running.status = .running
        #expect(throws: StoryServerError.invalidRequest("")) {
            try WebhookDelivery(status: running, url: "https://x.test")
        }
    }

    /// The transport connects to the pinned address whatever the name resolves to (here: nothing, `.invalid`), and
    /// the request still names the host: what lets a delivery use the address the policy checked.
    @Test func thePinnedAddressIsWhereTheConnectionGoes() async throws {
        let receiver = try LoopbackHTTPServer { _ in .json("{}") }
        defer { receiver.shutdown() }
        let url = try #require(URL(string: "http://hooks.example.invalid:\(receiver.port)/pinned"))
        let response = try await DefaultHTTPTransport().send(
            HTTPRequest(method: .post, url: url, body: Data("{}".utf8), pinnedAddress: "127.0.0.1"))
        #expect(response.status.code == 200)
        #expect(receiver.requests.first?.header("Host") == "hooks.example.invalid:\(receiver.port)")
        await #expect(throws: ProviderError.self) {
            try await DefaultHTTPTransport().send(HTTPRequest(url: url, pinnedAddress: "not-an-address"))
        }
    }
}
