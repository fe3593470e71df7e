import HTTPTypes
public import Hummingbird
import StoryForgeCore

/// The web page: a form that makes a story, the owner's stories with live progress, and a story's video,
/// storyboard and files, all through the REST API under `/v1`.
///
/// It is static files compiled into the module (`index.html` at `/`; `app.js`, `app.css` and an icon under
/// `/app/`): no build step, nothing from another origin, so it works offline. Each answer carries a
/// Content-Security-Policy that allows only this origin's scripts, styles, images, media and API, so a string from
/// the API that slipped into the page as markup still could not run. The page itself needs no token: it asks the
/// person for one (before its first call when ``Configuration/requiresToken``, else on a 401) and keeps it in
/// `sessionStorage`.
///
/// Mount it beside the API routes, outside any authentication middleware:
///
/// ```swift
/// let router = Router()
/// WebPage.addWebRoutes(to: router, configuration: .init(requiresToken: serverHasTokens))
/// ```
///
/// The page calls the API with paths relative to itself (`v1/stories`), so a host may mount it in a group
/// (`WebPage.addWebRoutes(to: router.group("storyforge"))`, served at `/storyforge/`) when the API is mounted in the
/// same group.
public enum WebPage {
    /// The policy every page answer carries: everything from this origin only, nothing inline, no frames, no
    /// plugins. `blob:` for images and media because a token-protected server's keyframes and video are fetched with
    /// the token and shown from blob URLs (a `<video>` or `<img>` cannot send an `Authorization` header).
    public static let contentSecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob:; media-src 'self' blob:; "
        + "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"

    /// What the page is told about the server (as `app/settings.json`).
    public struct Configuration: Sendable, Hashable {
        /// Whether the API asks for a bearer token: the page then asks the person for one before its first call,
        /// instead of learning it from a 401 (which a browser logs as an error).
        public var requiresToken: Bool

        /// Creates a configuration; by default the API needs no token (a loopback server without a tokens file).
        public init(requiresToken: Bool = false) {
            self.requiresToken = requiresToken
        }

        /// `app/settings.json`: `{"requires_token":true}` or `false`.
        var settingsJSON: [UInt8] { Array("{\"requires_token\":\(requiresToken)}\n".utf8) }
    }

    /// One file of the page.
    struct Asset: Sendable {
        /// Its bytes.
        let body: [UInt8]
        /// Its MIME type, with the charset for text.
        let contentType: String
        /// Its strong entity tag: the quoted hex SHA-256 of its bytes.
        let etag: String

        init(_ body: [UInt8], contentType: String) {
            self.body = body
            self.contentType = contentType
            self.etag = "\"" + HexDigest.sha256(body) + "\""
        }
    }

    /// The page's files by their path under `/app/`.
    static let assets: [String: Asset] = [
        "app.js": Asset(PackageResources.app_js, contentType: "text/javascript; charset=utf-8"),
        "app.css": Asset(PackageResources.app_css, contentType: "text/css; charset=utf-8"),
        "icon.svg": Asset(PackageResources.icon_svg, contentType: "image/svg+xml"),
    ]

    /// The page itself, served at `/`.
    static let index = Asset(PackageResources.index_html, contentType: "text/html; charset=utf-8")

    /// Adds `GET /` (the page) and `GET /app/{file}` (its script, style sheet, icon and `settings.json`) to
    /// `router`; any other path under `/app/` answers 404. `HEAD` answers the same headers without a body.
    public static func addWebRoutes<Context: RequestContext>(
        to router: some RouterMethods<Context>, configuration: Configuration = Configuration()
    ) {
        var files = assets
        files["settings.json"] = Asset(configuration.settingsJSON, contentType: "application/json")
        router.get("") { request, _ in page(for: request) }
        router.head("") { request, _ in page(for: request, withBody: false) }
        router.get("app/**") { [files] request, context in response(files, context, for: request) }
        router.head("app/**") { [files] request, context in response(files, context, for: request, withBody: false) }
    }

    /// The page, or a redirect to the same path with a trailing slash (`/storyforge` → `/storyforge/`), since the page
    /// names its files relative to itself.
    static func page(for request: Request, withBody: Bool = true) -> Response {
        let path = request.uri.path
        guard path.hasSuffix("/") else {
            // Relative to the request (its last segment and a slash), never the whole path: `//host/x` as a location
            // would send the browser to another host.
            let last = path.split(separator: "/").last.map(String.init) ?? ""
            var headers = securityHeaders
            headers[.location] = last + "/"
            return Response(status: .permanentRedirect, headers: headers)
        }
        return response(index, for: request, withBody: withBody)
    }

    /// The file of `files` the `**` of the route names, or 404: only names in the table, so nothing is read from
    /// disk and no path is joined.
    static func response(
        _ files: [String: Asset], _ context: some RequestContext, for request: Request, withBody: Bool = true
    ) -> Response {
        let name = context.parameters.getCatchAll().joined(separator: "/")
        guard let asset = files[name] else {
            var headers = securityHeaders
            headers[.contentType] = "text/plain; charset=utf-8"
            headers[.cacheControl] = "no-store"
            return Response(
                status: .notFound, headers: headers,
                body: withBody
                    ? ResponseBody(byteBuffer: ByteBuffer(string: "No such file of the page.\n")) : ResponseBody())
        }
        return response(asset, for: request, withBody: withBody)
    }

    /// `asset` with its type, tag and the security headers; `304` when the request's `If-None-Match` names the tag.
    static func response(_ asset: Asset, for request: Request, withBody: Bool = true) -> Response {
        var headers = securityHeaders
        headers[.contentType] = asset.contentType
        headers[.eTag] = asset.etag
        // Revalidated on every load (a 304 costs one round trip), so a new server version's page is never mixed
        // with an old cached script.
        headers[.cacheControl] = "no-cache"
        if let tags = request.headers[.ifNoneMatch], matches(tags, asset.etag) {
            return Response(status: .notModified, headers: headers)
        }
        headers[.contentLength] = String(asset.body.count)
        guard withBody else { return Response(status: .ok, headers: headers) }
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: asset.body)))
    }

    /// Whether an `If-None-Match` value (`*`, or tags separated by commas, possibly weak) names `etag`.
    static func matches(_ tags: String, _ etag: String) -> Bool {
        tags.split(separator: ",").contains { tag in
            let tag = tag.trimmingWhitespace()
            return tag == "*" || tag == etag || tag == "W/" + etag
        }
    }

    /// The headers of every answer of the page's routes.
    static var securityHeaders: HTTPFields {
        var headers = HTTPFields()
        headers[.contentSecurityPolicy] = contentSecurityPolicy
        // No MIME sniffing: a file is only ever what its Content-Type says.
        headers[.xContentTypeOptions] = "nosniff"
        // No story id or topic in a Referer sent anywhere. (The names HTTPTypes does not define are spelled here,
        // valid tokens, so `init` cannot fail.)
        headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
        // For browsers that predate `frame-ancestors`.
        headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        // The page's window shares no browsing context group with a page of another origin that opened it.
        headers[HTTPField.Name("Cross-Origin-Opener-Policy")!] = "same-origin"
        return headers
    }
}

extension Substring {
    /// The substring without leading and trailing spaces and tabs (the whitespace HTTP allows in lists).
    fileprivate func trimmingWhitespace() -> Substring {
        var text = self
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" { text.removeLast() }
        return text
    }
}
