import PipelineKit
import StoryPipeline

/// The host's own idea choice, in place of the SDK's `SelectIdea`: the candidate with the longest logline (a
/// host that wants the fullest premise), the first of those on a tie so the choice is the same for the same seed.
struct SelectFullestIdea: StoryStage {
    static let id: StageID = "select-fullest-idea"
    static let version = 1

    func run(_ state: inout StoryState, parameters: NoStageParameters, context: StageContext) async throws
        -> StoryStageReport?
    {
        guard var best = state.candidates.first else { throw HostCheckFailure("no candidate ideas to choose from") }
        for idea in state.candidates.dropFirst() where idea.logline.count > best.logline.count { best = idea }
        state.idea = best
        return StoryStageReport(provider: "host-app", model: "longest-logline")
    }
}

/// A stage the default pipeline does not have: ends the narration with a sign-off line, before the shots are
/// planned and the voice is made. Its parameters come from the configuration file's
/// `pipeline.stages.sign-off.parameters`.
struct AddSignOff: StoryStage {
    static let id: StageID = "sign-off"
    static let version = 1

    struct Parameters: StoryStageParameters {
        static let line = StageParameter.string("line", maxLength: 200)
        // A sign-off longer than this is a second story, not a sign-off.
        static let maxWords = StageParameter.integer("max_words", in: 1...40, unit: "words")
        static let declarations = [line, maxWords]
        var line = "Follow for more."
        var maxWords = 8

        init(from decoder: any Decoder) throws {
            let reader = try StageParameterReader(decoder)
            line = try reader.string(Self.line) ?? line
            maxWords = try reader.integer(Self.maxWords) ?? maxWords
            let words = line.split(whereSeparator: \.isWhitespace).count
            guard words <= maxWords else {
                throw StageParameterProblem(
                    path: "line", "has \(words) words, more than max_words (\(maxWords)): shorten it or raise max_words"
                )
            }
        }
    }

    func run(_ state: inout StoryState, parameters: Parameters, context: StageContext) async throws
        -> StoryStageReport?
    {
        var script = try state.required(\.script)
        let text = script.current.text + " " + parameters.line
        _ = try script.append(.enhanced, text: text, from: script.current.number, score: script.current.score)
        state.script = script
        return StoryStageReport(provider: "host-app", model: "sign-off")
    }
}

/// A check of the host's that did not hold.
struct HostCheckFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
