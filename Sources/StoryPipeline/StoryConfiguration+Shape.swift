import PipelineKit
import StoryForgeCore

extension StoryConfiguration {
    /// Copies the frame size (``Render/frameSize``) into the stages that lay out for it: the `timing` stage
    /// (subtitle canvas, margins, font size and line length) and the `keyframes` stage (half the frame, which the
    /// upscale stage enlarges ×2); `story.speech_rate` into the `voice`, `script` and `revise` stages, and
    /// `story.title_hook` into the `timing` stage. A stage's own parameters win.
    static func copy(
        frameSizeOf render: Render, speechRate: Double?, titleHook: TitleHook?,
        into pipeline: inout PipelineConfiguration
    ) {
        func set(_ stage: String, _ values: [String: JSONValue]) {
            guard !values.isEmpty else { return }
            var configuration = pipeline.stages[stage] ?? StageConfiguration()
            var parameters = configuration.parameters?.values ?? [:]
            for (key, value) in values where parameters[key] == nil { parameters[key] = value }
            configuration.parameters = StageParameters(parameters)
            pipeline.stages[stage] = configuration
        }
        if let size = render.frameSize {
            set(TimeWords.id.rawValue, ["width": .number(Double(size.width)), "height": .number(Double(size.height))])
            let existing = pipeline.stages[PaintKeyframe.id.rawValue]?.parameters?.values ?? [:]
            // A keyframe size of the user's (either side) is kept whole: half of one side and theirs of the other
            // would distort the picture.
            if existing["width"] == nil, existing["height"] == nil {
                let half = (width: (size.width / 2 + 1) / 2 * 2, height: (size.height / 2 + 1) / 2 * 2)
                set(
                    PaintKeyframe.id.rawValue,
                    ["width": .number(Double(half.width)), "height": .number(Double(half.height))])
            }
        }
        if let speechRate {
            // The voice speaks at the rate; the script stages write the words that rate needs for the target length.
            for stage in [SynthesizeVoice.id, WriteScript.id, ReviseScript.id] {
                set(stage.rawValue, ["speech_rate": .number(speechRate)])
            }
        }
        if let titleHook {
            var values: [String: JSONValue] = ["title_hook": .bool(true)]
            if let text = titleHook.text { values["hook_text"] = .string(text) }
            set(TimeWords.id.rawValue, values)
        }
    }

    /// `story.title_hook`: the story's title or a line of the user's, overlaid over the first seconds.
    public struct TitleHook: Codable, Sendable, Hashable {
        /// The text; `nil` for the story's title.
        public var text: String?

        /// The story's title (`"title_hook": true`).
        public static let storyTitle = TitleHook(text: nil)

        /// A hook with `text` (`nil` for the story's title).
        public init(text: String?) {
            self.text = text
        }

        /// Reads `true` (the story's title) or a string; `false` is no hook, which ``Story`` reads as `nil`.
        public init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self), flag {
                text = nil
            } else {
                text = try container.decode(String.self)
            }
        }

        /// Writes `true` for the story's title, else the text.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            if let text { try container.encode(text) } else { try container.encode(true) }
        }
    }
}
