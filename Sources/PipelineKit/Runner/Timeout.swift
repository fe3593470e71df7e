/// The longest wait the runner hands a clock: ten years (365-day years). `ContinuousClock` traps on a sleep it
/// cannot express in nanoseconds (about 292 years), so longer timeouts and delays are shortened to this; no run
/// notices the difference.
let longestSleep: Duration = .seconds(315_360_000)

/// Runs `operation`, or throws `timeoutError` if it has not finished after `timeout` on `clock`.
///
/// The operation is cancelled on timeout and awaited: a stage that ignores cancellation delays the timeout. A
/// timeout beyond ``longestSleep`` waits that long instead.
func withTimeout<T: Sendable>(
    _ timeout: Duration?,
    clock: any Clock<Duration>,
    timeoutError: @autoclosure () -> any Error,
    operation: @escaping @Sendable () async throws -> T
) async throws -> T {
    guard let timeout else { return try await operation() }
    let error = timeoutError()
    return try await withThrowingTaskGroup(of: Box<T>?.self) { group in
        group.addTask { Box(try await operation()) }
        group.addTask {
            try await sleep(on: clock, for: timeout)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let box = first else { throw error }
        return box.value
    }
}

/// Sleeps on an existential clock, at most ``longestSleep``; a negative duration does not wait.
func sleep(on clock: any Clock<Duration>, for duration: Duration) async throws {
    try await clock.sleep(for: min(max(duration, .zero), longestSleep))
}

/// Wraps a value so `nil` can mean "timed out" even when the value itself is optional.
private struct Box<T: Sendable>: Sendable {
    let value: T
    init(_ value: T) { self.value = value }
}
