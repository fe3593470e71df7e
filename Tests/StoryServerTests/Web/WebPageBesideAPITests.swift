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
            let page = try await client.call(.get, "/", token: nil)
            #expect(page.status == .ok)
            #expect(page.headers[.contentSecurityPolicy] == WebPage.contentSecurityPolicy)
            let settings = try await client.call(.get, "/app/settings.json", token: nil)
            #expect(settings.text == #"{"requires_token":true}"# + "\n")
            #expect(try await client.call(.get, "/app/app.js", token: nil).status == .ok)
            #expect(try await client.call(.get, "/v1/stories", token: nil).status == .unauthorized)
            #expect(try await client.call(.get, "/v1/stories").status == .ok)
            // The page's own 404 is not the API's JSON error: nothing under /app/ is an API route.
            let missing = try await client.call(.get, "/app/v1/stories", token: nil)
            #expect(missing.status == .notFound)
            #expect(missing.headers[.contentType] == "text/plain; charset=utf-8")
            // A token sent with a page request is not needed and changes nothing.
            #expect(try await client.call(.get, "/").status == .ok)
        }
    }
}
