import Foundation

/// Wakes the tasks of this process that wait for work: a broadcast to every waiter registered when it is sent.
///
/// `@unchecked Sendable`: `waiters` and `nextID` are only touched under `lock`.
final class JobSignal: @unchecked Sendable {
    private let lock = NSLock()
    private var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
    private var nextID = 0

    /// Wakes every current waiter.
    func broadcast() {
        let woken = lock.withLock {
            let all = waiters
            waiters.removeAll()
            return all
        }
        for waiter in woken.values { waiter.resume() }
    }

    /// Returns at the next broadcast, after `timeout`, or when the task is cancelled, whichever is first.
    func wait(timeout: Duration) async {
        let id = lock.withLock {
            nextID &+= 1
            return nextID
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                await withTaskCancellationHandler {
                    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                        let resumeNow = self.lock.withLock { () -> Bool in
                            if Task.isCancelled { return true }
                            self.waiters[id] = continuation
                            return false
                        }
                        if resumeNow { continuation.resume() }
                    }
                } onCancel: {
                    self.resume(id)
                }
            }
            group.addTask {
                try? await Task.sleep(for: timeout)
            }
            await group.next()
            group.cancelAll()
        }
    }

    private func resume(_ id: Int) {
        let waiter = lock.withLock { waiters.removeValue(forKey: id) }
        waiter?.resume()
    }
}
