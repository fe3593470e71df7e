/// Where runs, stage outputs, fan-out children and cached results are kept.
///
/// Implementations: ``SQLiteCheckpointStore`` (the embedded default) and, for tests, `InMemoryCheckpointStore`
/// from `PipelineKitTesting`. A store must apply each ``CheckpointBatch`` atomically; the runner relies on that for
/// "a stage either committed its output or reruns".
public protocol CheckpointStore: Sendable {
    /// Inserts a new run record; throws if a run with that id exists.
    func createRun(_ run: RunRecord) async throws

    /// The run with that id, if any.
    func run(_ id: RunID) async throws -> RunRecord?

    /// All runs, newest first.
    func runs() async throws -> [RunRecord]

    /// The stage records of a run, by index.
    func stages(of run: RunID) async throws -> [StageRecord]

    /// The committed children of a fan-out stage, by child index.
    func children(of run: RunID, stageIndex: Int) async throws -> [ChildRecord]

    /// The cache entries present for the given keys.
    func cacheEntries(forKeys keys: [String]) async throws -> [String: CacheEntry]

    /// Writes a batch atomically.
    func commit(_ batch: CheckpointBatch) async throws
}
