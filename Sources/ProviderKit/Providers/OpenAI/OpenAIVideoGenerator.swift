public import Foundation
public import Logging
import StoryForgeCore

/// OpenAI's video API (Sora): `POST /v1/videos` starts a job, `GET /v1/videos/{id}` is polled until it is
/// `completed` or `failed`, `GET /v1/videos/{id}/content` downloads the MP4. Cancelling the task deletes the job
/// (`DELETE /v1/videos/{id}`), so a cancelled run stops paying for it.
///
/// ```swift
/// let video = OpenAIVideoGenerator(configuration: .init(apiKey: key))
/// let clip = try await video.generateClip(ClipRequest(prompt: "waves at dusk", seconds: 4), to: fileURL)
/// ```
public struct OpenAIVideoGenerator: VideoClipGenerator {
    /// Where the API is and how long to wait.
    public struct Configuration: Sendable {
        /// The API root (`https://api.openai.com/v1`).
        public var baseURL: URL
        /// The API key, sent as a bearer token; never logged or shown.
        public var apiKey: String?
        /// The model (`sora-2`).
        public var model: String
        /// The clip lengths the model offers, in seconds; a request is rounded up to the nearest (else the longest).
        public var offeredSeconds: [Int]
        /// The frame sizes the model offers; a request gets the one closest in shape.
        public var offeredSizes: [(width: Int, height: Int)]
        /// How long between two polls of a job.
        public var pollInterval: Duration
        /// How long a job may take before the call gives up (and deletes it).
        public var maxWait: Duration
        /// The largest clip downloaded, in bytes.
        public var maxClipBytes: Int
        /// Time limits of each request.
        public var timeouts: HTTPTimeouts
        /// Where requests are logged (never keys or bodies).
        public var logger: Logger
        /// Whether the key may go over plain `http://` to a host that is not this machine.
        public var allowsInsecureHTTP: Bool

        /// Creates a configuration; the defaults point at OpenAI.
        public init(
            baseURL: URL = URL(string: "https://api.openai.com/v1")!,  // a valid literal
            apiKey: String? = nil, model: String = "sora-2", offeredSeconds: [Int] = [4, 8, 12],
            offeredSizes: [(width: Int, height: Int)] = [(720, 1280), (1280, 720), (1024, 1792), (1792, 1024)],
            pollInterval: Duration = .seconds(5), maxWait: Duration = .seconds(1200), maxClipBytes: Int = 512 << 20,
            timeouts: HTTPTimeouts = HTTPTimeouts(), logger: Logger = Logger(label: "storyforge.provider"),
            allowsInsecureHTTP: Bool = false
        ) {
            self.baseURL = baseURL
            self.apiKey = apiKey
            self.model = model
            self.offeredSeconds = offeredSeconds.isEmpty ? [4] : offeredSeconds.sorted()
            self.offeredSizes = offeredSizes.isEmpty ? [(720, 1280)] : offeredSizes
            self.pollInterval = pollInterval
            self.maxWait = maxWait
            self.maxClipBytes = max(0, maxClipBytes)
            self.timeouts = timeouts
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

    /// Creates the generator over `transport`.
    public init(configuration: Configuration, transport: any HTTPTransport = DefaultHTTPTransport()) {
        self.configuration = configuration
        client = ProviderHTTPClient(
            transport: transport, baseURL: configuration.baseURL,
            authHeaders: configuration.apiKey.map { [("Authorization", "Bearer \($0)")] } ?? [], extraHeaders: [],
            timeouts: configuration.timeouts, maxResponseBytes: 1 << 20,
            providerName: "OpenAI video at \(configuration.baseURL.host ?? configuration.baseURL.absoluteString)",
            logger: configuration.logger, allowsInsecureHTTP: configuration.allowsInsecureHTTP)
    }

    /// `openai-video` with its model and a digest of the base URL.
    public var identity: ProviderIdentity {
        ProviderIdentity(
            name: "openai-video", models: [.video: configuration.model],
            configuration: ["base_url": configuration.baseURL.absoluteString])
    }

    /// None of the optional capabilities.
    public var capabilities: ProviderCapabilities { [] }

    /// `GET /videos?limit=1`.
    public func checkHealth() async throws -> HealthReport {
        let start = ContinuousClock.now
        _ = try await client.json(.get, "videos?limit=1")
        return HealthReport(latency: .now - start, detail: "GET /videos answered")
    }

    /// The API has no model list for video.
    public func models() async throws -> [ModelInfo] {
        throw ProviderError.unsupported("OpenAI video has no model list")
    }

    /// The offered length a request gets: the shortest at least as long, else the longest.
    public func seconds(for request: ClipRequest) -> Int {
        let wanted = request.seconds.isFinite ? request.seconds : 0
        return configuration.offeredSeconds.first { Double($0) >= wanted } ?? configuration.offeredSeconds.last ?? 4
    }

    /// The offered size closest in shape (aspect ratio) to the request's.
    public func size(for request: ClipRequest) -> (width: Int, height: Int) {
        let wanted = Double(max(1, request.width)) / Double(max(1, request.height))
        return configuration.offeredSizes.min {
            abs(log(Double($0.width) / Double($0.height) / wanted))
                < abs(log(Double($1.width) / Double($1.height) / wanted))
        } ?? (720, 1280)
    }

    /// Starts the job, polls it, downloads the clip into `destination`.
    ///
    /// - Throws: ``ProviderError`` with code `server` for a job that fails (its message), `timeout` past
    ///   ``Configuration/maxWait``, `malformedResponse` for a download that is not a video, `cancelled` when the task
    ///   is cancelled (the job is deleted first).
    public func generateClip(_ request: ClipRequest, to destination: URL) async throws -> GeneratedClip {
        try client.checkTransportSecurity()
        let seconds = seconds(for: request)
        let size = size(for: request)
        let fields = [
            ("model", request.model ?? configuration.model), ("prompt", request.prompt), ("seconds", String(seconds)),
            ("size", "\(size.width)x\(size.height)"),
        ]
        let files = request.referenceImages.prefix(1).map {
            (
                name: "input_reference",
                filename: MediaDownload.imageType($0) == "image/png" ? "reference.png" : "reference.jpg",
                type: MediaDownload.imageType($0), data: $0
            )
        }
        let form = MediaDownload.multipart(fields: fields, files: Array(files))
        let created = try JSONValue(
            parsing: try await client.raw(.post, "videos", body: form.body, contentType: form.contentType))
        guard let id = created["id"]?.stringValue, Self.isSafeID(id) else {
            throw ProviderError.malformedResponse("the video job answer has no usable id", rawText: created.jsonText)
        }
        do {
            let job = try await waitForJob(id, first: created)
            let (bytes, type) = try await MediaDownload.download(
                try client.request(.get, "videos/\(id)/content"), with: client, to: destination,
                maxBytes: configuration.maxClipBytes, what: "the clip of video job \(id)")
            guard bytes > 0, MediaDownload.looksLikeVideo(MediaDownload.prefix(of: destination)) else {
                try? FileManager.default.removeItem(at: destination)
                throw ProviderError.malformedResponse(
                    "\(client.providerName): the content of video job \(id) is not a video (\(type ?? "no type"), "
                        + "\(bytes) bytes)")
            }
            let reported = job["seconds"].flatMap { value -> Double? in
                if let text = value.stringValue { return Double(text).flatMap { $0.isFinite && $0 >= 0 ? $0 : nil } }
                if case .number(let number) = value, number.isFinite, number >= 0 { return number }
                return nil
            }
            return GeneratedClip(
                file: destination, mimeType: type ?? "video/mp4", seconds: reported ?? Double(seconds),
                origin: ResponseOrigin(
                    provider: identity.name, model: request.model ?? configuration.model,
                    fingerprint: identity.fingerprint))
        } catch {
            if error is CancellationError || Task.isCancelled || (error as? ProviderError)?.code == .cancelled
                || (error as? ProviderError)?.code == .timeout
            {
                // The job would keep running (and be billed): delete it, whatever the answer.
                _ = try? await Task.detached { [client] in try await client.raw(.delete, "videos/\(id)") }.value
            }
            throw error
        }
    }

    /// Polls `GET /videos/{id}` until the job is completed; throws for a failed job or past the wait.
    private func waitForJob(_ id: String, first: JSONValue) async throws -> JSONValue {
        let deadline = ContinuousClock.now + configuration.maxWait
        var job = first
        while true {
            switch job["status"]?.stringValue {
            case "completed": return job
            case "failed", "cancelled", "expired":
                let message = job["error"]?["message"]?.stringValue ?? "no reason given"
                throw ProviderError.server("\(client.providerName): video job \(id) failed: \(client.redact(message))")
            default: break
            }
            guard ContinuousClock.now < deadline else {
                throw ProviderError.timeout(
                    "\(client.providerName): video job \(id) did not finish within \(configuration.maxWait)")
            }
            do {
                try await Task.sleep(for: configuration.pollInterval)
            } catch {
                throw ProviderError.cancelled("waiting for video job \(id) was cancelled", underlying: error)
            }
            job = try await client.json(.get, "videos/\(id)")
        }
    }

    /// Ids go into URL paths: letters, digits, `-` and `_` only.
    static func isSafeID(_ id: String) -> Bool {
        !id.isEmpty && id.count <= 200
            && id.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
    }
}
