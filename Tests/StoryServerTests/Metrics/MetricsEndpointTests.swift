import Foundation
import Hummingbird
import HummingbirdTesting
import Metrics
import Prometheus
import ProviderKit
import StoryServer
import Testing

/// `GET /metrics` and the request middleware on a live Hummingbird server, with a registry of the test's own (no
/// process-wide bootstrap, so tests stay independent).
@Suite struct MetricsEndpointTests {
    private static func application(
        registry: PrometheusCollectorRegistry,
        storyCounts: (@Sendable () async throws -> [StoryStatus.State: Int])? = nil
    ) -> some ApplicationProtocol {
        let metrics = ServerMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let router = Router()
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        router.get("/v1/stories/{id}") { _, context in
            guard context.parameters.get("id") == "known" else { throw HTTPError(.notFound) }
            return "{}"
        }
        // An endless event stream, a comment every 20 ms: it ends only when its client goes away.
        router.get("/v1/stories/{id}/events") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/event-stream"],
                body: ResponseBody { writer in
                    while true {
                        try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                        try await Task.sleep(for: .milliseconds(20))
                    }
                })
        }
        PrometheusEndpoint(registry: registry, metrics: metrics, storyCounts: storyCounts).addRoutes(to: router)
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    /// The value of the sample whose line starts with `prefix` (name and labels), or `nil`.
    private static func sample(_ text: String, _ prefix: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(prefix + " ") {
            return Double(line.dropFirst(prefix.count + 1))
        }
        return nil
    }

    private static func scrape(_ client: some TestClientProtocol) async throws -> String {
        try await client.execute(uri: "/metrics", method: .get) { response in
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == PrometheusEndpoint.contentType)
            return String(buffer: response.body)
        }
    }

    @Test func countsRequestsByRoutePatternNotByPath() async throws {
        let registry = PrometheusCollectorRegistry()
        try await Self.application(registry: registry).test(.router) { client in
            for _ in 0..<3 { try await client.execute(uri: "/v1/stories/known", method: .get) { _ in } }
            try await client.execute(uri: "/v1/stories/other", method: .get) { #expect($0.status == .notFound) }
            try await client.execute(uri: "/no/such/route/\(UUID())", method: .get) { _ in }
            let text = try await Self.scrape(client)
            #expect(
                Self.sample(
                    text, #"storyforge_http_requests_total{route="/v1/stories/{id}",method="GET",status="200"}"#)
                    == 3)
            #expect(
                Self.sample(
                    text, #"storyforge_http_requests_total{route="/v1/stories/{id}",method="GET",status="404"}"#)
                    == 1)
            #expect(
                Self.sample(text, #"storyforge_http_requests_total{route="NotFound",method="GET",status="404"}"#) == 1)
            #expect(!text.contains("/v1/stories/known"))
            #expect(
                Self.sample(
                    text,
                    #"storyforge_http_request_duration_seconds_count{route="/v1/stories/{id}",method="GET",status="200"}"#
                ) == 3)
        }
    }

    @Test func storiesByStateAreReadAtEachScrape() async throws {
        let registry = PrometheusCollectorRegistry()
        let app = Self.application(registry: registry) { [.queued: 2, .running: 1, .succeeded: 7] }
        try await app.test(.router) { client in
            let text = try await Self.scrape(client)
            #expect(Self.sample(text, #"storyforge_stories{state="queued"}"#) == 2)
            #expect(Self.sample(text, #"storyforge_stories{state="running"}"#) == 1)
            #expect(Self.sample(text, #"storyforge_stories{state="succeeded"}"#) == 7)
            #expect(Self.sample(text, #"storyforge_stories{state="failed"}"#) == 0)
            #expect(Self.sample(text, #"storyforge_stories{state="cancelled"}"#) == 0)
        }
    }

    /// A real client (libcurl) holds an event stream open, then drops it mid-stream: the gauge goes 0 → 1 → 0, so
    /// the stream's resources were freed when its client went.
    @Test func anOpenEventStreamCountsUntilItsClientGoesAway() async throws {
        let registry = PrometheusCollectorRegistry()
        try await Self.application(registry: registry).test(.live) { client in
            let port = try #require(client.port)
            let url = try #require(URL(string: "http://127.0.0.1:\(port)/v1/stories/known/events"))
            #expect(Self.sample(try await Self.scrape(client), "storyforge_sse_clients") ?? 0 == 0)
            do {
                let stream = try await DefaultHTTPTransport().stream(ProviderKit.HTTPRequest(url: url))
                var chunks = stream.body.makeAsyncIterator()
                _ = try await chunks.next()
                #expect(Self.sample(try await Self.scrape(client), "storyforge_sse_clients") == 1)
            }
            // The stream is gone (libcurl closed the connection); the server notices at its next write.
            let deadline = ContinuousClock.now + .seconds(10)
            var open = 1.0
            while ContinuousClock.now < deadline {
                open = Self.sample(try await Self.scrape(client), "storyforge_sse_clients") ?? -1
                if open == 0 { break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(open == 0)
        }
    }
}
