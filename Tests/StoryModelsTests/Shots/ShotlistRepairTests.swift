import PropertyBased
import StoryModels
import Testing

@Suite("Shotlist repair")
struct ShotlistRepairTests {
    /// SplitMix64, so every property case is reproducible from its seed.
    struct SplitMix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    /// A messy shot list: random order, gaps, overlaps, zero, negative and NaN timings.
    static func messyList(_ random: inout SplitMix) -> Shotlist {
        let count = Int.random(in: 1...40, using: &random)
        var time = Double.random(in: -2...2, using: &random)
        var shots: [Shot] = []
        for id in 1...count {
            var shot = Fixtures.shot(id, time, time + Double.random(in: -1...12, using: &random))
            switch Int.random(in: 0..<10, using: &random) {
            case 0: shot.duration = .nan
            case 1: shot.start = .infinity
            case 2: shot.duration = 0
            case 3: shot.duration = Double.random(in: 0...1e6, using: &random)
            default: break
            }
            shots.append(shot)
            time += Double.random(in: -3...13, using: &random)
        }
        if Bool.random(using: &random) { shots.shuffle(using: &random) }
        return Shotlist(shots: shots)
    }

    @Test("a repaired list always validates against its target, keeping every shot")
    func repairedAlwaysValidates() async {
        await propertyCheck(count: 500, input: Gen.uint64()) { seed in
            var random = SplitMix(state: seed)
            let list = Self.messyList(&random)
            let target = Double.random(in: 0.5...600, using: &random)
            let repaired = list.repaired(toDuration: target)
            #expect(repaired.validate(voiceDuration: target).isEmpty, "seed \(seed)")
            #expect(repaired.validate(voiceDuration: target, tolerances: .init(gap: 0, total: 0)).isEmpty)
            #expect(repaired.shots.count == list.shots.count)
            #expect(Set(repaired.shots.map(\.id)) == Set(list.shots.map(\.id)))
            #expect(repaired.shots.last?.end == target)
        }
    }

    @Test("a valid list is rescaled proportionally, in order")
    func proportional() async {
        await propertyCheck(count: 200, input: Gen.uint64()) { seed in
            var random = SplitMix(state: seed)
            var start = 0.0
            let shots = (1...Int.random(in: 1...20, using: &random)).map { id in
                let end = start + Double.random(in: 1...10, using: &random)
                defer { start = end }
                return Fixtures.shot(id, start, end)
            }
            let list = Shotlist(shots: shots)
            let target = Double.random(in: 1...300, using: &random)
            let repaired = list.repaired(toDuration: target)
            let scale = target / list.totalDuration
            #expect(repaired.shots.map(\.id) == list.shots.map(\.id))
            for (before, after) in zip(list.shots, repaired.shots) {
                #expect(abs(after.duration - before.duration * scale) < 1e-6 * target)
            }
        }
    }

    @Test("shots listed out of order are put in playing order")
    func reorders() {
        let list = Shotlist(shots: [Fixtures.shot(2, 4, 8), Fixtures.shot(1, 0, 4)])
        let repaired = list.repaired(toDuration: 16)
        #expect(repaired.shots.map(\.id) == [1, 2])
        #expect(repaired.shots.map(\.start) == [0, 8])
        #expect(repaired.shots.map(\.end) == [8, 16])
    }

    @Test("an empty list or an unusable target is returned unchanged")
    func unchanged() {
        let list = Shotlist(shots: [Fixtures.shot(1, 0, 3)])
        #expect(list.repaired(toDuration: 0) == list)
        #expect(list.repaired(toDuration: .nan) == list)
        #expect(Shotlist(shots: []).repaired(toDuration: 10).shots.isEmpty)
    }
}
