public import Foundation

/// What picture to make.
public struct ImageRequest: Sendable, Hashable {
    /// What to draw.
    public var prompt: String
    /// What to avoid, where the provider supports it.
    public var negativePrompt: String?
    /// Width in pixels.
    public var width: Int
    /// Height in pixels.
    public var height: Int
    /// A seed for reproducible output, where the provider honours one.
    public var seed: Int?
    /// How many images.
    public var count: Int
    /// The model; `nil` for the provider's default.
    public var model: String?

    /// Creates an image request; the default size is 1080×1920, the vertical video frame.
    public init(
        prompt: String,
        negativePrompt: String? = nil,
        width: Int = 1080,
        height: Int = 1920,
        seed: Int? = nil,
        count: Int = 1,
        model: String? = nil
    ) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.width = width
        self.height = height
        self.seed = seed
        self.count = count
        self.model = model
    }
}

/// One generated image.
public struct GeneratedImage: Sendable, Hashable {
    /// The encoded image.
    public var data: Data
    /// Its MIME type, e.g. `image/png`.
    public var mimeType: String
    /// The prompt the provider actually used, when it rewrote it.
    public var revisedPrompt: String?
    /// Which provider served it and how, when it came through a decorator or a router.
    public var origin: ResponseOrigin?

    /// Creates a generated image.
    public init(data: Data, mimeType: String, revisedPrompt: String? = nil, origin: ResponseOrigin? = nil) {
        self.origin = origin
        self.data = data
        self.mimeType = mimeType
        self.revisedPrompt = revisedPrompt
    }
}

/// Makes images from prompts.
public protocol ImageGenerator: Provider {
    /// Generates `request.count` images.
    func generateImages(_ request: ImageRequest) async throws -> [GeneratedImage]
}
