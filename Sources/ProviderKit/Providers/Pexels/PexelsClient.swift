public import Foundation
import HTTPTypes
public import Logging
import StoryForgeCore

/// One photo or video found by a stock search, with what attribution needs.
public struct StockMedia: Sendable, Hashable {
    /// A photo or a video.
    public enum Kind: String, Sendable, Hashable {
        /// A still photo.
        case photo
        /// A video clip.
        case video
    }

    /// The source's id.
    public var id: String
    /// A photo or a video.
    public var kind: Kind
    /// The file's width in pixels (the chosen rendition's).
    public var width: Int
    /// The file's height in pixels.
    public var height: Int
    /// The media's page at the source, for attribution.
    public var pageURL: String
    /// The photographer's or videographer's name.
    public var author: String
    /// Their page at the source.
    public var authorURL: String?
    /// The file to download (the rendition picked for the size asked).
    public var downloadURL: URL
    /// A video's length in seconds.
    public var seconds: Double?

    /// Creates a record.
    public init(
        id: String, kind: Kind, width: Int, height: Int, pageURL: String, author: String, authorURL: String?,
        downloadURL: URL, seconds: Double? = nil
    ) {
        self.id = id
        self.kind = kind
        self.width = width
        self.height = height
        self.pageURL = pageURL
        self.author = author
        self.authorURL = authorURL
        self.downloadURL = downloadURL
        self.seconds = seconds
    }
}

/// Pexels' API: photo and video search by keywords, with the photographer and page for attribution.
///
/// The key comes from the environment (`PEXELS_API_KEY`) and goes only into the `Authorization` header of API
/// calls, never into downloads, logs or errors. The client honours Pexels' rate limit: it reads `X-Ratelimit-Remaining`
/// and `X-Ratelimit-Reset` (a UNIX time) of every answer, waits for the reset before a call when none is left (up to
/// ``Configuration/maxRateLimitWait``), and after a 429 waits and tries once more; longer waits are a
/// ``ProviderError/rateLimited(_:retryAfter:statusCode:)`` error carrying the wait.
public struct PexelsClient: Provider {
    /// Where the API is and its limits.
    public struct Configuration: Sendable {
        /// The API root (`https://api.pexels.com`); photos under `/v1/search`, videos under `/videos/search`.
        public var baseURL: URL
        /// The API key; never logged or shown.
        public var apiKey: String?
        /// Results asked per search (Pexels allows up to 80).
        public var perPage: Int
        /// The longest wait for a rate-limit reset before giving up with a rate-limit error.
        public var maxRateLimitWait: Duration
        /// The largest file downloaded, in bytes.
        public var maxDownloadBytes: Int
        /// Time limits of each request.
        public var timeouts: HTTPTimeouts
        /// Where requests are logged.
        public var logger: Logger
        /// Whether the key may go over plain `http://` to a host that is not this machine.
        public var allowsInsecureHTTP: Bool

        /// Creates a configuration; the defaults point at Pexels.
        public init(
            baseURL: URL = URL(string: "https://api.pexels.com")!,  // a valid literal
            apiKey: String? = nil, perPage: Int = 15, maxRateLimitWait: Duration = .seconds(60),
            maxDownloadBytes: Int = 256 << 20, timeouts: HTTPTimeouts = HTTPTimeouts(),
            logger: Logger = Logger(label: "storyforge.provider"), allowsInsecureHTTP: Bool = false
        ) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.perPage = min(80, max(1, perPage))
            self.maxRateLimitWait = maxRateLimitWait
            self.maxDownloadBytes = max(0, maxDownloadBytes)
            self.timeouts = timeouts
            self.logger = logger
            self.allowsInsecureHTTP = allowsInsecureHTTP
        }

        /// `PEXELS_API_KEY` (and `PEXELS_BASE_URL`) over the defaults.
        public static func fromEnvironment(_ environment: [String: String]) -> Self {
            var configuration = Self()
            if let key = environment["PEXELS_API_KEY"], !key.isEmpty { configuration.apiKey = key }
            if let base = environment["PEXELS_BASE_URL"], !base.isEmpty, let url = URL(string: base) {
                configuration.baseURL = url
            }
            return configuration
        }
    }

    /// The configuration.
    public let configuration: Configuration
    private let client: ProviderHTTPClient
    private let limits = PexelsRateLimit()

    /// Creates a client over `transport`.
    public init(configuration: Configuration, transport: any HTTPTransport = DefaultHTTPTransport()) {
        self.configuration = configuration
        client = ProviderHTTPClient(
            transport: transport, baseURL: configuration.baseURL,
            authHeaders: configuration.apiKey.map { [("Authorization", $0)] } ?? [], extraHeaders: [],
            timeouts: configuration.timeouts, maxResponseBytes: 8 << 20, providerName: "Pexels",
            logger: configuration.logger, allowsInsecureHTTP: configuration.allowsInsecureHTTP)
    }

    /// `pexels`, with a digest of the base URL.
    public var identity: ProviderIdentity {
        ProviderIdentity(name: "pexels", models: [:], configuration: ["base_url": configuration.baseURL.absoluteString])
    }

    /// None of the optional capabilities.
    public var capabilities: ProviderCapabilities { [] }

    /// A one-result photo search.
    public func checkHealth() async throws -> HealthReport {
        let start = ContinuousClock.now
        _ = try await search(.photo, keywords: ["nature"], orientation: nil)
        return HealthReport(latency: .now - start, detail: "GET /v1/search answered")
    }

    /// Pexels has no models.
    public func models() async throws -> [ModelInfo] { throw ProviderError.unsupported("Pexels has no models") }

    /// Searches photos or videos for `keywords`, filtered by `orientation` (`portrait`, `landscape`, `square`).
    ///
    /// - Returns: the results in Pexels' order, each with the rendition closest to at least `width`×`height`.
    public func search(
        _ kind: StockMedia.Kind, keywords: [String], orientation: String?, width: Int = 1080, height: Int = 1920
    ) async throws -> [StockMedia] {
        guard configuration.apiKey != nil else {
            throw ProviderError.authentication("Pexels: no API key; set PEXELS_API_KEY")
        }
        var query = URLComponents()
        query.queryItems = [
            URLQueryItem(name: "query", value: keywords.prefix(6).joined(separator: " ")),
            URLQueryItem(name: "per_page", value: String(configuration.perPage)),
        ]
        if let orientation { query.queryItems?.append(URLQueryItem(name: "orientation", value: orientation)) }
        let path = (kind == .photo ? "v1/search" : "videos/search") + "?" + (query.percentEncodedQuery ?? "")
        let json = try await rateLimited { try await sendJSON(path) }
        return kind == .photo
            ? Self.photos(json, orientation: orientation)
            : Self.videos(json, width: width, height: height)
    }

    /// Downloads a result's file to `destination` (no credentials are sent; only https or Pexels' own origin).
    public func download(_ media: StockMedia, to destination: URL) async throws {
        let url = media.downloadURL
        let sameOrigin =
            url.scheme?.lowercased() == configuration.baseURL.scheme?.lowercased()
            && url.host?.lowercased() == configuration.baseURL.host?.lowercased()
            && url.port == configuration.baseURL.port
        guard url.scheme?.lowercased() == "https" || sameOrigin, url.host?.isEmpty == false else {
            throw ProviderError.insecureTransport(
                "Pexels linked a file at \(url.scheme ?? "?")://\(url.host ?? "?"), which is neither https nor Pexels' "
                    + "own server; not fetched")
        }
        _ = try await MediaDownload.download(
            HTTPRequest(url: url, timeouts: configuration.timeouts), with: client, to: destination,
            maxBytes: configuration.maxDownloadBytes, what: "Pexels \(media.kind.rawValue) \(media.id)")
    }

    /// Runs `call`, waiting out a spent limit first and once after a 429, within ``Configuration/maxRateLimitWait``.
    private func rateLimited(_ call: () async throws -> JSONValue) async throws -> JSONValue {
        if let wait = await limits.waitBeforeNextCall() { try await pause(wait) }
        do {
            return try await call()
        } catch let error as ProviderError where error.code == .rateLimited {
            try await pause(error.retryAfter ?? .seconds(1))
            return try await call()
        }
    }

    private func pause(_ wait: Duration) async throws {
        guard wait <= configuration.maxRateLimitWait else {
            throw ProviderError.rateLimited(
                "Pexels: the rate limit is spent until \(wait) from now, longer than the \(configuration.maxRateLimitWait) "
                    + "this client waits", retryAfter: wait)
        }
        do {
            try await Task.sleep(for: wait)
        } catch {
            throw ProviderError.cancelled("waiting for Pexels' rate limit was cancelled", underlying: error)
        }
    }

    private func sendJSON(_ path: String) async throws -> JSONValue {
        try client.checkTransportSecurity()
        let start = ContinuousClock.now
        let response = try await client.transport.send(try client.request(.get, path))
        let reset = await limits.observe(response.head)
        guard response.status.kind == .successful else {
            var error = client.mapError(status: response.status.code, head: response.head, body: response.body)
            if response.status.code == 429 {
                error = .rateLimited(
                    "Pexels: rate limited (HTTP 429)",
                    retryAfter: reset ?? ProviderErrorMapping.retryAfter(response.head),
                    statusCode: 429)
            }
            client.log(.get, path, start: start, status: response.status.code, error: error)
            throw error
        }
        client.log(.get, path, start: start, status: response.status.code, bytes: response.body.count)
        do {
            return try JSONValue(parsing: response.body)
        } catch {
            throw ProviderError.malformedResponse("Pexels answered \(path.prefix(20)) with something that is not JSON")
        }
    }

    static func integer(_ value: JSONValue?) -> Int? {
        guard case .number(let number)? = value else { return nil }
        return CheckedNumber.integer(number, in: 0...1_000_000_000)
    }

    static func text(_ value: JSONValue?) -> String? {
        if let string = value?.stringValue { return string }
        return integer(value).map(String.init)
    }

    static func photos(_ json: JSONValue, orientation: String?) -> [StockMedia] {
        guard case .array(let items)? = json["photos"] else { return [] }
        let rendition = orientation == "portrait" ? "portrait" : orientation == "landscape" ? "landscape" : "large"
        return items.compactMap { item in
            guard let id = text(item["id"]), let width = integer(item["width"]), let height = integer(item["height"]),
                let page = item["url"]?.stringValue,
                let link = item["src"]?[rendition]?.stringValue ?? item["src"]?["original"]?.stringValue,
                let url = URL(string: link)
            else { return nil }
            return StockMedia(
                id: id, kind: .photo, width: width, height: height, pageURL: page,
                author: item["photographer"]?.stringValue ?? "unknown",
                authorURL: item["photographer_url"]?.stringValue,
                downloadURL: url)
        }
    }

    static func videos(_ json: JSONValue, width: Int, height: Int) -> [StockMedia] {
        guard case .array(let items)? = json["videos"] else { return [] }
        return items.compactMap { item in
            guard let id = text(item["id"]), let page = item["url"]?.stringValue,
                case .array(let files)? = item["video_files"]
            else { return nil }
            // The smallest rendition at least as large as asked, else the largest: enough pixels, no more.
            let renditions: [(width: Int, height: Int, url: URL)] = files.compactMap { file in
                guard let w = integer(file["width"]), let h = integer(file["height"]), w > 0, h > 0,
                    file["file_type"]?.stringValue.map({ $0.hasPrefix("video/") }) ?? true,
                    let link = file["link"]?.stringValue, let url = URL(string: link)
                else { return nil }
                return (w, h, url)
            }
            let large = renditions.filter { min($0.width, $0.height) >= min(width, height) }
            guard
                let chosen = large.min(by: { $0.width * $0.height < $1.width * $1.height })
                    ?? renditions.max(by: { $0.width * $0.height < $1.width * $1.height })
            else { return nil }
            let seconds: Double? = {
                guard case .number(let number)? = item["duration"], number.isFinite, number > 0 else { return nil }
                return number
            }()
            return StockMedia(
                id: id, kind: .video, width: chosen.width, height: chosen.height, pageURL: page,
                author: item["user"]?["name"]?.stringValue ?? "unknown", authorURL: item["user"]?["url"]?.stringValue,
                downloadURL: chosen.url, seconds: seconds)
        }
    }
}

/// What Pexels' last answer said about the rate limit.
actor PexelsRateLimit {
    private var remaining: Int?
    private var resetAt: Date?

    /// Reads `X-Ratelimit-Remaining` and `X-Ratelimit-Reset`; returns the wait until the reset (clamped to a day).
    func observe(_ head: HTTPResponseHead) -> Duration? {
        if let text = head.headers[HTTPField.Name("X-Ratelimit-Remaining")!],  // a valid token literal
            let value = CheckedNumber.nonNegativeInteger(text.trimmingCharacters(in: .whitespaces))
        {
            remaining = value
        }
        guard let text = head.headers[HTTPField.Name("X-Ratelimit-Reset")!],  // a valid token literal
            let stamp = CheckedNumber.nonNegativeInteger(text.trimmingCharacters(in: .whitespaces))
        else { return nil }
        let date = Date(timeIntervalSince1970: TimeInterval(stamp))
        resetAt = date
        return CheckedNumber.serverWait(seconds: max(0, date.timeIntervalSinceNow))
    }

    /// The wait before the next call when no request is left before the reset.
    func waitBeforeNextCall() -> Duration? {
        guard remaining == 0, let resetAt, resetAt > Date() else { return nil }
        remaining = nil
        return CheckedNumber.serverWait(seconds: resetAt.timeIntervalSinceNow)
    }
}
