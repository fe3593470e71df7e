import Foundation
import Hummingbird
import HummingbirdTesting
import StoryForgeCore
import Testing

@testable import StoryServer

/// The page's routes over real HTTP on loopback (HummingbirdTesting's live framework), and static checks of the
/// page's own files that a browser would only show as a console error.
@Suite struct WebPageTests {
    /// An application serving only the page.
    static func application() -> some ApplicationProtocol {
        let router = Router()
        WebPage.addWebRoutes(to: router)
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    static func text(_ buffer: ByteBuffer) -> String { String(buffer: buffer) }

    @Test func pageIsHTMLWithARestrictivePolicy() async throws {
        try await Self.application().test(.live) { client in
            let response = try await client.execute(uri: "/", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/html; charset=utf-8")
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
            #expect(response.headers[.init("Referrer-Policy")!] == "no-referrer")
            let policy = try #require(response.headers[.contentSecurityPolicy])
            #expect(policy == WebPage.contentSecurityPolicy)
            let directives = Dictionary(
                uniqueKeysWithValues: policy.split(separator: ";").map { directive in
                    let parts = directive.split(separator: " ").map(String.init)
                    return (parts[0], Set(parts.dropFirst()))
                })
            #expect(directives["default-src"] == ["'none'"])
            #expect(directives["script-src"] == ["'self'"])
            #expect(directives["style-src"] == ["'self'"])
            #expect(directives["connect-src"] == ["'self'"])
            #expect(directives["frame-ancestors"] == ["'none'"])
            #expect(!policy.contains("unsafe"))
            #expect(!policy.contains("*"))
            let body = Self.text(response.body)
            #expect(body.hasPrefix("<!doctype html>"))
            #expect(body.contains(#"<script src="app/app.js" defer></script>"#))
        }
    }

    @Test(arguments: [
        ("/app/app.js", "text/javascript; charset=utf-8"),
        ("/app/app.css", "text/css; charset=utf-8"),
        ("/app/icon.svg", "image/svg+xml"),
    ])
    func assetIsServedWithItsTypeAndTag(path: String, contentType: String) async throws {
        try await Self.application().test(.live) { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == contentType)
            #expect(response.headers[.contentSecurityPolicy] == WebPage.contentSecurityPolicy)
            #expect(response.headers[.xContentTypeOptions] == "nosniff")
            #expect(response.headers[.cacheControl] == "no-cache")
            let bytes = Array(buffer: response.body)
            #expect(!bytes.isEmpty)
            #expect(response.headers[.contentLength] == String(bytes.count))
            #expect(response.headers[.eTag] == "\"" + HexDigest.sha256(bytes) + "\"")
        }
    }

    @Test(arguments: [
        "/app/", "/app/nope.js", "/app/APP.JS", "/app/app.js/more", "/app/sub/app.js", "/app/index.html",
        "/app/..%2Fapp.js", "/app/%2e%2e/Package.swift", "/app/app.js%00", "/app/../../Package.swift",
    ])
    func unknownAppPathIsNotFound(path: String) async throws {
        try await Self.application().test(.live) { client in
            let response = try await client.execute(uri: path, method: .get)
            #expect(response.status == .notFound)
            #expect(!Self.text(response.body).contains("function"))
        }
    }

    @Test func namedAssetThatIsNotAFileOfThePageIsNotFoundWithThePolicy() async throws {
        try await Self.application().test(.live) { client in
            let response = try await client.execute(uri: "/app/secrets.json", method: .get)
            #expect(response.status == .notFound)
            #expect(response.headers[.contentSecurityPolicy] == WebPage.contentSecurityPolicy)
            #expect(response.headers[.contentType] == "text/plain; charset=utf-8")
        }
    }

    @Test(arguments: [false, true])
    func settingsTellWhetherTheAPINeedsAToken(requiresToken: Bool) async throws {
        let router = Router()
        WebPage.addWebRoutes(to: router, configuration: .init(requiresToken: requiresToken))
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let response = try await client.execute(uri: "/app/settings.json", method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            let settings = try JSONSerialization.jsonObject(with: Data(Array(buffer: response.body))) as? [String: Any]
            #expect(settings?["requires_token"] as? Bool == requiresToken)
            #expect(settings?.count == 1)
        }
    }

    @Test func matchingTagAnswersNotModified() async throws {
        try await Self.application().test(.live) { client in
            let first = try await client.execute(uri: "/app/app.js", method: .get)
            let tag = try #require(first.headers[.eTag])
            let again = try await client.execute(uri: "/app/app.js", method: .get, headers: [.ifNoneMatch: tag])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
            let list = try await client.execute(
                uri: "/app/app.js", method: .get, headers: [.ifNoneMatch: #""0000", W/\#(tag)"#])
            #expect(list.status == .notModified)
            let other = try await client.execute(uri: "/app/app.js", method: .get, headers: [.ifNoneMatch: #""0000""#])
            #expect(other.status == .ok)
            #expect(other.body.readableBytes > 0)
        }
    }

    @Test func headAnswersTheHeadersWithoutABody() async throws {
        try await Self.application().test(.live) { client in
            let response = try await client.execute(uri: "/app/app.css", method: .head)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/css; charset=utf-8")
            #expect(response.headers[.contentLength] == String(PackageResources.app_css.count))
            #expect(response.body.readableBytes == 0)
        }
    }

    @Test func pageMountsInAGroup() async throws {
        let router = Router()
        WebPage.addWebRoutes(to: router.group("storyforge"))
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let bare = try await client.execute(uri: "/storyforge", method: .get)
            #expect(bare.status == .permanentRedirect)
            #expect(bare.headers[.location] == "storyforge/")
            #expect(try await client.execute(uri: "/storyforge/", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/storyforge/app/app.js", method: .get).status == .ok)
            #expect(try await client.execute(uri: "/app/app.js", method: .get).status == .notFound)
        }
    }

    // MARK: the page's own files

    static let html = String(decoding: PackageResources.index_html, as: UTF8.self)
    static let script = String(decoding: PackageResources.app_js, as: UTF8.self)

    /// Every value of `attribute="…"` in `text`.
    static func values(of attribute: String, in text: String) throws -> [String] {
        let pattern = try Regex("\\b\(attribute)=\"([^\"]*)\"")
        return text.matches(of: pattern).compactMap { match in
            match.output[1].substring.map(String.init)
        }
    }

    @Test func pageLoadsOnlyItsOwnFiles() throws {
        let references = try Self.values(of: "src", in: Self.html) + Self.values(of: "href", in: Self.html)
        let files = references.filter { !$0.hasPrefix("#") }
        #expect(!files.isEmpty)
        for file in files {
            // Relative to the page, so it works mounted under a prefix, and one of the files served.
            #expect(file.hasPrefix("app/"), "\(file)")
            #expect(WebPage.assets[String(file.dropFirst(4))] != nil, "\(file)")
        }
    }

    @Test func pageHasNothingInlineThatThePolicyBlocks() throws {
        // `script-src 'self'` and `style-src 'self'` refuse inline scripts, handlers and styles: each would be a
        // console error and a dead feature.
        #expect(try Self.values(of: "style", in: Self.html).isEmpty)
        #expect(!Self.html.contains("<style"))
        #expect(Self.html.matches(of: /<script(?![^>]*\bsrc=)/).isEmpty)
        #expect(Self.html.matches(of: /\son[a-z]+=/).isEmpty)
        #expect(Self.html.matches(of: /href="javascript:/).isEmpty)
    }

    @Test func scriptNeverWritesMarkup() {
        // Strings from the API reach the page as text only: no HTML parser is ever handed a string.
        for sink in ["innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "new Function"] {
            #expect(!Self.script.contains(sink), "\(sink)")
        }
        #expect(!Self.script.contains("setAttribute(\"style\""))
        #expect(!Self.script.contains(".style."))
    }

    @Test func everyElementTheScriptLooksUpIsOnThePage() throws {
        let ids = Set(try Self.values(of: "id", in: Self.html))
        let lookups = Self.script.matches(of: /\$\("([a-z-]+)"\)/).map { String($0.output.1) }
        #expect(lookups.count > 20)
        for id in lookups { #expect(ids.contains(id), "\(id)") }
        // The views the router shows and hides.
        for id in ["token-view", "home-view", "story-view"] { #expect(ids.contains(id)) }
    }

    @Test func everyFormControlHasALabel() throws {
        let labelled = Set(try Self.values(of: "for", in: Self.html))
        let controls = Self.html.matches(of: /<(input|select|textarea)\b[^>]*\bid="([^"]+)"/).map {
            String($0.output.2)
        }
        #expect(controls.count >= 6)
        for id in controls { #expect(labelled.contains(id), "\(id)") }
    }
}
