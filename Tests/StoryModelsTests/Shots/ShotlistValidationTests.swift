import StoryModels
import Testing

@Suite("Shotlist validation")
struct ShotlistValidationTests {
    typealias F = Fixtures

    @Test("contiguous shots matching the voice are valid")
    func valid() {
        let list = Shotlist(shots: [F.shot(1, 0, 3), F.shot(2, 3, 7.5), F.shot(3, 7.5, 12)])
        #expect(list.validate(voiceDuration: 12.3).isEmpty)
        #expect(list.totalDuration == 12)
    }

    @Test("gaps and overlaps up to 0.1 s pass; beyond are reported with the shot and amount")
    func gapsAndOverlaps() throws {
        #expect(Shotlist(shots: [F.shot(1, 0, 3), F.shot(2, 3.09, 6)]).validate().isEmpty)
        #expect(Shotlist(shots: [F.shot(1, 0, 3), F.shot(2, 2.91, 6)]).validate().isEmpty)
        let gap = Shotlist(shots: [F.shot(1, 0, 3), F.shot(2, 3.5, 6)]).validate()
        #expect(gap.count == 1)
        guard case .gap(let shot, let seconds) = try #require(gap.first) else {
            Issue.record("expected a gap, got \(gap)")
            return
        }
        #expect(shot == 1 && abs(seconds - 0.5) < 1e-9)
        let overlap = Shotlist(shots: [F.shot(1, 0, 3), F.shot(2, 2, 6)]).validate()
        guard case .overlap(let shot, let seconds) = try #require(overlap.first) else {
            Issue.record("expected an overlap, got \(overlap)")
            return
        }
        #expect(shot == 1 && abs(seconds - 1) < 1e-9)
    }

    @Test("zero and negative durations are reported")
    func nonPositive() {
        let issues = Shotlist(shots: [F.shot(1, 0, 0), F.shot(2, 0, 3), F.shot(3, 3, 2)]).validate()
        #expect(issues.contains(.nonPositiveDuration(shot: 1, duration: 0)))
        #expect(issues.contains(.nonPositiveDuration(shot: 3, duration: -1)))
        #expect(!issues.contains { if case .nonPositiveDuration(2, _) = $0 { true } else { false } })
    }

    @Test("a stated duration that disagrees with end − start is reported")
    func mismatch() {
        var shot = F.shot(1, 0, 3)
        shot.duration = 5
        #expect(Shotlist(shots: [shot]).validate() == [.durationMismatch(shot: 1, stated: 5, actual: 3)])
    }

    @Test("the total must be within 0.5 s of the voice")
    func total() {
        let list = Shotlist(shots: [F.shot(1, 0, 3), F.shot(2, 3, 10)])
        #expect(list.validate(voiceDuration: 10.5).isEmpty)
        #expect(list.validate(voiceDuration: 9.5).isEmpty)
        #expect(list.validate(voiceDuration: 10.6) == [.totalMismatch(total: 10, voice: 10.6)])
        #expect(list.validate(voiceDuration: 9.4) == [.totalMismatch(total: 10, voice: 9.4)])
    }

    @Test("a late first shot, NaN timings and an empty list are reported")
    func otherIssues() {
        #expect(Shotlist(shots: [F.shot(1, 1, 3)]).validate() == [.startOffset(seconds: 1)])
        #expect(Shotlist(shots: [F.shot(1, 0, .nan)]).validate() == [.nonFiniteTiming(shot: 1)])
        #expect(Shotlist(shots: []).validate(voiceDuration: 10) == [.empty])
    }

    @Test("issues survive a JSON round trip")
    func issuesAreCodable() throws {
        let issues: [ShotlistIssue] = [.gap(afterShot: 2, seconds: 0.5), .totalMismatch(total: 1, voice: 2), .empty]
        let data = try StoryJSON.encode(issues)
        #expect(try StoryJSON.decode([ShotlistIssue].self, from: data) == issues)
    }
}
