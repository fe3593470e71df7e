public import Foundation
public import ProviderKit
import StoryForgeCore

/// Pexels as a shot source: searches the shot's keywords (its first six, then its first two when that finds
/// nothing), keeps results in the shot's orientation, picks by resolution, downloads the file and records the
/// photographer and page for the manifest's attribution and `credits.txt`.
public struct StockMediaSource: ShotMediaSource {
    /// The client.
    public let client: PexelsClient
    /// Photos or videos.
    public let kind: StockMedia.Kind

    /// Creates the source.
    public init(client: PexelsClient, kind: StockMedia.Kind) {
        self.client = client
        self.kind = kind
    }

    /// `pexels` or `pexels-video`.
    public var name: String { kind == .photo ? "pexels" : "pexels-video" }
    /// The client's identity, with the kind.
    public var identity: ProviderIdentity {
        ProviderIdentity(name: name, models: [:], configuration: ["client": client.identity.fingerprint])
    }
    /// Free (Pexels' licence asks for attribution, not money).
    public var estimatedCostUsd: Double { 0 }

    /// The best result for the shot, downloaded into `directory`; `nil` when the search finds nothing.
    public func media(for request: ShotMediaRequest, in directory: URL) async throws -> ShotMediaCandidate? {
        guard !request.keywords.isEmpty else { return nil }
        let orientation = request.orientation.rawValue
        var results = try await client.search(
            kind, keywords: Array(request.keywords.prefix(6)), orientation: orientation, width: request.width,
            height: request.height)
        if results.isEmpty, request.keywords.count > 2 {
            results = try await client.search(
                kind, keywords: Array(request.keywords.prefix(2)), orientation: orientation, width: request.width,
                height: request.height)
        }
        guard let chosen = Self.pick(results, width: request.width, height: request.height) else { return nil }
        let ext = kind == .photo ? "jpg" : "mp4"
        let file = directory.appendingPathComponent("pexels-\(request.shotID).\(ext)")
        try await client.download(chosen, to: file)
        let attribution = ShotMedia.Attribution(
            author: chosen.author, url: chosen.pageURL, source: "Pexels", license: "Pexels License")
        let content: ShotMediaCandidate.Content
        if kind == .photo {
            do {
                content = .still(try Data(contentsOf: file))
            } catch {
                throw StoryPipelineError.file("cannot read the downloaded photo: \(error)", underlying: error)
            }
        } else {
            content = .clip(file)
        }
        // Pexels ranks by relevance but reports no score, so none is recorded.
        return ShotMediaCandidate(content: content, sourceItem: "pexels:\(chosen.id)", attribution: attribution)
    }

    /// The result whose shape is closest to the frame's among those at least as large, else the largest.
    static func pick(_ results: [StockMedia], width: Int, height: Int) -> StockMedia? {
        let wanted = Double(max(1, width)) / Double(max(1, height))
        func shapeError(_ item: StockMedia) -> Double {
            abs(log(Double(max(1, item.width)) / Double(max(1, item.height)) / wanted))
        }
        let large = results.filter { $0.width >= width && $0.height >= height }
        if let best = large.enumerated().min(by: {
            (shapeError($0.element), $0.offset) < (shapeError($1.element), $1.offset)
        }) {
            return best.element
        }
        return results.max { $0.width * $0.height < $1.width * $1.height }
    }
}

extension ComfyUIProvider: ReferenceImageGenerator {}

extension OpenAIImageEditor: ReferenceImageGenerator {}

extension MediaSourceFactory {
    /// The remote sources: ComfyUI (`COMFYUI_URL`), Pexels (`PEXELS_API_KEY`), OpenAI video (`OPENAI_API_KEY`).
    func remoteSource(named name: String) throws(StoryPipelineError) -> any ShotMediaSource {
        switch name {
        case "comfyui", "comfyui-video":
            let comfy = configuration.comfyui ?? .init()
            let address = comfy.url ?? environment["COMFYUI_URL"] ?? "http://127.0.0.1:8188"
            guard let url = URL(string: address), url.scheme == "http" || url.scheme == "https" else {
                throw .invalidConfiguration("media.comfyui.url: \(address.prefix(200)) is not an http(s) URL")
            }
            let video = name == "comfyui-video"
            let path = video ? comfy.videoWorkflow : comfy.imageWorkflow
            guard let path else {
                throw .invalidConfiguration(
                    "media.comfyui.\(video ? "video_workflow" : "image_workflow"): the \(name) source needs a workflow "
                        + "template (see Examples/comfyui/)")
            }
            let workflow: JSONValue
            do {
                workflow = try ComfyUIProvider.Configuration.workflow(contentsOf: URL(fileURLWithPath: path))
            } catch {
                throw .invalidConfiguration("media.comfyui: \(error)", underlying: error)
            }
            let provider = ComfyUIProvider(
                configuration: .init(
                    baseURL: url, imageWorkflow: video ? nil : workflow, videoWorkflow: video ? workflow : nil),
                transport: transport)
            return video
                ? ClipGeneratorSource(provider, name: "comfyui-video", maxSeconds: 5)
                : ImageGeneratorSource(provider, name: "comfyui")
        case "pexels", "pexels-video":
            let pexels = PexelsClient.Configuration.fromEnvironment(environment)
            guard pexels.apiKey != nil else {
                throw .invalidConfiguration("media.sources names \(name) but PEXELS_API_KEY is not set")
            }
            return StockMediaSource(
                client: PexelsClient(configuration: pexels, transport: transport),
                kind: name == "pexels" ? .photo : .video)
        case "openai-video":
            let openAI = OpenAIVideoGenerator.Configuration.fromEnvironment(environment)
            guard openAI.apiKey != nil else {
                throw .invalidConfiguration("media.sources names openai-video but OPENAI_API_KEY is not set")
            }
            var settings = openAI
            if let model = configuration.openaiVideo?.model { settings.model = model }
            return ClipGeneratorSource(
                OpenAIVideoGenerator(configuration: settings, transport: transport), name: "openai-video",
                costPerSecondUsd: Self.openAIVideoPricePerSecond, maxSeconds: configuration.openaiVideo?.maxSeconds ?? 8
            )
        default:
            throw .invalidConfiguration("media.sources: unknown source \"\(name.prefix(40))\"")
        }
    }

    /// 0.10 USD a second: OpenAI's list price of `sora-2` at 720p (check it before relying on a budget).
    static let openAIVideoPricePerSecond = 0.10
}
