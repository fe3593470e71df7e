import StoryModels
import Testing

@Suite("ViralPotential")
struct ViralPotentialTests {
    static func scores(_ values: Double...) -> [SegmentScore] {
        values.enumerated().map { SegmentScore(segment: "s\($0.offset)", score: $0.element) }
    }

    @Test("overall = 0.4·platforms + 0.3·regions + 0.15·age groups + 0.15·genders (means)")
    func weightedMean() {
        let potential = ViralPotential(
            platforms: Self.scores(80, 100), regions: Self.scores(60), ageGroups: Self.scores(40, 60),
            genders: Self.scores(20))
        // 0.4·90 + 0.3·60 + 0.15·50 + 0.15·20 = 36 + 18 + 7.5 + 3 = 64.5
        #expect(abs(potential.overall - 64.5) < 1e-9)
        #expect(abs(Fixtures.idea.viralPotential.overall - (0.4 * 80 + 0.3 * 60 + 0.15 * 70 + 0.15 * 50)) < 1e-9)
    }

    @Test("missing dimensions are left out and the other weights renormalised")
    func renormalised() {
        #expect(ViralPotential(platforms: Self.scores(70)).overall == 70)
        let two = ViralPotential(platforms: Self.scores(100), genders: Self.scores(0))
        #expect(abs(two.overall - 100 * 0.4 / 0.55) < 1e-9)
        #expect(ViralPotential().overall == 0)
    }

    @Test("scores outside 0–100 are clamped and non-finite ones skipped")
    func clamped() {
        #expect(ViralPotential(platforms: Self.scores(250, 100)).overall == 100)
        #expect(ViralPotential(regions: Self.scores(-40)).overall == 0)
        #expect(ViralPotential(platforms: Self.scores(.nan, 30)).overall == 30)
        #expect(ViralPotential(platforms: Self.scores(.infinity)).overall == 0)
    }

    @Test("suggestions rank best first; ties keep their order")
    func ranking() {
        let ranked = ScoredSuggestion.ranked([
            .init(text: "a", score: 10), .init(text: "b", score: 50),
            .init(text: "c", score: 10),
        ])
        #expect(ranked.map(\.text) == ["b", "a", "c"])
    }
}
