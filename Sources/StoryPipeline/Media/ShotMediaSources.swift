public import Foundation
import OfflineProviders
public import ProviderKit
import StoryForgeCore

/// A story's media sources in the order they are asked, its reference images and the budget its paid sources
/// share; ``StoryProviders/media``.
public struct ShotMediaSources: Sendable {
    /// The sources, first asked first.
    public var sources: [any ShotMediaSource]
    /// The reference images, encoded, passed to every source that takes them.
    public var references: [Data]
    /// The reference images' file names, for the manifest.
    public var referenceNames: [String]
    /// What the paid sources have spent and may spend.
    public let budget: MediaBudget
    /// Whether clips keep their own sound.
    public var clipAudio: Bool

    /// Creates a chain.
    public init(
        sources: [any ShotMediaSource], references: [Data] = [], referenceNames: [String] = [],
        budgetUsd: Double? = nil, clipAudio: Bool = false
    ) {
        self.sources = sources
        self.references = references
        self.referenceNames = referenceNames
        self.budget = MediaBudget(limitUsd: budgetUsd)
        self.clipAudio = clipAudio
    }

    /// The sources' names joined by `>`, for the manifest.
    public var name: String { sources.map(\.name).joined(separator: ">") }

    /// Every source's identity, the references' digests and the settings that change the pictures; no secret.
    public var fingerprint: String {
        var parts = sources.map { "\($0.name)=\($0.identity.fingerprint)" }
        if !references.isEmpty {
            parts.append("references=" + references.map { HexDigest.sha256($0) }.joined(separator: ","))
        }
        if clipAudio { parts.append("clip_audio") }
        return parts.joined(separator: ",")
    }

    /// 20 MiB: the largest reference image read.
    public static let maxReferenceBytes = 20 << 20

    /// The chain a `media` section names, made with keys and addresses from `environment`.
    ///
    /// - Parameters:
    ///   - configuration: the section.
    ///   - images: the story's image provider (`providers.images`), for the `images` source.
    ///   - imagesArePaid: whether that provider costs money (so the budget applies to it).
    ///   - environment: keys (`OPENAI_API_KEY`, `PEXELS_API_KEY`) and addresses (`COMFYUI_URL`).
    ///   - transport: the HTTP transport for the remote sources.
    /// - Throws: ``StoryPipelineError`` with code `invalidConfiguration` for a problem of the section, a missing key
    ///   or an unreadable library, reference or workflow.
    public static func make(
        _ configuration: MediaConfiguration, images: any ImageGenerator, imagesArePaid: Bool,
        environment: [String: String], transport: any HTTPTransport = DefaultHTTPTransport()
    ) throws(StoryPipelineError) -> ShotMediaSources {
        let issues = configuration.issues
        guard issues.isEmpty else { throw .invalidConfiguration(issues.joined(separator: "; ")) }
        var references: [Data] = []
        var names: [String] = []
        for path in configuration.references ?? [] {
            let url = URL(fileURLWithPath: path)
            let data: Data
            do {
                let handle = try FileHandle(forReadingFrom: url)
                defer { try? handle.close() }
                data = try handle.read(upToCount: maxReferenceBytes + 1) ?? Data()
            } catch {
                throw .invalidConfiguration(
                    "media.references: cannot read \(path): \(FileNames.reason(error))", underlying: error)
            }
            guard data.count <= maxReferenceBytes else {
                throw .invalidConfiguration("media.references: \(path) is larger than 20 MiB")
            }
            guard data.starts(with: [0x89, 0x50, 0x4E, 0x47]) || data.starts(with: [0xFF, 0xD8, 0xFF]) else {
                throw .invalidConfiguration("media.references: \(path) is neither a PNG nor a JPEG")
            }
            references.append(data)
            names.append(url.lastPathComponent)
        }
        var sources: [any ShotMediaSource] = []
        let factory = MediaSourceFactory(
            configuration: configuration, images: images, imagesArePaid: imagesArePaid, environment: environment,
            transport: transport)
        for name in configuration.sources {
            sources.append(try factory.source(named: name))
        }
        return ShotMediaSources(
            sources: sources, references: references, referenceNames: names, budgetUsd: configuration.budgetUsd,
            clipAudio: configuration.clipAudio ?? false)
    }
}

/// What the paid media sources of one studio have spent, against the `media.budget_usd` limit.
///
/// The spend is this process's: a resumed run starts counting again from what its unfinished shots spend.
public actor MediaBudget {
    /// The limit in US dollars; `nil` for none.
    public nonisolated let limitUsd: Double?
    private var spent = 0.0

    /// Creates a budget.
    public init(limitUsd: Double?) {
        self.limitUsd = limitUsd
    }

    /// Dollars spent so far.
    public var spentUsd: Double { spent }

    /// Reserves `cost` when it fits in what is left; `false` (and nothing reserved) when it does not.
    public func reserve(_ cost: Double) -> Bool {
        guard cost > 0 else { return true }
        if let limitUsd, spent + cost > limitUsd { return false }
        spent += cost
        return true
    }

    /// Gives back a reservation (the call failed or cost less): `reserved` minus what it `actually` cost.
    public func settle(reserved: Double, actually: Double) {
        let refund = max(0, reserved) - max(0, actually.isFinite ? actually : reserved)
        spent = max(0, spent - refund)
    }
}

/// Makes the sources a `media` section names.
struct MediaSourceFactory {
    let configuration: MediaConfiguration
    let images: any ImageGenerator
    let imagesArePaid: Bool
    let environment: [String: String]
    let transport: any HTTPTransport

    /// 0.04 USD: OpenAI's list price of one standard-quality 1024×1792 `dall-e-3` image (and about a medium
    /// `gpt-image-1` one); check it before relying on a budget.
    static let openAIImagePrice = 0.04

    func source(named name: String) throws(StoryPipelineError) -> any ShotMediaSource {
        switch name {
        case "library":
            return MediaLibrarySource(
                library: try MediaLibrary(folder: URL(fileURLWithPath: configuration.library ?? "")))
        case "procedural":
            return ImageGeneratorSource(ProceduralImageGenerator(), name: "procedural")
        case "images":
            let price = imagesArePaid ? Self.openAIImagePrice : 0
            return ImageGeneratorSource(
                images, name: imagesArePaid ? "openai-images" : "procedural", costPerImageUsd: price)
        case "openai-images":
            guard environment["OPENAI_API_KEY"].map({ !$0.isEmpty }) ?? false else {
                throw .invalidConfiguration("media.sources names openai-images but OPENAI_API_KEY is not set")
            }
            // The editor takes the story's reference images (image edits); without them it generates.
            let provider = OpenAIImageEditor(configuration: .fromEnvironment(environment), transport: transport)
            return ImageGeneratorSource(provider, name: "openai-images", costPerImageUsd: Self.openAIImagePrice)
        default:
            return try remoteSource(named: name)
        }
    }
}
