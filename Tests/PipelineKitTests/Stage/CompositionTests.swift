import PipelineKit
import PipelineKitTesting
import Testing

@Suite struct CompositionTests {
    @Test func chainTypesFlowFromFirstInputToLastOutput() async throws {
        let log = ExecutionLog()
        // The annotation is the type-level check: String in, String out, through Int and [Int].
        let pipeline: Pipeline<String, String> = Pipeline("numbers") {
            Length(log: log)
            Explode(log: log)
            ForEach(Square(log: log), maxConcurrency: 2)
            Sum(log: log)
            Describe(log: log)
        }
        #expect(pipeline.stages.map(\.id) == ["length", "explode", "square", "sum", "describe"])
        #expect(pipeline.stages[2].maxConcurrency == 2)
        #expect(pipeline.stages[0].maxConcurrency == nil)
        let output = try await makeRunner().run(pipeline, input: "abcd")
        #expect(output == "total=14")  // 0 + 1 + 4 + 9
    }

    @Test func pipelinesNestInsidePipelines() async throws {
        let log = ExecutionLog()
        let inner: Pipeline<Int, Int> = Pipeline("inner") {
            Explode(log: log)
            Sum(log: log)
        }
        let outer: Pipeline<String, Int> = Pipeline("outer") {
            Length(log: log)
            inner
            Increment(log: log)
        }
        #expect(outer.stages.count == 4)
        #expect(try await makeRunner().run(outer, input: "abcde") == 11)  // 0+1+2+3+4 = 10, + 1
    }

    @Test func forEachRunsDirectlyInInputOrder() async throws {
        let log = ExecutionLog()
        let fanOut = ForEach(Square(log: log, delay: .milliseconds(1)), maxConcurrency: 3)
        let context = StageContext(
            runID: "direct",
            stageID: Square.id,
            logger: .init(label: "test"),
            artifacts: InMemoryArtifactStore()
        )
        let output = try await fanOut.run(Array(0..<10), context: context)
        #expect(output == (0..<10).map { $0 * $0 })
        #expect(log.peak <= 3)
    }

    @Test func erasedStagesDescribeThemselves() {
        let log = ExecutionLog()
        #expect(AnyPipelineStage(Length(log: log)).description == "length@1")
        #expect(AnyPipelineStage(ForEach(Square(log: log), maxConcurrency: 5)).description == "square@1 [fan-out ×5]")
        #expect(AnyPipelineStage(Increment(log: log)).hasFallback)  // Int -> Int: the identity
        #expect(!AnyPipelineStage(Length(log: log)).hasFallback)  // String -> Int: none unless given
        #expect(AnyPipelineStage(Length(log: log).fallback { $0.utf8.count }).hasFallback)
    }
}
