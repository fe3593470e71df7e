public import Foundation

/// What a video is made of: shots of still images with motion, transitions, a voice, optional music
/// and optional ASS subtitles.
public struct VideoComposition: Sendable, Hashable {
    /// One still image on screen for a while.
    public struct Shot: Sendable, Hashable {
        /// The image file (PNG or JPEG, any size and aspect: it is cropped to fill, never stretched).
        public var image: URL
        /// Seconds on screen, including the halves of any crossfades it takes part in.
        public var duration: Double
        /// How the camera moves over the image.
        public var motion: Motion

        /// Creates a shot.
        public init(image: URL, duration: Double, motion: Motion = .still) {
            self.image = image
            self.duration = duration
            self.motion = motion
        }
    }

    /// Ken Burns camera motion over a still image.
    public enum Motion: Sendable, Hashable {
        /// No motion.
        case still
        /// Zoom from the full frame in by ``RenderSettings/zoomAmount``.
        case zoomIn
        /// Zoom from ``RenderSettings/zoomAmount`` out to the full frame.
        case zoomOut
        /// Pan across the image, zoomed in by ``RenderSettings/zoomAmount``.
        case pan(Direction)
    }

    /// A direction of camera travel.
    public enum Direction: Sendable, Hashable {
        /// The view travels to the left.
        case left
        /// The view travels to the right.
        case right
        /// The view travels up.
        case up
        /// The view travels down.
        case down
        /// The view travels up and to the left.
        case upLeft
        /// The view travels up and to the right.
        case upRight
        /// The view travels down and to the left.
        case downLeft
        /// The view travels down and to the right.
        case downRight
    }

    /// How one shot gives way to the next.
    public enum Transition: Sendable, Hashable {
        /// A hard cut.
        case cut
        /// A crossfade lasting this many seconds; it overlaps the end of one shot and the start of the next.
        case crossfade(Double)
    }

    /// How subtitles reach the viewer.
    public enum SubtitleMode: Sendable, Hashable {
        /// Drawn into the picture by libass (every player shows them).
        case burned
        /// A soft `mov_text` track that players can switch on and off.
        case soft
    }

    /// The shots in order.
    public var shots: [Shot]
    /// Transitions between shots: `transitions[i]` joins shot `i` and `i + 1`. Missing entries are cuts.
    public var transitions: [Transition]
    /// The voice-over; the video lasts as long as the voice (the last shot is held) or the shots,
    /// whichever is longer.
    public var voice: URL?
    /// Background music, looped to length and ducked under the voice.
    public var music: URL?
    /// An ASS subtitle file, laid out for the output size.
    public var subtitles: URL?
    /// Burned-in or soft subtitles.
    public var subtitleMode: SubtitleMode

    /// Creates a composition.
    public init(
        shots: [Shot], transitions: [Transition] = [], voice: URL? = nil, music: URL? = nil, subtitles: URL? = nil,
        subtitleMode: SubtitleMode = .burned
    ) {
        self.shots = shots
        self.transitions = transitions
        self.voice = voice
        self.music = music
        self.subtitles = subtitles
        self.subtitleMode = subtitleMode
    }
}
