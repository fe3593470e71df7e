import PipelineKit
import Testing

@Suite struct RetryStrategyTests {
    struct Failure: Error {}

    @Test func delaysDoubleExactlyUpToTheCap() {
        let policy = RetryPolicy.exponentialJitter(
            maxAttempts: 10, initialDelay: .milliseconds(200), maxDelay: .seconds(1), jitter: 0)
        let delays = (1...5).map { policy.strategy.delay(afterAttempt: $0, error: Failure()) }
        #expect(delays == [.milliseconds(200), .milliseconds(400), .milliseconds(800), .seconds(1), .seconds(1)])
        #expect(policy.strategy.delay(afterAttempt: 10, error: Failure()) == nil)
    }

    /// Durations at and beyond what `Duration`'s multiplication and the clocks hold used to trap
    /// ("Overflow in multiplication"); every one now gives a delay within the cap.
    @Test(arguments: [
        (Duration.seconds(Int64.max), Duration.seconds(Int64.max)),
        (.seconds(Int64.max / 2), .seconds(Int64.max)),
        (.seconds(1e15), .seconds(Int64.max)),
        (.seconds(-5), .seconds(30)),
        (.zero, .zero),
        (.seconds(1), .seconds(-1)),
        (.milliseconds(200), .seconds(Int64.max)),
    ])
    func hugeOrNegativeDurationsNeverTrap(initial: Duration, maxDelay: Duration) {
        for jitter in [0, 0.5, 1, .nan, -3, .infinity] {
            let policy = RetryPolicy.exponentialJitter(
                maxAttempts: Int.max, initialDelay: initial, maxDelay: maxDelay, jitter: jitter)
            for attempt in [Int.min, -1, 0, 1, 2, 31, 62, 63, 64, 1000, Int.max - 1] {
                guard let delay = policy.strategy.delay(afterAttempt: attempt, error: Failure()) else { continue }
                // Ten years: the runner's longest sleep, and so the longest delay a strategy hands it.
                #expect(delay >= .zero && delay <= .seconds(315_360_000), "\(initial) \(maxDelay) \(jitter) \(attempt)")
            }
        }
    }

    @Test func aTimeoutBeyondWhatTheClockHoldsIsNoTrap() async throws {
        struct Echo: PipelineStage {
            static let id: StageID = "echo"
            static let version = 1
            func run(_ input: Int, context: StageContext) async throws -> Int { input }
        }
        // `ContinuousClock` traps on a sleep past ~292 years ("Not enough bits to represent the passed value").
        let runner = makeRunner()
        let pipeline = Pipeline<Int, Int>("huge-timeout") {
            Echo().timeout(.seconds(Int64.max), total: .seconds(Int64.max))
        }
        #expect(try await runner.run(pipeline, input: 7) == 7)
    }
}
