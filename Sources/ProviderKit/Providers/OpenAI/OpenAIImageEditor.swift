public import Foundation
public import Logging
import StoryForgeCore

/// OpenAI images with reference pictures: `POST /images/edits` with the references as `image[]` parts (characters
/// and style the picture should keep), or `POST /images/generations` when there are none.
///
/// ```swift
/// let editor = OpenAIImageEditor(configuration: .init(apiKey: key))
/// let images = try await editor.generateImages(ImageRequest(prompt: "the keeper at dawn"), references: [heroPNG])
/// ```
public struct OpenAIImageEditor: ImageGenerator {
    /// Where the API is and which model.
    public struct Configuration: Sendable {
        /// The API root (`https://api.openai.com/v1`).
        public var baseURL: URL
        /// The API key; never logged or shown.
        public var apiKey: String?
        /// The model (`gpt-image-1`, which takes up to 16 reference images).
        public var model: String
        /// The most references sent with one request.
        public var maxReferences: Int
        /// Time limits of each request.
        public var timeouts: HTTPTimeouts
        /// The largest answer accepted, in bytes (base64 images are large).
        public var maxResponseBytes: Int
        /// Where requests are logged.
        public var logger: Logger
        /// Whether the key may go over plain `http://` to a host that is not this machine.
        public var allowsInsecureHTTP: Bool

        /// Creates a configuration; the defaults point at OpenAI.
        public init(
            baseURL: URL = URL(string: "https://api.openai.com/v1")!,  // a valid literal
            apiKey: String? = nil, model: String = "gpt-image-1", maxReferences: Int = 16,
            timeouts: HTTPTimeouts = HTTPTimeouts(), maxResponseBytes: Int = 64 << 20,
            logger: Logger = Logger(label: "storyforge.provider"), allowsInsecureHTTP: Bool = false
        ) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.model = model
            self.maxReferences = min(16, max(1, maxReferences))
            self.timeouts = timeouts
            self.maxResponseBytes = max(0, maxResponseBytes)
            self.logger = logger
            self.allowsInsecureHTTP = allowsInsecureHTTP
        }

        /// `OPENAI_BASE_URL` and `OPENAI_API_KEY` over the defaults.
        public static func fromEnvironment(_ environment: [String: String]) -> Self {
            var configuration = Self()
            if let url = OpenAIEnvironment.baseURL(environment) { configuration.baseURL = url }
            if let key = OpenAIEnvironment.apiKey(environment) { configuration.apiKey = key }
            return configuration
        }
    }

    /// The configuration.
    public let configuration: Configuration
    private let client: ProviderHTTPClient

    /// Creates the editor over `transport`.
    public init(configuration: Configuration, transport: any HTTPTransport = DefaultHTTPTransport()) {
        self.configuration = configuration
        client = ProviderHTTPClient(
            transport: transport, baseURL: configuration.baseURL,
            authHeaders: configuration.apiKey.map { [("Authorization", "Bearer \($0)")] } ?? [], extraHeaders: [],
            timeouts: configuration.timeouts, maxResponseBytes: configuration.maxResponseBytes,
            providerName: "OpenAI images at \(configuration.baseURL.host ?? configuration.baseURL.absoluteString)",
            logger: configuration.logger, allowsInsecureHTTP: configuration.allowsInsecureHTTP)
    }

    /// `openai-images` with its model and a digest of the base URL.
    public var identity: ProviderIdentity {
        ProviderIdentity(
            name: "openai-images", models: [.images: configuration.model],
            configuration: ["base_url": configuration.baseURL.absoluteString])
    }

    /// None of the optional capabilities.
    public var capabilities: ProviderCapabilities { [] }

    /// `GET /models`.
    public func checkHealth() async throws -> HealthReport {
        let start = ContinuousClock.now
        _ = try await client.json(.get, "models")
        return HealthReport(latency: .now - start, detail: "GET /models answered")
    }

    /// Not listed here; see ``OpenAICompatibleProvider``.
    public func models() async throws -> [ModelInfo] {
        throw ProviderError.unsupported("use OpenAICompatibleProvider to list models")
    }

    /// `POST /images/generations`.
    public func generateImages(_ request: ImageRequest) async throws -> [GeneratedImage] {
        try await generateImages(request, references: [])
    }

    /// `POST /images/edits` with `references` (up to ``Configuration/maxReferences``), else a plain generation.
    public func generateImages(_ request: ImageRequest, references: [Data]) async throws -> [GeneratedImage] {
        let model = request.model ?? configuration.model
        let size = "\(request.width)x\(request.height)"
        let json: JSONValue
        if references.isEmpty {
            json = try await client.json(
                .post, "images/generations",
                body: [
                    "model": .string(model), "prompt": .string(request.prompt),
                    "n": .number(Double(max(1, request.count))),
                    "size": .string(size),
                ])
        } else {
            let files = references.prefix(configuration.maxReferences).enumerated().map { index, data in
                let type = MediaDownload.imageType(data)
                return (
                    name: "image[]", filename: "reference-\(index + 1)" + (type == "image/png" ? ".png" : ".jpg"),
                    type: type, data: data
                )
            }
            let form = MediaDownload.multipart(
                fields: [
                    ("model", model), ("prompt", request.prompt), ("n", String(max(1, request.count))), ("size", size),
                ],
                files: Array(files))
            let data = try await client.raw(.post, "images/edits", body: form.body, contentType: form.contentType)
            do {
                json = try JSONValue(parsing: data)
            } catch {
                throw ProviderError.malformedResponse(
                    "\(client.providerName) answered images/edits with something that is not JSON")
            }
        }
        guard case .array(let items)? = json["data"] else {
            throw ProviderError.malformedResponse("the image answer has no data array", rawText: json.jsonText)
        }
        return try items.map { item in
            guard let base64 = item["b64_json"]?.stringValue, let data = Data(base64Encoded: base64) else {
                throw ProviderError.malformedResponse("an image came without valid b64_json")
            }
            return GeneratedImage(
                data: data, mimeType: MediaDownload.imageType(data), revisedPrompt: item["revised_prompt"]?.stringValue,
                origin: ResponseOrigin(provider: identity.name, model: model, fingerprint: identity.fingerprint))
        }
    }
}
