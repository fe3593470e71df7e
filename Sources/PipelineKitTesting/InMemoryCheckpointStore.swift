import Foundation
public import PipelineKit

/// A checkpoint store in memory, for tests: same semantics as the SQLite store, nothing on disk.
///
/// `@unchecked Sendable`: all state is only touched under `lock`.
public final class InMemoryCheckpointStore: CheckpointStore, @unchecked Sendable {
    private let lock = NSLock()
    private var runRecords: [RunID: RunRecord] = [:]
    private var stageRecords: [RunID: [Int: StageRecord]] = [:]
    private var childRecords: [RunID: [Int: [Int: ChildRecord]]] = [:]
    private var cache: [String: CacheEntry] = [:]
    private var commitCount = 0

    /// Creates an empty store.
    public init() {}

    /// How many batches have been committed (to check what a run wrote).
    public var commits: Int { lock.withLock { commitCount } }

    /// Every cache entry, by key.
    public var cacheEntries: [String: CacheEntry] { lock.withLock { cache } }

    /// Inserts a new run record; throws if a run with that id exists.
    public func createRun(_ run: RunRecord) async throws {
        try lock.withLock {
            guard runRecords[run.id] == nil else { throw PipelineError.runExists("run \(run.id) exists already") }
            runRecords[run.id] = run
        }
    }

    /// The run with that id, if any.
    public func run(_ id: RunID) async throws -> RunRecord? {
        lock.withLock { runRecords[id] }
    }

    /// All runs, newest first.
    public func runs() async throws -> [RunRecord] {
        lock.withLock { runRecords.values.sorted { $0.createdAt > $1.createdAt } }
    }

    /// The stage records of a run, by index.
    public func stages(of run: RunID) async throws -> [StageRecord] {
        lock.withLock { (stageRecords[run] ?? [:]).values.sorted { $0.index < $1.index } }
    }

    /// The committed children of a fan-out stage, by child index.
    public func children(of run: RunID, stageIndex: Int) async throws -> [ChildRecord] {
        lock.withLock { (childRecords[run]?[stageIndex] ?? [:]).values.sorted { $0.childIndex < $1.childIndex } }
    }

    /// The cache entries present for the given keys.
    public func cacheEntries(forKeys keys: [String]) async throws -> [String: CacheEntry] {
        lock.withLock {
            var found: [String: CacheEntry] = [:]
            for key in keys { found[key] = cache[key] }
            return found
        }
    }

    /// Applies a batch atomically (under one lock).
    public func commit(_ batch: CheckpointBatch) async throws {
        lock.withLock {
            commitCount += 1
            if let run = batch.run { runRecords[run.id] = run }
            for stage in batch.stages { stageRecords[stage.runID, default: [:]][stage.index] = stage }
            for child in batch.children {
                childRecords[child.runID, default: [:]][child.stageIndex, default: [:]][child.childIndex] = child
            }
            for entry in batch.cacheEntries { cache[entry.key] = entry }
        }
    }

    /// Forgets every cache entry (not the runs).
    public func clearCache() {
        lock.withLock { cache.removeAll() }
    }
}
