import Foundation
import MediaIO
public import PipelineKit
import ProviderKit
public import StoryModels

/// One keyframe to paint: the fan-out's element.
public struct KeyframeJob: Codable, Hashable, Sendable {
    /// The prompt and seed (style and negative prompt come from the `keyframes` stage's parameters when empty).
    public var prompt: KeyframePrompt
    /// The story state the fan-out started from, kept in the artifact store so that the jobs stay small.
    public var state: ArtifactRef

    /// Creates a job.
    public init(prompt: KeyframePrompt, state: ArtifactRef) {
        self.prompt = prompt
        self.state = state
    }
}

/// One painted keyframe.
public struct KeyframeImage: Codable, Hashable, Sendable {
    /// The shot it belongs to.
    public var shotId: Int
    /// The image in the artifact store.
    public var image: ArtifactRef
    /// The story state the fan-out started from.
    public var state: ArtifactRef

    /// Creates the record.
    public init(shotId: Int, image: ArtifactRef, state: ArtifactRef) {
        self.shotId = shotId
        self.image = image
        self.state = state
    }
}

/// Stage 6a: one keyframe prompt per shot, each with a seed derived from the request's; the painting stage adds one
/// style prompt shared by all, so that characters and look stay consistent.
public struct PlanKeyframes: PipelineStage {
    /// `keyframe-plan`.
    public static let id: StageID = "keyframe-plan"
    /// Bumped when the prompts change.
    public static let version = 1

    /// Creates the stage.
    public init() {}

    /// The default style shared by every keyframe.
    public static let defaultStyle =
        "cinematic still, soft natural light, rich colour, shallow depth of field, consistent characters, vertical 9:16"

    /// Returns one job per shot.
    public func run(_ input: StoryState, context: StageContext) async throws -> [KeyframeJob] {
        let shotlist = try input.require(input.shotlist, "the shot list", from: PlanShots.id.rawValue)
        var state = input
        state.keyframePrompts = shotlist.shots.map { shot in
            KeyframePrompt(
                shotId: shot.id, prompt: "\(shot.visualPrompt). Mood: \(shot.mood).",
                seed: UInt64(truncatingIfNeeded: input.request.seed) &* 1000 &+ UInt64(shot.id))
        }
        let stateRef = try await context.artifacts.put(StoryJSON.encode(state), fileExtension: "json")
        return (state.keyframePrompts ?? []).map { KeyframeJob(prompt: $0, state: stateRef) }
    }
}

/// Stage 6b: paints one keyframe with the configured ``ImageGenerator``; run under `ForEach` so each is
/// checkpointed on its own.
///
/// Parameters: `width` (540), `height` (960): the size asked of the image provider (the upscale stage enlarges it to
/// the render size); `style` (a cinematic default shared by every shot); `negative_prompt`.
public struct PaintKeyframe: PipelineStage {
    /// `keyframes`.
    public static let id: StageID = "keyframes"
    /// Bumped when the request changes.
    public static let version = 1

    /// The shared services.
    public let services: StoryServices

    /// Creates the stage.
    public init(services: StoryServices) {
        self.services = services
    }

    /// Paints the job's keyframe, checks it decodes, and stores it.
    public func run(_ job: KeyframeJob, context: StageContext) async throws -> KeyframeImage {
        let width = Int(context.configuration.number("width") ?? 540)
        let height = Int(context.configuration.number("height") ?? 960)
        guard (16...4096).contains(width), (16...4096).contains(height) else {
            throw StoryPipelineError.invalidConfiguration(
                "stages.keyframes.parameters: width and height must be 16…4096, got \(width)×\(height)")
        }
        let style =
            job.prompt.style.isEmpty
            ? context.configuration.string("style") ?? PlanKeyframes.defaultStyle : job.prompt.style
        let negative =
            job.prompt.negativePrompt.isEmpty
            ? context.configuration.string("negative_prompt") ?? "text, watermark, logo, blurry, deformed"
            : job.prompt.negativePrompt
        let prompt = [job.prompt.prompt, style].filter { !$0.isEmpty }.joined(separator: ". ")
        let images: [GeneratedImage]
        do {
            images = try await services.providers.images.generateImages(
                ImageRequest(
                    prompt: prompt, negativePrompt: negative.isEmpty ? nil : negative, width: width, height: height,
                    seed: Int(truncatingIfNeeded: job.prompt.seed), count: 1))
        } catch let error as ProviderError {
            throw StoryPipelineError.provider(
                "the image provider failed on shot \(job.prompt.shotId): \(error)", underlying: error)
        }
        guard let image = images.first else {
            throw StoryPipelineError.provider("the image provider returned no image for shot \(job.prompt.shotId)")
        }
        let decoded: DecodedImage
        do {
            decoded = try ImageDecoder().decode(image.data)
        } catch {
            throw StoryPipelineError.media(
                "the image for shot \(job.prompt.shotId) is not a readable PNG or JPEG: \(error)", underlying: error)
        }
        let png = try ImageEncoder(format: .png(.init(compressionLevel: 3))).encode(
            decoded.pixels.converted(to: .rgb, componentType: .uint8))
        let ref = try await context.artifacts.put(png, fileExtension: "png")
        return KeyframeImage(shotId: job.prompt.shotId, image: ref, state: job.state)
    }
}

/// Stage 6c: gathers the painted keyframes back into the story state.
public struct CollectKeyframes: PipelineStage {
    /// `keyframe-collect`.
    public static let id: StageID = "keyframe-collect"
    /// Bumped when the collection changes.
    public static let version = 1

    /// The shared services.
    public let services: StoryServices

    /// Creates the stage.
    public init(services: StoryServices) {
        self.services = services
    }

    /// Sets ``StoryState/keyframes`` in the order of the shots.
    public func run(_ input: [KeyframeImage], context: StageContext) async throws -> StoryState {
        guard let first = input.first else {
            throw StoryPipelineError.missingInput("no keyframes were painted: the shot list is empty")
        }
        let data = try await context.artifacts.data(for: first.state)
        var state: StoryState
        do {
            state = try StoryJSON.decode(StoryState.self, from: data)
        } catch {
            throw StoryPipelineError.file("the stored story state is unreadable: \(error)", underlying: error)
        }
        state.keyframes = input.sorted { $0.shotId < $1.shotId }.map(\.image)
        state.record(
            .init(
                stage: PaintKeyframe.id.rawValue, provider: services.providers.imageName,
                model: services.providers.imageModel, duration: 0,
                costUsd: Double(input.count) * (services.providers.prices[services.providers.imageModel]?.perImage ?? 0)
            ))
        return state
    }
}
