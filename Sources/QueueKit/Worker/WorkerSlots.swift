import Foundation

/// The worker's concurrency limit, and the wake-up of its claim loop when a slot frees or shutdown starts.
///
/// `@unchecked Sendable`: `used` and `waiter` are only touched under `lock`.
final class WorkerSlots: @unchecked Sendable {
    private let lock = NSLock()
    private let limit: Int
    private var used = 0
    private var pendingWake = false
    private var waiter: CheckedContinuation<Void, Never>?

    init(limit: Int) { self.limit = limit }

    /// Takes a slot when one is free.
    func tryAcquire() -> Bool {
        lock.withLock {
            guard used < limit else { return false }
            used += 1
            return true
        }
    }

    /// Gives a slot back and wakes the claim loop.
    func free() {
        lock.withLock { used -= 1 }
        wake()
    }

    /// Gives back a slot the claim loop took but did not use (it found no job, or the queue failed), without a
    /// wake: the loop is the one that would wait for it, and a wake pending for its next wait would make that wait
    /// return at once, so an idle worker would claim in a busy loop instead of waiting for the queue.
    func giveBack() {
        lock.withLock { used -= 1 }
    }

    /// Wakes the claim loop (or makes its next wait return at once).
    func wake() {
        let woken = lock.withLock { () -> CheckedContinuation<Void, Never>? in
            guard let waiter else {
                pendingWake = true
                return nil
            }
            self.waiter = nil
            return waiter
        }
        woken?.resume()
    }

    /// Waits for ``wake()`` (one claim loop waits at a time).
    func waitForChange() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = lock.withLock { () -> Bool in
                if pendingWake {
                    pendingWake = false
                    return true
                }
                waiter = continuation
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Waits for ``wake()`` or for the queue to signal jobs (or its poll timeout), whichever is first.
    func waitForChange(orQueue queue: any JobQueue, kinds: Set<String>, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await queue.waitForJobs(kinds: kinds, timeout: timeout) }
            group.addTask { [self] in await self.waitForChange() }
            await group.next()
            group.cancelAll()
            // The slot wait does not end on cancellation: wake it so the group can finish.
            wake()
        }
        // That extra wake must not make the next wait return early.
        lock.withLock { pendingWake = false }
    }
}

/// Set once, when graceful shutdown starts; tasks can wait for it.
///
/// `@unchecked Sendable`: `isSetValue` and `waiters` are only touched under `lock`.
final class ShutdownFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var isSetValue = false
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextID = 0

    var isSet: Bool { lock.withLock { isSetValue } }

    func set() {
        let woken = lock.withLock {
            isSetValue = true
            let all = waiters
            waiters.removeAll()
            return all
        }
        for waiter in woken.values { waiter.resume() }
    }

    /// Returns once set, or when the task is cancelled.
    func waitUntilSet() async {
        let id = lock.withLock {
            nextID &+= 1
            return nextID
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = lock.withLock { () -> Bool in
                    if isSetValue || Task.isCancelled { return true }
                    waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = lock.withLock { waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
