public import Foundation

/// What a video is made of: shots of still images with motion or of video clips, transitions, a voice, optional
/// music and optional ASS subtitles.
public struct VideoComposition: Sendable, Hashable {
    /// One still image, or one video clip, on screen for a while.
    public struct Shot: Sendable, Hashable {
        /// The image file (PNG or JPEG, any size and aspect: it is cropped to fill, never stretched); for a clip
        /// shot, the clip's file.
        public var image: URL
        /// Seconds on screen, including the halves of any crossfades it takes part in.
        public var duration: Double
        /// How the camera moves over the image (clips play as they are: their motion is their own).
        public var motion: Motion
        /// The video clip this shot plays instead of a still, or `nil` for a still.
        public var clip: Clip?

        /// Creates a shot of a still image.
        public init(image: URL, duration: Double, motion: Motion = .still) {
            self.image = image
            self.duration = duration
            self.motion = motion
            self.clip = nil
        }

        /// Creates a shot of a video clip.
        public init(clip: Clip, duration: Double) {
            self.image = clip.file
            self.duration = duration
            self.motion = .still
            self.clip = clip
        }
    }

    /// A video clip on screen for a shot: any container, codec, size, aspect and frame rate ffmpeg reads
    /// (variable frame rates too); scaled to fill the frame and centre-cropped, resampled to the output's frame rate,
    /// and fitted to the shot's length by ``fit``.
    public struct Clip: Sendable, Hashable {
        /// The clip's file.
        public var file: URL
        /// How the clip is fitted to a shot of another length.
        public var fit: ClipFit
        /// Whether the clip's own sound is mixed in, ducked under the voice like music (clips are muted by default).
        public var audio: Bool

        /// Creates a clip.
        public init(file: URL, fit: ClipFit = .automatic, audio: Bool = false) {
            self.file = file
            self.fit = fit
            self.audio = audio
        }
    }

    /// How a clip is fitted to its shot's length. A clip at least as long as its shot is always trimmed (its first
    /// seconds play); the fits differ in what a shorter clip does.
    public struct ClipFit: Sendable, Hashable, CustomStringConvertible {
        private enum Base: String, Sendable, Hashable {
            case automatic, trim, loop, slow
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Slow when the shot is at most ``maximumSlowdown`` times the clip's length, loop when it is longer.
        public static let automatic = ClipFit(.automatic)
        /// Play the clip once; a shorter clip holds its last frame to the end of the shot.
        public static let trim = ClipFit(.trim)
        /// Play the clip again from its start until the shot ends.
        public static let loop = ClipFit(.loop)
        /// Play the clip slower, at most ``maximumSlowdown`` times, to fill the shot; a clip still shorter holds its
        /// last frame for the rest.
        public static let slow = ClipFit(.slow)

        /// The most a clip is slowed (2×: slower than that, motion reads as a stutter of repeated frames).
        public static let maximumSlowdown = 2.0

        /// `automatic`, `trim`, `loop` or `slow`.
        public var description: String { base.rawValue }
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
