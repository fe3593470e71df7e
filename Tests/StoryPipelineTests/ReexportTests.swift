import StoryPipeline
import Testing

/// A host that imports only StoryPipeline can write a story stage: PipelineKit's stage types come with it.
/// (This file must not import PipelineKit: it compiles only while StoryPipeline re-exports it.)
@Suite struct ReexportTests {
    struct Shout: StoryStage {
        static let id: StageID = "shout"
        static let version = 1

        func run(_ state: inout StoryState, parameters: NoStageParameters, context: StageContext) async throws
            -> StoryStageReport?
        {
            nil
        }
    }

    @Test func aStoryStageNeedsOnlyStoryPipeline() {
        #expect(Shout.id == StageID("shout"))
    }
}
