import Foundation

/// Commits a run's checkpoints according to its ``Durability``, with group commit for fan-out children.
///
/// Group commit: the first child to commit becomes the leader and writes, in one transaction, its own record and
/// every record that queued up meanwhile; the others wait for the leader to report. Under load this turns thousands
/// of small transactions into a few big ones, without delaying a lone commit.
///
/// `@unchecked Sendable`: every mutable property is only touched under `lock`.
final class CheckpointWriter: @unchecked Sendable {
    private let store: any CheckpointStore
    private let durability: Durability
    private let lock = NSLock()
    private var tail: Task<Void, any Error>?
    private var deferred = CheckpointBatch()
    private var groupLeaderActive = false
    private var queued: [(batch: CheckpointBatch, waiter: CheckedContinuation<Bool, any Error>)] = []

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

    /// Commits a fan-out child's batch, grouped with concurrent ones.
    func commitChild(_ batch: CheckpointBatch) async throws {
        if durability == .onExit {
            lock.withLock { deferred.append(batch) }
            return
        }
        let isLeader = try await withCheckedThrowingContinuation { (waiter: CheckedContinuation<Bool, any Error>) in
            let leads = lock.withLock { () -> Bool in
                if groupLeaderActive {
                    queued.append((batch, waiter))
                    return false
                }
                groupLeaderActive = true
                return true
            }
            if leads { waiter.resume(returning: true) }
        }
        guard isLeader else { return }
        try await lead(with: batch)
    }

    /// Writes the leader's batch and whatever queued meanwhile, until the queue is empty.
    private func lead(with own: CheckpointBatch) async throws {
        var ownResult: Result<Void, any Error> = .success(())
        var pending: [(batch: CheckpointBatch, waiter: CheckedContinuation<Bool, any Error>)] = []
        var includeOwn = true
        while true {
            if !includeOwn {
                pending = lock.withLock {
                    let taken = queued
                    queued.removeAll(keepingCapacity: true)
                    if taken.isEmpty { groupLeaderActive = false }
                    return taken
                }
                if pending.isEmpty { break }
            } else {
                pending = lock.withLock {
                    let taken = queued
                    queued.removeAll(keepingCapacity: true)
                    return taken
                }
            }
            var combined = includeOwn ? own : CheckpointBatch()
            for item in pending { combined.append(item.batch) }
            do {
                try await store.commit(combined)
                for item in pending { item.waiter.resume(returning: false) }
            } catch {
                for item in pending { item.waiter.resume(throwing: error) }
                if includeOwn { ownResult = .failure(error) }
            }
            includeOwn = false
        }
        try ownResult.get()
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
