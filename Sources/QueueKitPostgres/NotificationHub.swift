import Synchronization

/// Wakes ``PostgresJobQueue/waitForJobs(kinds:timeout:)`` when the listening connection hears that a job of a
/// wanted kind became available.
///
/// A notification that arrives between a worker's empty claim and its wait must not be lost (the worker would then
/// sleep a whole poll interval with a job waiting), so the hub numbers notifications: a claim that found nothing
/// records the number it started at, and a wait returns at once when a later notification of one of its kinds came.
/// A wait that returns for a notification marks it seen, so the next wait sleeps until a new one.
final class NotificationHub: Sendable {
    private struct Waiter {
        var kinds: Set<String>
        var continuation: CheckedContinuation<Void, Never>
    }

    private struct State {
        var sequence: UInt64 = 0
        /// The sequence number of the latest notification per kind; `allKinds` for a wake-everyone.
        var latest: [String: UInt64] = [:]
        var allKinds: UInt64 = 0
        /// Per set of kinds, the sequence up to which notifications are accounted for: a claim that found nothing
        /// started after them, or a wait already returned for them.
        var seen: [Set<String>: UInt64] = [:]
        var waiters: [UInt64: Waiter] = [:]
        var cancelled: Set<UInt64> = []
        var nextWaiter: UInt64 = 0
    }

    private let state = Mutex(State())

    /// The current sequence number; read before a claim's query starts.
    func sequence() -> UInt64 { state.withLock { $0.sequence } }

    /// Records that a claim of `kinds` that started at `sequence` found nothing.
    func claimFoundNothing(kinds: Set<String>, startedAt sequence: UInt64) {
        state.withLock { state in
            state.seen[kinds] = max(state.seen[kinds] ?? 0, sequence)
        }
    }

    /// A job of `kind` may be available: wakes the waiters for it.
    func notify(kind: String) {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.sequence += 1
            state.latest[kind] = state.sequence
            return Self.takeWaiters(&state) { $0.contains(kind) }
        }
        for continuation in woken { continuation.resume() }
    }

    /// Anything may be available (the listening connection was re-established): wakes every waiter.
    func notifyAll() {
        let woken = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.sequence += 1
            state.allKinds = state.sequence
            return Self.takeWaiters(&state) { _ in true }
        }
        for continuation in woken { continuation.resume() }
    }

    /// Returns when a notification for one of `kinds` arrives (or had arrived since the last empty claim), after
    /// `timeout`, or when the task is cancelled.
    func wait(kinds: Set<String>, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.notification(kinds: kinds) }
            await group.next()
            group.cancelAll()
        }
    }

    private func notification(kinds: Set<String>) async {
        let id = state.withLock { state -> UInt64 in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.cancelled.remove(id) != nil { return true }
                    let since = state.seen[kinds] ?? 0
                    let newest = kinds.reduce(state.allKinds) { max($0, state.latest[$1] ?? 0) }
                    if newest > since {
                        state.seen[kinds] = state.sequence
                        return true
                    }
                    state.waiters[id] = Waiter(kinds: kinds, continuation: continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let continuation = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if let waiter = state.waiters.removeValue(forKey: id) { return waiter.continuation }
                state.cancelled.insert(id)
                return nil
            }
            continuation?.resume()
        }
        // A cancellation that raced the registration left its mark; clear it.
        _ = state.withLock { $0.cancelled.remove(id) }
    }

    private static func takeWaiters(
        _ state: inout State, where matches: (Set<String>) -> Bool
    ) -> [CheckedContinuation<Void, Never>] {
        let ids = state.waiters.filter { matches($0.value.kinds) }.map(\.key)
        return ids.compactMap { id in
            guard let waiter = state.waiters.removeValue(forKey: id) else { return nil }
            state.seen[waiter.kinds] = state.sequence
            return waiter.continuation
        }
    }
}
