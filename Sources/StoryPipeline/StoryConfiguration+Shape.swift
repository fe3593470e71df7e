import PipelineKit
import StoryForgeCore

extension StoryConfiguration {
    /// Copies the frame size (``Render/frameSize``) into the stages that lay out for it: the `timing` stage
    /// (subtitle canvas, margins, font size and line length) and the `keyframes` stage (half the frame, which the
    /// upscale stage enlarges ×2); and `story.speech_rate` into the `voice` stage. A stage's own parameters win.
    static func copy(frameSizeOf render: Render, speechRate: Double?, into pipeline: inout PipelineConfiguration) {
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
        if let speechRate { set(SynthesizeVoice.id.rawValue, ["speech_rate": .number(speechRate)]) }
    }
}
