public import Foundation
public import ProviderKit

/// An ``ProviderKit/ImageGenerator`` as a shot source: procedural art, OpenAI images, ComfyUI's image workflow.
///
/// A generator that takes reference images (``ReferenceImageGenerator``) gets the story's references.
public struct ImageGeneratorSource: ShotMediaSource {
    /// The generator.
    public let generator: any ImageGenerator
    /// The name in ``ShotMedia/source`` and configuration files (`procedural`, `openai-images`, `comfyui`).
    public let name: String
    /// What one image costs in US dollars (0 for a local generator).
    public let estimatedCostUsd: Double

    /// Creates the source.
    public init(_ generator: any ImageGenerator, name: String, costPerImageUsd: Double = 0) {
        self.generator = generator
        self.name = name
        self.estimatedCostUsd = costPerImageUsd
    }

    /// The generator's identity.
    public var identity: ProviderIdentity { generator.identity }

    /// One image for the shot's prompt, seed and size.
    public func media(for request: ShotMediaRequest, in directory: URL) async throws -> ShotMediaCandidate? {
        let imageRequest = ImageRequest(
            prompt: request.prompt, negativePrompt: request.negativePrompt, width: request.width,
            height: request.height, seed: request.seed, count: 1)
        let images: [GeneratedImage]
        let referenced = generator as? any ReferenceImageGenerator
        if let referenced, !request.references.isEmpty {
            images = try await referenced.generateImages(imageRequest, references: request.references)
        } else {
            images = try await generator.generateImages(imageRequest)
        }
        guard let image = images.first else { return nil }
        return ShotMediaCandidate(
            content: .still(image.data), costUsd: estimatedCostUsd,
            usedReferences: referenced != nil && !request.references.isEmpty)
    }
}

/// An image generator that can keep its pictures consistent with reference images (a ComfyUI workflow with a
/// reference slot, OpenAI image edits).
public protocol ReferenceImageGenerator: ImageGenerator {
    /// Generates images that follow `references` (encoded PNG or JPEG) as well as the prompt.
    func generateImages(_ request: ImageRequest, references: [Data]) async throws -> [GeneratedImage]
}

/// A ``ProviderKit/VideoClipGenerator`` as a shot source: ComfyUI's video workflow, OpenAI video.
public struct ClipGeneratorSource: ShotMediaSource {
    /// The generator.
    public let generator: any VideoClipGenerator
    /// The name in ``ShotMedia/source`` and configuration files (`comfyui-video`, `openai-video`).
    public let name: String
    /// What one second of clip costs in US dollars.
    public let costPerSecondUsd: Double
    /// The longest clip asked for, in seconds (a longer shot loops or slows it).
    public let maxSeconds: Double

    /// Creates the source.
    public init(
        _ generator: any VideoClipGenerator, name: String, costPerSecondUsd: Double = 0, maxSeconds: Double = 8
    ) {
        self.generator = generator
        self.name = name
        self.costPerSecondUsd = costPerSecondUsd
        self.maxSeconds = maxSeconds
    }

    /// The generator's identity.
    public var identity: ProviderIdentity { generator.identity }
    /// The price of the longest clip asked for.
    public var estimatedCostUsd: Double { costPerSecondUsd * maxSeconds }

    /// One clip for the shot, written into `directory`.
    public func media(for request: ShotMediaRequest, in directory: URL) async throws -> ShotMediaCandidate? {
        let seconds = min(max(1, request.seconds.isFinite ? request.seconds : 1), maxSeconds)
        let destination = directory.appendingPathComponent("\(name)-\(request.shotID).mp4")
        let clip = try await generator.generateClip(
            ClipRequest(
                prompt: request.prompt, negativePrompt: request.negativePrompt, referenceImages: request.references,
                seconds: seconds, width: request.width, height: request.height, seed: request.seed),
            to: destination)
        let reported = clip.seconds.flatMap { $0.isFinite && $0 >= 0 ? $0 : nil } ?? seconds
        return ShotMediaCandidate(
            content: .clip(clip.file), costUsd: costPerSecondUsd * reported, usedReferences: !request.references.isEmpty
        )
    }
}
