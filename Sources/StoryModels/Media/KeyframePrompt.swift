/// What to ask an image generator for one shot's keyframe.
public struct KeyframePrompt: Codable, Hashable, Sendable {
    /// The ``Shot/id`` of the shot the keyframe is for.
    public var shotId: Int
    /// What the image should show.
    public var prompt: String
    /// What the image must not show.
    public var negativePrompt: String
    /// The style shared by every keyframe of a story, which keeps them consistent.
    public var style: String
    /// The generator's seed; shared across a story's shots for consistency.
    public var seed: UInt64

    /// Creates a keyframe prompt.
    public init(shotId: Int, prompt: String, negativePrompt: String = "", style: String = "", seed: UInt64) {
        self.shotId = shotId
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.style = style
        self.seed = seed
    }
}
