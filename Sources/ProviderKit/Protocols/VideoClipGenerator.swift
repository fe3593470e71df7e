public import Foundation

/// What clip to make: the moving counterpart of ``ImageRequest``.
public struct ClipRequest: Sendable, Hashable {
    /// What to show.
    public var prompt: String
    /// What to avoid, where the provider supports it.
    public var negativePrompt: String?
    /// Pictures the clip should stay consistent with (a character, a style, or the first frame for
    /// image-to-video), encoded (PNG or JPEG); empty for text-to-video.
    public var referenceImages: [Data]
    /// How long the clip should last, in seconds; providers round to the lengths they offer.
    public var seconds: Double
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// A seed for reproducible output, where the provider honours one.
    public var seed: Int?
    /// The model; `nil` for the provider's default.
    public var model: String?

    /// Creates a clip request; the default size is 1080×1920, the vertical video frame.
    public init(
        prompt: String,
        negativePrompt: String? = nil,
        referenceImages: [Data] = [],
        seconds: Double,
        width: Int = 1080,
        height: Int = 1920,
        seed: Int? = nil,
        model: String? = nil
    ) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.referenceImages = referenceImages
        self.seconds = seconds
        self.width = width
        self.height = height
        self.seed = seed
        self.model = model
    }
}

/// One generated video clip, written to a file the caller chose (clips are too large to hold in memory).
public struct GeneratedClip: Sendable, Hashable {
    /// The clip file (MP4, WebM, …; the composer probes it, it does not trust the extension).
    public var file: URL
    /// Its MIME type as the provider reported it, e.g. `video/mp4`.
    public var mimeType: String
    /// Its length in seconds as the provider reported it; `nil` when it reported none (the composer probes it).
    public var seconds: Double?
    /// The prompt the provider actually used, when it rewrote it.
    public var revisedPrompt: String?
    /// Which provider served it and how, when it came through a decorator or a router.
    public var origin: ResponseOrigin?

    /// Creates a generated clip.
    public init(
        file: URL, mimeType: String, seconds: Double? = nil, revisedPrompt: String? = nil,
        origin: ResponseOrigin? = nil
    ) {
        self.file = file
        self.mimeType = mimeType
        self.seconds = seconds
        self.revisedPrompt = revisedPrompt
        self.origin = origin
    }
}

/// Makes video clips from prompts (and reference images): ComfyUI's video workflows, OpenAI's `/v1/videos`.
public protocol VideoClipGenerator: Provider {
    /// Generates one clip and writes it to `destination` (a file path in a directory the caller owns; the
    /// generator writes nothing else outside it). Cancelling the task cancels the remote job where the API can.
    func generateClip(_ request: ClipRequest, to destination: URL) async throws -> GeneratedClip
}
