import PipelineKitTesting
import Testing

@Suite struct TestClockTests {
    @Test func sleepersWakeWhenTheClockReachesTheirDeadline() async throws {
        let clock = TestClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(5)) }
        #expect(await clock.waitForSleepers(1))
        clock.advance(by: .seconds(4))
        #expect(clock.sleeperCount == 1)
        clock.advance(by: .seconds(1))
        try await sleeper.value
        #expect(clock.sleeperCount == 0)
        #expect(clock.now.offset == .seconds(5))
    }

    @Test func cancellingASleeperWakesItWithCancellationError() async throws {
        let clock = TestClock()
        let sleeper = Task { try await clock.sleep(for: .seconds(5)) }
        #expect(await clock.waitForSleepers(1))
        sleeper.cancel()
        await #expect(throws: CancellationError.self) { try await sleeper.value }
        #expect(clock.sleeperCount == 0)
    }

    @Test func cancellingAGroupWakesItsSleepers() async throws {
        let clock = TestClock()
        let result = try await withThrowingTaskGroup(of: Int.self) { group in
            group.addTask {
                try await clock.sleep(for: .seconds(100))
                return 100
            }
            group.addTask {
                try await clock.sleep(for: .seconds(10))
                return 10
            }
            #expect(await clock.waitForSleepers(2))
            clock.advance(by: .seconds(10))
            let first = try await group.next()
            group.cancelAll()
            return first
        }
        #expect(result == 10)
        #expect(clock.sleeperCount == 0)
    }
}
