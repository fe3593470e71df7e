/// One shot of a ``Shotlist``: when it plays, what it says and what it shows.
public struct Shot: Codable, Hashable, Sendable, Identifiable {
    /// How a shot gives way to the next one.
    public enum Transition: String, Codable, Hashable, Sendable, CaseIterable {
        /// A hard cut.
        case cut
        /// A crossfade into the next shot.
        case crossfade
        /// A fade through black.
        case fadeToBlack = "fade_to_black"
    }

    /// The shot's identifier, stable across repairs (usually its 1-based position).
    public var id: Int
    /// When the shot starts, in seconds from the start of the voice.
    public var start: Double
    /// When the shot ends, in seconds.
    public var end: Double
    /// How long the shot lasts, in seconds; equal to `end − start` in a valid list.
    public var duration: Double
    /// The narration spoken over the shot.
    public var narration: NarrationSpan
    /// What happens in the scene, in prose.
    public var sceneDescription: String
    /// The prompt for the shot's keyframe image.
    public var visualPrompt: String
    /// The mood, e.g. "tense".
    public var mood: String
    /// The camera framing, e.g. "close-up", "wide".
    public var camera: String
    /// The camera motion, e.g. "slow push-in", "pan left".
    public var motion: String
    /// How this shot gives way to the next.
    public var transition: Transition

    /// Creates a shot whose duration is `end − start`.
    public init(
        id: Int,
        start: Double,
        end: Double,
        narration: NarrationSpan,
        sceneDescription: String,
        visualPrompt: String,
        mood: String = "",
        camera: String = "",
        motion: String = "",
        transition: Transition = .cut
    ) {
        self.id = id
        self.start = start
        self.end = end
        self.duration = end - start
        self.narration = narration
        self.sceneDescription = sceneDescription
        self.visualPrompt = visualPrompt
        self.mood = mood
        self.camera = camera
        self.motion = motion
        self.transition = transition
    }
}

/// The part of the narration spoken over a shot: its text and its word positions in the script.
public struct NarrationSpan: Codable, Hashable, Sendable {
    /// The words spoken over the shot.
    public var text: String
    /// The index of the first word in the script's current version (0-based).
    public var firstWord: Int
    /// The index one past the last word; equal to ``firstWord`` for a silent shot.
    public var endWord: Int

    /// Creates a span.
    public init(text: String, firstWord: Int, endWord: Int) {
        self.text = text
        self.firstWord = firstWord
        self.endWord = endWord
    }
}
