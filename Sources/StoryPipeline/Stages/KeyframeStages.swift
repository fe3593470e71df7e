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
    /// What the shot shows and which source supplied it, when the story has media sources (``StoryProviders/media``);
    /// `nil` for a still from the image provider (and then absent from the encoding, so such runs' keys are unchanged).
    public var media: ShotMedia?

    /// Creates the record.
    public init(shotId: Int, image: ArtifactRef, state: ArtifactRef, media: ShotMedia? = nil) {
        self.shotId = shotId
        self.image = image
        self.state = state
        self.media = media
    }
}

/// Stage 6a: one keyframe prompt per shot, each with a seed derived from the request's; the painting stage adds one
/// style prompt shared by all, so that characters and look stay consistent.
///
/// Every keyframe is a paid image call: with more shots than `max_images`, only that many evenly spaced shots are
/// painted and each other shot shows the keyframe of the painted shot before it (noted in
/// ``StoryState/capsApplied``).
///
/// Parameters: `max_images` (1…200; default one per 2 s of the target length, 23 for 45 s).
public struct PlanKeyframes: PipelineStage {
    /// `keyframe-plan`.
    public static let id: StageID = "keyframe-plan"
    /// Bumped when the prompts change.
    public static let version = 1

    /// `max_images`: the most image calls for one story.
    public static let maxImages = StageParameter.integer(
        "max_images", in: 1...OutputCaps.hardMaximumShots, unit: "images")

    /// The stage's parameters.
    public struct Parameters: StoryStageParameters {
        /// `max_images`.
        public static let declarations = [PlanKeyframes.maxImages]
        /// The most image calls; `nil` for one per 2 s of the target length.
        public var maxImages: Int?

        /// Parameters with the defaults.
        public init() {}

        /// Decodes and range-checks the parameters.
        public init(from decoder: any Decoder) throws {
            maxImages = try StageParameterReader(decoder).integer(PlanKeyframes.maxImages)
        }
    }

    /// The parameters the stage reads.
    public static var parameters: [StageParameter]? { Parameters.declarations }

    /// Creates the stage.
    public init() {}

    /// The default style shared by every keyframe.
    public static let defaultStyle =
        "cinematic still, soft natural light, rich colour, shallow depth of field, consistent characters, vertical 9:16"

    /// Returns one job per shot.
    public func run(_ input: StoryState, context: StageContext) async throws -> [KeyframeJob] {
        let shotlist = try input.required(\.shotlist)
        var state = input
        let parameters = try context.parameters(Parameters.self, of: Self.id)
        let limit = parameters.maxImages ?? OutputCaps.defaultMaxShots(targetSeconds: input.request.targetSeconds)
        let painted = Self.paintedShots(count: shotlist.shots.count, limit: limit)
        if painted.count < shotlist.shots.count {
            state.noteCap(
                "keyframes: \(painted.count) images painted for \(shotlist.shots.count) shots "
                    + "(stages.keyframe-plan.parameters.max_images)")
            context.logger.warning(
                "fewer keyframes than shots: the image limit applies",
                metadata: ["story.shots": "\(shotlist.shots.count)", "story.max_images": "\(limit)"])
        }
        state.keyframePrompts = painted.map { shotlist.shots[$0] }.map { shot in
            KeyframePrompt(
                shotId: shot.id, prompt: "\(shot.visualPrompt). Mood: \(shot.mood).",
                seed: UInt64(truncatingIfNeeded: input.request.seed) &* 1000 &+ UInt64(truncatingIfNeeded: shot.id))
        }
        let stateRef = try await context.artifacts.put(StoryJSON.encode(state), fileExtension: "json")
        return (state.keyframePrompts ?? []).map { KeyframeJob(prompt: $0, state: stateRef) }
    }
}

extension PlanKeyframes {
    /// The indices of the shots to paint: all of them within `limit`, else `limit` evenly spaced ones, the first
    /// always among them.
    static func paintedShots(count: Int, limit: Int) -> [Int] {
        let limit = max(1, limit)
        guard count > limit else { return Array(0..<count) }
        return (0..<limit).map { $0 * count / limit }
    }
}

/// Stage 6b: paints one keyframe with the configured ``ImageGenerator``; run under `ForEach` so each is
/// checkpointed on its own.
///
/// Parameters: `width` (540), `height` (960): the size asked of the image provider (the upscale stage enlarges it to
/// the render size; the configuration's render size or `aspect` sets half of it here); `style` (a cinematic default shared by every shot); `negative_prompt`.
public struct PaintKeyframe: PipelineStage {
    /// `keyframes`.
    public static let id: StageID = "keyframes"
    /// Bumped when the request changes.
    public static let version = 1

    /// The shared services.
    public let services: StoryServices

    /// `width`: the keyframe width asked of the image provider.
    public static let width = StageParameter.integer("width", in: 16...4096, unit: "pixels")
    /// `height`: the keyframe height asked of the image provider.
    public static let height = StageParameter.integer("height", in: 16...4096, unit: "pixels")
    /// `style`: the style every keyframe shares, unless its prompt has its own.
    public static let style = StageParameter.string("style")
    /// `negative_prompt`: what no keyframe should show, unless its prompt says.
    public static let negativePrompt = StageParameter.string("negative_prompt")

    /// The stage's parameters.
    public struct Parameters: StoryStageParameters {
        /// `width`, `height`, `style`, `negative_prompt`.
        public static let declarations = [
            PaintKeyframe.width, PaintKeyframe.height, PaintKeyframe.style, PaintKeyframe.negativePrompt,
        ]
        /// The width asked of the image provider, in pixels.
        public var width = 540
        /// The height asked of the image provider, in pixels.
        public var height = 960
        /// The shared style.
        public var style = PlanKeyframes.defaultStyle
        /// The shared negative prompt.
        public var negativePrompt = "text, watermark, logo, blurry, deformed"

        /// Parameters with the defaults.
        public init() {}

        /// Decodes and range-checks the parameters.
        public init(from decoder: any Decoder) throws {
            let reader = try StageParameterReader(decoder)
            width = try reader.integer(PaintKeyframe.width) ?? width
            height = try reader.integer(PaintKeyframe.height) ?? height
            style = try reader.string(PaintKeyframe.style) ?? style
            negativePrompt = try reader.string(PaintKeyframe.negativePrompt) ?? negativePrompt
        }
    }

    /// The parameters the stage reads.
    public static var parameters: [StageParameter]? { Parameters.declarations }

    /// Creates the stage.
    public init(services: StoryServices) {
        self.services = services
    }

    /// Paints the job's keyframe, checks it decodes, and stores it.
    public func run(_ job: KeyframeJob, context: StageContext) async throws -> KeyframeImage {
        let parameters = try context.parameters(Parameters.self, of: Self.id)
        let width = parameters.width
        let height = parameters.height
        var style = job.prompt.style.isEmpty ? parameters.style : job.prompt.style
        if style == PlanKeyframes.defaultStyle {
            // The default style names the frame's shape; it follows the size asked for (the same text at 9:16).
            style = PlanKeyframes.defaultStyle.replacingOccurrences(
                of: "vertical 9:16", with: FrameAspect.promptPhrase(width: width, height: height))
        }
        let negative = job.prompt.negativePrompt.isEmpty ? parameters.negativePrompt : job.prompt.negativePrompt
        let prompt = [job.prompt.prompt, style].filter { !$0.isEmpty }.joined(separator: ". ")
        if let media = services.providers.media {
            return try await MediaPainter(services: services, sources: media, context: context).paint(
                job, prompt: prompt, negativePrompt: negative.isEmpty ? nil : negative, width: width, height: height)
        }
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

    /// The stage reads no parameters.
    public static let parameters: [StageParameter]? = []

    /// Sets ``StoryState/keyframes`` in the order of the shots: one per shot, a shot that was not painted (see
    /// ``PlanKeyframes``) showing the keyframe of the painted shot before it.
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
        let painted = input.sorted { $0.shotId < $1.shotId }
        // Each shot's painted record: its own, or that of the painted shot before it.
        var perShot: [(shotID: Int, record: KeyframeImage)] = painted.map { ($0.shotId, $0) }
        if let shots = state.shotlist?.shots, painted.count < shots.count {
            var next = 0
            var current = painted[0]
            perShot = shots.map { shot in
                while next < painted.count, painted[next].shotId <= shot.id {
                    current = painted[next]
                    next += 1
                }
                return (shot.id, current)
            }
        }
        state.keyframes = perShot.map(\.record.image)
        if let media = services.providers.media {
            state.shotMedia = perShot.compactMap { entry in
                guard var record = entry.record.media else { return nil }
                record.shotID = entry.shotID
                return record
            }
            let cost = input.compactMap(\.media).reduce(0.0) { $0 + ($1.costUsd ?? 0) }
            state.record(
                .init(stage: PaintKeyframe.id.rawValue, provider: media.name, model: "", duration: 0, costUsd: cost))
            return state
        }
        state.record(
            .init(
                stage: PaintKeyframe.id.rawValue, provider: services.providers.imageRecord.provider,
                model: services.providers.imageRecord.model, duration: 0,
                costUsd: Double(input.count)
                    * (services.providers.prices[services.providers.imageRecord.model]?.perImage ?? 0)))
        return state
    }
}
