import Foundation

/// Commits a run's checkpoints according to its ``Durability``, with group commit for fan-out children.
///
/// Group commit: a child that finishes hands its record over and returns at once, freeing its concurrency slot.
/// The first child to find no flush under way becomes the leader and writes, one transaction at a time, everything
/// queued until the queue is empty. Under load this turns thousands of small transactions into a few big ones
/// without delaying a lone commit; a crash loses only records not yet written, and those children rerun.
/// ``drainChildren()`` waits until every queued record is written (or reports the write's error).
///
/// `@unchecked Sendable`: every mutable property is only touched under `lock`.
final class CheckpointWriter: @unchecked Sendable {
    private let store: any CheckpointStore
    private let durability: Durability
    private let lock = NSLock()
    private var tail: Task<Void, any Error>?
    private var deferred = CheckpointBatch()
    private var childQueue = CheckpointBatch()
    private var childLeaderActive = false
    private var childError: (any Error)?
    private var drainWaiters: [CheckedContinuation<Void, Never>] = []

    init(store: any CheckpointStore, durability: Durability) {
        self.store = store
        self.durability = durability
    }

    /// Commits a stage's batch.
    func commit(_ batch: CheckpointBatch) async throws {
        switch durability {
        case .sync:
            try await store.commit(batch)
        case .async:
            let store = self.store
            lock.withLock {
                let previous = tail
                tail = Task {
                    try await previous?.value
                    try await store.commit(batch)
                }
            }
        case .onExit:
            lock.withLock { deferred.append(batch) }
        }
    }

    /// Queues a fan-out child's batch; the caller that finds no flush under way writes the queue.
    func commitChild(_ batch: CheckpointBatch) async {
        if durability == .onExit {
            lock.withLock { deferred.append(batch) }
            return
        }
        let leads = lock.withLock { () -> Bool in
            childQueue.append(batch)
            if childLeaderActive { return false }
            childLeaderActive = true
            return true
        }
        if leads { await flushChildren() }
    }

    private func flushChildren() async {
        while true {
            let (batch, waiters) = lock.withLock { () -> (CheckpointBatch?, [CheckedContinuation<Void, Never>]) in
                if childQueue.isEmpty {
                    childLeaderActive = false
                    let waiters = drainWaiters
                    drainWaiters.removeAll()
                    return (nil, waiters)
                }
                let batch = childQueue
                childQueue = CheckpointBatch()
                return (batch, [])
            }
            guard let batch else {
                for waiter in waiters { waiter.resume() }
                return
            }
            do {
                try await store.commit(batch)
            } catch {
                lock.withLock { childError = childError ?? error }
            }
        }
    }

    /// Waits until every queued child record is written; throws the first write error, if any.
    func drainChildren() async throws {
        await withCheckedContinuation { (waiter: CheckedContinuation<Void, Never>) in
            let waits = lock.withLock { () -> Bool in
                guard childLeaderActive else { return false }
                drainWaiters.append(waiter)
                return true
            }
            if !waits { waiter.resume() }
        }
        if let error = lock.withLock({ childError }) { throw error }
    }

    /// Waits for overlapped commits, or writes the deferred batch; call before recording the run's end.
    func flush() async throws {
        switch durability {
        case .sync:
            return
        case .async:
            let last = lock.withLock { tail }
            try await last?.value
        case .onExit:
            let batch = lock.withLock {
                let taken = deferred
                deferred = CheckpointBatch()
                return taken
            }
            try await store.commit(batch)
        }
    }
}
