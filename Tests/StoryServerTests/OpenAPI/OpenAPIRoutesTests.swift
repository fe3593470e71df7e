import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Prometheus
import Testing

@testable import StoryServer

/// The document against the server as `story-server` assembles it: the same routes both ways, and real answers of
/// each operation conform to the statuses and schemas documented for it.
@Suite struct OpenAPIRoutesTests {
    /// The router of `story-server` (Examples/story-server): the story routes, `/metrics`, `/openapi.json`.
    private static func router(_ fixture: ServerFixture) -> Router<StoryRequestContext> {
        let router = Router(context: StoryRequestContext.self)
        let registry = PrometheusCollectorRegistry()
        let metrics = ServerMetrics(factory: PrometheusMetricsFactory(registry: registry))
        router.add(middleware: RequestMetricsMiddleware(metrics: metrics))
        let service = fixture.service
        StoryServerRoutes<StoryRequestContext>(
            service: service, tokens: nil, healthCheck: { try await service.checkHealth() }
        ).add(to: router)
        PrometheusEndpoint(registry: registry, metrics: metrics, storyCounts: { try await service.countsByState() })
            .addRoutes(to: router)
        StoryServerOpenAPI.addRoutes(to: router)
        return router
    }

    /// `GET /v1/stories/{id}` for each documented path and method; the files route's `{name}` is the router's `**`
    /// (a name may hold slashes: `keyframes/01.png`).
    private static func documentedOperations(_ checker: OpenAPISchemaChecker) -> Set<String> {
        let paths = checker.document["paths"] as? [String: [String: Any]] ?? [:]
        var found = Set<String>()
        for (path, item) in paths {
            for method in ["get", "post", "put", "patch", "delete"] where item[method] != nil {
                found.insert("\(method.uppercased()) \(path.replacingOccurrences(of: "{name}", with: "**"))")
            }
        }
        return found
    }

    @Test func everyRouteIsDocumentedAndEveryDocumentedOperationIsARoute() throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let routes = Set(Self.router(fixture).routes.map { "\($0.method.rawValue) \($0.path)" })
        let documented = Self.documentedOperations(try OpenAPISchemaChecker(json: StoryServerOpenAPI.json))
        #expect(routes.subtracting(documented).isEmpty, "routes the document lacks: \(routes.subtracting(documented))")
        #expect(documented.subtracting(routes).isEmpty, "documented, not routed: \(documented.subtracting(routes))")
        #expect(routes.count >= 10)
    }

    /// One real answer per operation and status; each status must be documented for its operation, and a JSON body
    /// must conform to the documented schema.
    @Test func realAnswersConformToTheirDocumentedStatusAndSchema() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let app = Application(router: Self.router(fixture))
        try await app.test(.router) { client in
            // Made here: the checker holds Foundation's untyped JSON, which is not Sendable.
            let checker = try OpenAPISchemaChecker(json: StoryServerOpenAPI.json)
            func check(
                _ method: HTTPRequest.Method, _ uri: String, path: String, json: String? = nil,
                headers: HTTPFields = [:], expect status: Int
            ) async throws -> TestResponse {
                var fields = headers
                if json != nil { fields[.contentType] = "application/json" }
                let response = try await client.execute(
                    uri: uri, method: method, headers: fields, body: json.map { ByteBuffer(string: $0) })
                #expect(response.status.code == status, "\(method) \(uri): \(String(buffer: response.body))")
                let operation = try #require(
                    (checker.document["paths"] as? [String: [String: Any]])?[path]?[method.rawValue.lowercased()]
                        as? [String: Any], "\(method) \(path) is not documented")
                let responses = try #require(operation["responses"] as? [String: Any])
                let documented = try #require(
                    responses[String(status)] as? [String: Any], "\(method) \(path) does not document \(status)")
                var answer = documented
                if let reference = documented["$ref"] as? String { answer = checker.resolve(reference) ?? [:] }
                let content = answer["content"] as? [String: [String: Any]] ?? [:]
                if let type = response.headers[.contentType], type.hasPrefix("application/json") {
                    let schema = try #require(content["application/json"]?["schema"] as? [String: Any], "\(path)")
                    let value = try JSONSerialization.jsonObject(
                        with: Data(response.body.readableBytesView), options: [.fragmentsAllowed])
                    #expect(checker.problems(value, against: schema) == [], "\(method) \(uri) \(status)")
                } else if !content.isEmpty {
                    let type = response.headers[.contentType] ?? "none"
                    #expect(
                        content.keys.contains { $0 == "*/*" || type.hasPrefix($0) },
                        "\(method) \(uri): \(type) is not among \(content.keys)")
                }
                return response
            }
            let stories = "/v1/stories"
            let one = "/v1/stories/{id}"
            _ = try await check(.get, "/healthz", path: "/healthz", expect: 200)
            _ = try await check(.get, "/openapi.json", path: "/openapi.json", expect: 200)
            let answer = try await check(
                .post, stories, path: stories, json: #"{"topic": "a lighthouse"}"#, expect: 202)
            let created = try answer.json(StoryCreated.self)
            _ = try await check(.post, stories, path: stories, json: #"{"topic": "x", "colour": 1}"#, expect: 400)
            _ = try await check(.post, stories, path: stories, json: "{", expect: 400)
            _ = try await check(.get, stories, path: stories, expect: 200)
            _ = try await check(.get, "\(stories)?status=paused", path: stories, expect: 400)
            _ = try await check(.get, "\(stories)/\(created.id)", path: one, expect: 200)
            _ = try await check(.get, "\(stories)/999999", path: one, expect: 404)
            _ = try await check(.post, "\(stories)/\(created.id)/retry", path: "\(one)/retry", expect: 409)
            _ = try await check(.delete, "\(stories)/\(created.id)", path: one, expect: 200)
            _ = try await check(.post, "\(stories)/\(created.id)/retry", path: "\(one)/retry", expect: 202)
            // A finished story: its events end with done, its files download whole and in part.
            try await fixture.finish(created.id, files: ["video.mp4": Data(repeating: 7, count: 1000)])
            let done = try await check(.get, "\(stories)/\(created.id)", path: one, expect: 200)
            #expect(try done.json(StoryStatus.self).files.count == 2)
            let events = try await check(.get, "\(stories)/\(created.id)/events", path: "\(one)/events", expect: 200)
            #expect(String(buffer: events.body).contains("event: done"))
            let files = "\(one)/files/{name}"
            _ = try await check(.get, "\(stories)/\(created.id)/files/video.mp4", path: files, expect: 200)
            _ = try await check(
                .get, "\(stories)/\(created.id)/files/video.mp4", path: files, headers: [.range: "bytes=0-9"],
                expect: 206)
            _ = try await check(.get, "\(stories)/\(created.id)/files/..%2f..%2fetc%2fpasswd", path: files, expect: 404)
            let metrics = try await check(.get, "/metrics", path: "/metrics", expect: 200)
            #expect(String(buffer: metrics.body).contains(#"storyforge_stories{state="succeeded"} 1"#))
        }
    }
}

extension TestResponse {
    /// The body decoded as the API's JSON.
    fileprivate func json<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder.api.decode(type, from: Data(body.readableBytesView))
    }
}
