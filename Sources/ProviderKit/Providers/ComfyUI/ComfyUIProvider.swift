public import Foundation
public import Logging
public import StoryForgeCore

/// ComfyUI, the local diffusion server: images and clips from workflow templates in its API format.
///
/// A template is a workflow exported with "Save (API format)" in which values are placeholders, replaced per
/// request: `"{{prompt}}"`, `"{{negative_prompt}}"`, `"{{seed}}"`, `"{{width}}"`, `"{{height}}"`, `"{{frames}}"`,
/// `"{{seconds}}"`, `"{{reference_image}}"` (a string that is exactly a numeric placeholder becomes a number; text
/// placeholders may sit inside longer strings). The client queues it (`POST /prompt`), follows the job on
/// its WebSocket (`/ws`: progress, and the end of the job) and `GET /history/{id}` until it has outputs or an
/// error (polling alone when the socket is unavailable or drops), downloads the first output with `GET /view`, uploads
/// reference images first (`POST /upload/image`), and on cancellation interrupts the job (`POST /interrupt`).
///
/// `Examples/comfyui/` holds an image (SD 1.5) and a video (Wan 2.1) template.
public struct ComfyUIProvider: ImageGenerator, VideoClipGenerator {
    /// The server and the templates.
    public struct Configuration: Sendable {
        /// The server (`http://127.0.0.1:8188`, or `COMFYUI_URL`).
        public var baseURL: URL
        /// The image template; `nil` makes image calls ``ProviderError/unsupported(_:)``.
        public var imageWorkflow: JSONValue?
        /// The video template; `nil` makes clip calls ``ProviderError/unsupported(_:)``.
        public var videoWorkflow: JSONValue?
        /// Frames per second of the video template's output, for `{{frames}}` (16: Wan 2.1's rate).
        public var framesPerSecond: Int
        /// The most frames asked for (81: Wan 2.1's longest clip, 5 s at 16 fps).
        public var maxFrames: Int
        /// How long between two looks at `/history`.
        public var pollInterval: Duration
        /// How long a job may take.
        public var maxWait: Duration
        /// The largest output downloaded, in bytes.
        public var maxDownloadBytes: Int
        /// Time limits of each request.
        public var timeouts: HTTPTimeouts
        /// Where requests are logged.
        public var logger: Logger
        /// Whether to follow jobs on ComfyUI's `/ws` WebSocket (progress, and the end of a job without polling);
        /// `/history` is polled when it is off, the server is `https://`, or the socket drops.
        public var usesWebSocket: Bool
        /// Called with each progress fraction (0...1) of the running job that `/ws` reports.
        public var progress: (@Sendable (Double) -> Void)?

        /// Creates a configuration.
        public init(
            baseURL: URL = URL(string: "http://127.0.0.1:8188")!,  // a valid literal
            imageWorkflow: JSONValue? = nil, videoWorkflow: JSONValue? = nil, framesPerSecond: Int = 16,
            maxFrames: Int = 81, pollInterval: Duration = .milliseconds(500), maxWait: Duration = .seconds(1800),
            maxDownloadBytes: Int = 512 << 20, timeouts: HTTPTimeouts = HTTPTimeouts(),
            logger: Logger = Logger(label: "storyforge.provider"), usesWebSocket: Bool = true,
            progress: (@Sendable (Double) -> Void)? = nil
        ) {
            self.usesWebSocket = usesWebSocket
            self.progress = progress
            self.baseURL = baseURL
            self.imageWorkflow = imageWorkflow
            self.videoWorkflow = videoWorkflow
            self.framesPerSecond = min(120, max(1, framesPerSecond))
            self.maxFrames = min(10_000, max(1, maxFrames))
            self.pollInterval = pollInterval
            self.maxWait = maxWait
            self.maxDownloadBytes = max(0, maxDownloadBytes)
            self.timeouts = timeouts
            self.logger = logger
        }

        /// 4 MiB: the largest template read.
        public static let maxWorkflowBytes = 4 << 20

        /// Reads a template file (a JSON object of nodes).
        ///
        /// - Throws: ``ProviderError/badRequest(_:statusCode:underlying:)`` for an unreadable, oversized or non-object file.
        public static func workflow(contentsOf url: URL) throws -> JSONValue {
            let data: Data
            do {
                let handle = try FileHandle(forReadingFrom: url)
                defer { try? handle.close() }
                data = try handle.read(upToCount: maxWorkflowBytes + 1) ?? Data()
            } catch {
                throw ProviderError.badRequest("ComfyUI: cannot read the workflow \(url.path)", underlying: error)
            }
            guard data.count <= maxWorkflowBytes else {
                throw ProviderError.badRequest("ComfyUI: the workflow \(url.path) is larger than 4 MiB")
            }
            guard let workflow = try? JSONValue(parsing: data), case .object = workflow else {
                throw ProviderError.badRequest(
                    "ComfyUI: the workflow \(url.path) is not a JSON object; export it with \"Save (API format)\"")
            }
            return workflow
        }
    }

    /// The configuration.
    public let configuration: Configuration
    private let client: ProviderHTTPClient

    /// Creates the provider over `transport`.
    public init(configuration: Configuration, transport: any HTTPTransport = DefaultHTTPTransport()) {
        self.configuration = configuration
        client = ProviderHTTPClient(
            transport: transport, baseURL: configuration.baseURL, authHeaders: [], extraHeaders: [],
            timeouts: configuration.timeouts, maxResponseBytes: 16 << 20,
            providerName: "ComfyUI at \(configuration.baseURL.host ?? configuration.baseURL.absoluteString)",
            logger: configuration.logger)
    }

    /// `comfyui`, with digests of the server and the templates (a changed template repaints).
    public var identity: ProviderIdentity {
        ProviderIdentity(
            name: "comfyui", models: [.images: "workflow", .video: "workflow"],
            configuration: [
                "base_url": configuration.baseURL.absoluteString,
                "image_workflow": configuration.imageWorkflow?.jsonText ?? "",
                "video_workflow": configuration.videoWorkflow?.jsonText ?? "",
                "fps": String(configuration.framesPerSecond),
            ])
    }

    /// Seeds are honoured through `{{seed}}`.
    public var capabilities: ProviderCapabilities { [.seed] }

    /// `GET /system_stats`.
    public func checkHealth() async throws -> HealthReport {
        let start = ContinuousClock.now
        _ = try await client.json(.get, "system_stats")
        return HealthReport(latency: .now - start, detail: "GET /system_stats answered")
    }

    /// ComfyUI's models are whatever the templates load.
    public func models() async throws -> [ModelInfo] {
        throw ProviderError.unsupported("ComfyUI's models are named in its workflow templates")
    }

    /// One image per call from the image template (`count` is ignored beyond 1).
    public func generateImages(_ request: ImageRequest) async throws -> [GeneratedImage] {
        try await generateImages(request, references: [])
    }

    /// One image from the image template, with `references` uploaded into its `{{reference_image}}` slot.
    public func generateImages(_ request: ImageRequest, references: [Data]) async throws -> [GeneratedImage] {
        guard let template = configuration.imageWorkflow else {
            throw ProviderError.unsupported("ComfyUI: no image workflow is configured")
        }
        let values = Placeholders(
            prompt: request.prompt, negativePrompt: request.negativePrompt ?? "", seed: request.seed ?? 0,
            width: request.width, height: request.height, frames: 1, seconds: 0,
            reference: try await upload(references.first))
        let output = try await run(template, values)
        let data = try await view(output, maxBytes: configuration.maxDownloadBytes)
        guard data.starts(with: [0x89, 0x50, 0x4E, 0x47]) || data.starts(with: [0xFF, 0xD8, 0xFF]) else {
            throw ProviderError.malformedResponse(
                "\(client.providerName): the output \(output.filename) is not a PNG or JPEG")
        }
        return [
            GeneratedImage(
                data: data, mimeType: MediaDownload.imageType(data),
                origin: ResponseOrigin(provider: "comfyui", model: "workflow", fingerprint: identity.fingerprint))
        ]
    }

    /// One clip from the video template, the request's first reference image in its `{{reference_image}}` slot.
    public func generateClip(_ request: ClipRequest, to destination: URL) async throws -> GeneratedClip {
        guard let template = configuration.videoWorkflow else {
            throw ProviderError.unsupported("ComfyUI: no video workflow is configured")
        }
        let seconds = request.seconds.isFinite ? max(0, request.seconds) : 0
        let wanted = (seconds * Double(configuration.framesPerSecond)).rounded(.up)
        let frames = min(configuration.maxFrames, max(1, Int(exactly: wanted) ?? configuration.maxFrames))
        let values = Placeholders(
            prompt: request.prompt, negativePrompt: request.negativePrompt ?? "", seed: request.seed ?? 0,
            width: request.width, height: request.height, frames: frames, seconds: seconds,
            reference: try await upload(request.referenceImages.first))
        let output = try await run(template, values)
        let (bytes, _) = try await MediaDownload.download(
            try client.request(.get, output.viewPath), with: client, to: destination,
            maxBytes: configuration.maxDownloadBytes, what: "the output \(output.filename)")
        let prefix = MediaDownload.prefix(of: destination)
        // WebP and GIF animations are what ComfyUI's own save nodes write; ffprobe reads them as video.
        let animated =
            prefix.starts(with: Array("GIF8".utf8)) || (prefix.count >= 12 && prefix.prefix(4) == Data("RIFF".utf8))
        guard bytes > 0, MediaDownload.looksLikeVideo(prefix) || animated else {
            try? FileManager.default.removeItem(at: destination)
            throw ProviderError.malformedResponse(
                "\(client.providerName): the output \(output.filename) is not a video")
        }
        return GeneratedClip(
            file: destination, mimeType: "video/mp4", seconds: Double(frames) / Double(configuration.framesPerSecond),
            origin: ResponseOrigin(provider: "comfyui", model: "workflow", fingerprint: identity.fingerprint))
    }

    // MARK: The job

    struct Placeholders {
        var prompt: String
        var negativePrompt: String
        var seed: Int
        var width: Int
        var height: Int
        var frames: Int
        var seconds: Double
        var reference: String?
    }

    struct Output {
        var filename: String
        var subfolder: String
        var type: String

        var viewPath: String {
            var query = URLComponents()
            query.queryItems = [
                URLQueryItem(name: "filename", value: filename), URLQueryItem(name: "subfolder", value: subfolder),
                URLQueryItem(name: "type", value: type),
            ]
            return "view?" + (query.percentEncodedQuery ?? "")
        }
    }

    /// The template with every placeholder replaced.
    static func fill(_ template: JSONValue, _ values: Placeholders) throws -> JSONValue {
        let numbers: [String: Double] = [
            "{{seed}}": Double(values.seed), "{{width}}": Double(values.width), "{{height}}": Double(values.height),
            "{{frames}}": Double(values.frames), "{{seconds}}": values.seconds,
        ]
        func fill(_ value: JSONValue) throws -> JSONValue {
            switch value {
            case .string(let text):
                if let number = numbers[text] { return .number(number) }
                var result = text.replacingOccurrences(of: "{{prompt}}", with: values.prompt)
                    .replacingOccurrences(of: "{{negative_prompt}}", with: values.negativePrompt)
                if result.contains("{{reference_image}}") {
                    guard let reference = values.reference else {
                        throw ProviderError.badRequest(
                            "ComfyUI: the workflow has a {{reference_image}} slot but no reference image was given; "
                                + "set media.references or use a workflow without one")
                    }
                    result = result.replacingOccurrences(of: "{{reference_image}}", with: reference)
                }
                return .string(result)
            case .array(let items): return .array(try items.map(fill))
            case .object(let members): return .object(try members.mapValues(fill))
            default: return value
            }
        }
        return try fill(template)
    }

    /// Queues the filled template and waits for its first output file.
    private func run(_ template: JSONValue, _ values: Placeholders) async throws -> Output {
        let workflow = try Self.fill(template, values)
        let clientID = UUID().uuidString.lowercased()
        // Connected before the job is queued, so that no message of it is missed.
        let socket = progressSocket(clientID)
        defer { socket?.close() }
        let queued = try await client.json(.post, "prompt", body: ["prompt": workflow, "client_id": .string(clientID)])
        guard let id = queued["prompt_id"]?.stringValue, OpenAIVideoGenerator.isSafeID(id) else {
            throw ProviderError.malformedResponse(
                "ComfyUI queued the workflow without a usable prompt_id", rawText: queued.jsonText)
        }
        do {
            if let socket {
                await follow(id, on: socket)
                if Task.isCancelled { throw ProviderError.cancelled("the ComfyUI job \(id) was cancelled") }
            }
            return try await waitForOutput(id)
        } catch {
            if error is CancellationError || Task.isCancelled || (error as? ProviderError)?.code == .cancelled
                || (error as? ProviderError)?.code == .timeout
            {
                // The GPU would keep working on a job nobody waits for.
                _ = try? await Task.detached { [client] in try await client.raw(.post, "interrupt") }.value
            }
            throw error
        }
    }

    /// The `/ws` connection for `clientID`, or `nil` (polling only) when it is off, not `http://`, or fails.
    private func progressSocket(_ clientID: String) -> ComfyUIWebSocket? {
        guard configuration.usesWebSocket, configuration.baseURL.scheme?.lowercased() == "http",
            var components = URLComponents(url: configuration.baseURL, resolvingAgainstBaseURL: false)
        else { return nil }
        components.scheme = "ws"
        components.path =
            (components.path.hasSuffix("/") ? String(components.path.dropLast()) : components.path) + "/ws"
        components.queryItems = [URLQueryItem(name: "clientId", value: clientID)]
        guard let url = components.url else { return nil }
        do {
            return try ComfyUIWebSocket.connect(url, timeout: configuration.timeouts.connect)
        } catch {
            configuration.logger.debug(
                "ComfyUI progress socket unavailable; polling /history", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Follows job `id` on `/ws` until it ends (`executing` with no node, `execution_success`, `execution_error`),
    /// reporting `progress`; returns early when the socket drops, and the caller polls `/history` for the result.
    private func follow(_ id: String, on socket: ComfyUIWebSocket) async {
        do {
            for try await message in socket.messages() {
                let data = message["data"]
                guard data?["prompt_id"]?.stringValue == id else { continue }
                switch message["type"]?.stringValue {
                case "progress":
                    if case .number(let value)? = data?["value"], case .number(let maximum)? = data?["max"],
                        value.isFinite, maximum.isFinite, maximum > 0
                    {
                        configuration.progress?(min(1, max(0, value / maximum)))
                    }
                case "executing" where data?["node"] == .null:
                    return
                case "execution_success", "execution_error", "execution_interrupted":
                    return
                default:
                    continue
                }
            }
        } catch {
            configuration.logger.debug(
                "ComfyUI progress socket dropped; polling /history", metadata: ["error": "\(error)"])
        }
    }

    /// Polls `/history/{id}` until the job has an output, an error, or the wait is over. Up to 3 failed polls in a
    /// row (a dropped or stalled connection, a restarting server) are tolerated.
    private func waitForOutput(_ id: String) async throws -> Output {
        let deadline = ContinuousClock.now + configuration.maxWait
        var failures = 0
        while true {
            guard ContinuousClock.now < deadline else {
                throw ProviderError.timeout(
                    "\(client.providerName): job \(id) did not finish within \(configuration.maxWait)")
            }
            do {
                try await Task.sleep(for: configuration.pollInterval)
            } catch {
                throw ProviderError.cancelled("waiting for ComfyUI job \(id) was cancelled", underlying: error)
            }
            let history: JSONValue
            do {
                history = try await client.json(.get, "history/\(id)")
                failures = 0
            } catch let error as ProviderError where [.transport, .server, .timeout].contains(error.code) {
                failures += 1
                if failures > 3 { throw error }
                continue
            }
            guard let job = history[id] else { continue }
            let status = job["status"]
            if status?["status_str"]?.stringValue == "error" {
                throw ProviderError.server("\(client.providerName): job \(id) failed: \(Self.errorMessage(status))")
            }
            if let output = Self.firstOutput(job["outputs"]) { return output }
            if status?["completed"] == .bool(true) {
                throw ProviderError.malformedResponse(
                    "\(client.providerName): job \(id) finished without an output file")
            }
        }
    }

    /// The first file among the outputs' `images`, `gifs` and `videos`, by node id order.
    static func firstOutput(_ outputs: JSONValue?) -> Output? {
        guard case .object(let nodes)? = outputs else { return nil }
        for key in nodes.keys.sorted() {
            for list in ["videos", "gifs", "images"] {
                guard case .array(let files)? = nodes[key]?[list] else { continue }
                for file in files {
                    guard let name = file["filename"]?.stringValue, !name.isEmpty else { continue }
                    return Output(
                        filename: name, subfolder: file["subfolder"]?.stringValue ?? "",
                        type: file["type"]?.stringValue ?? "output")
                }
            }
        }
        return nil
    }

    /// The execution error's message from a history entry's `status.messages`.
    static func errorMessage(_ status: JSONValue?) -> String {
        guard case .array(let messages)? = status?["messages"] else { return "no reason given" }
        for message in messages {
            guard case .array(let pair) = message, pair.count == 2, pair[0].stringValue == "execution_error" else {
                continue
            }
            return pair[1]["exception_message"]?.stringValue ?? "execution error"
        }
        return "no reason given"
    }

    /// Uploads a reference image, returning the name the workflow's LoadImage node takes.
    private func upload(_ image: Data?) async throws -> String? {
        guard let image else { return nil }
        let type = MediaDownload.imageType(image)
        let name = "storyforge-" + String(HexDigest.sha256(image).prefix(16)) + (type == "image/png" ? ".png" : ".jpg")
        let form = MediaDownload.multipart(
            fields: [("overwrite", "true")], files: [(name: "image", filename: name, type: type, data: image)])
        let answer = try JSONValue(
            parsing: try await client.raw(.post, "upload/image", body: form.body, contentType: form.contentType))
        guard let stored = answer["name"]?.stringValue else {
            throw ProviderError.malformedResponse("ComfyUI's upload answer has no name", rawText: answer.jsonText)
        }
        let subfolder = answer["subfolder"]?.stringValue ?? ""
        return subfolder.isEmpty ? stored : subfolder + "/" + stored
    }

    private func view(_ output: Output, maxBytes: Int) async throws -> Data {
        let data = try await client.raw(.get, output.viewPath)
        guard data.count <= maxBytes else {
            throw ProviderError.responseTooLarge(
                "\(client.providerName): \(output.filename) is larger than \(maxBytes) bytes")
        }
        return data
    }
}
