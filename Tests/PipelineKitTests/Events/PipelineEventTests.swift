import PipelineKit
import Testing

/// `PipelineEvent` is a struct with a kind, so a host's `switch` keeps compiling when a kind is added.
@Suite("PipelineEvent")
struct PipelineEventTests {
    static let all: [PipelineEvent] = [
        .runStarted(runID: "r", pipeline: "p", resumed: true),
        .stageStarted(runID: "r", stage: "a", index: 0),
        .progress(runID: "r", stage: "a", index: 0, fraction: 0.5, detail: "half"),
        .retrying(runID: "r", stage: "a", index: 0, attempt: 1, delay: .seconds(2), error: "boom"),
        .cacheHit(runID: "r", stage: "a", index: 0, source: .cache),
        .stageSkipped(runID: "r", stage: "b", index: 1),
        .stageFinished(runID: "r", stage: "a", index: 0, duration: .seconds(3), attempts: 2),
        .stageFailed(runID: "r", stage: "b", index: 1, error: "gone", willContinue: true),
        .runFinished(runID: "r", status: .succeeded, duration: .seconds(9)),
    ]

    @Test("each factory sets its kind and the fields that kind carries, and no stage for run events")
    func factoriesSetTheirFields() {
        #expect(Set(Self.all.map(\.kind)).count == Self.all.count)
        #expect(Self.all.allSatisfy { $0.runID == "r" })
        let byKind = Dictionary(uniqueKeysWithValues: Self.all.map { ($0.kind, $0) })
        #expect(byKind[.runStarted]?.pipeline == "p")
        #expect(byKind[.runStarted]?.resumed == true)
        #expect(byKind[.runStarted]?.stage == nil)
        #expect(byKind[.progress]?.fraction == 0.5)
        #expect(byKind[.progress]?.detail == "half")
        #expect(byKind[.retrying]?.attempt == 1)
        #expect(byKind[.retrying]?.delay == .seconds(2))
        #expect(byKind[.cacheHit]?.source == .cache)
        #expect(byKind[.stageFinished]?.attempts == 2)
        #expect(byKind[.stageFailed]?.willContinue == true)
        #expect(byKind[.stageFailed]?.index == 1)
        #expect(byKind[.runFinished]?.status == .succeeded)
        #expect(byKind[.runFinished]?.stage == nil)
        #expect(byKind[.stageStarted]?.description == "stageStarted r a#0")
    }

    @Test("a host's switch over kinds needs a default, and events compare by every field")
    func switchWithDefault() {
        let names = Self.all.map { event -> String in
            switch event.kind {
            case .stageStarted: "started"
            case .stageFinished: "finished"
            default: "other"
            }
        }
        #expect(names.filter { $0 != "other" } == ["started", "finished"])
        #expect(
            PipelineEvent.stageStarted(runID: "r", stage: "a", index: 0)
                != PipelineEvent.stageStarted(runID: "r", stage: "a", index: 1))
    }
}
