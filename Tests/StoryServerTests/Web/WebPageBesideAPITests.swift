import Foundation
import Hummingbird
import HummingbirdTesting
import StoryForgeCore
import Testing

@testable import StoryServer

/// The page mounted as `story-server` mounts it: beside the REST routes and their error middleware, on a server with
/// tokens. The page's own files need none; the API still does.
@Suite struct WebPageBesideAPITests {
    @Test func pageNeedsNoTokenWhileTheAPIDoes() async throws {
        let fixture = try ServerFixture()
        defer { fixture.remove() }
        let router = Router(context: StoryRequestContext.self)
        StoryServerRoutes<StoryRequestContext>(service: fixture.service, tokens: try ServerFixture.tokens)
            .add(to: router)
        WebPage.addWebRoutes(to: router, configuration: .init(requiresToken: true))
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            @Sendable func get(_ uri: String, token: String? = nil) async throws -> TestResponse {
                var headers = HTTPFields()
                if let token { headers[.authorization] = "Bearer \(token)" }
                return try await client.execute(uri: uri, method: .get, headers: headers)
            }
            let page = try await get("/")
            #expect(page.status == .ok)
            #expect(page.headers[.contentSecurityPolicy] == WebPage.contentSecurityPolicy)
            let settings = try await get("/app/settings.json")
            #expect(String(buffer: settings.body) == #"{"requires_token":true}"# + "\n")
            #expect(try await get("/app/app.js").status == .ok)
            #expect(try await get("/v1/stories").status == .unauthorized)
            #expect(try await get("/v1/stories", token: ServerFixture.aliceToken).status == .ok)
            // The page's own 404 is not the API's JSON error: nothing under /app/ is an API route.
            let missing = try await get("/app/v1/stories")
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentType] == "text/plain; charset=utf-8")
            // A token sent with a page request is not needed and changes nothing.
            #expect(try await get("/", token: ServerFixture.aliceToken).status == .ok)
        }
    }
}
