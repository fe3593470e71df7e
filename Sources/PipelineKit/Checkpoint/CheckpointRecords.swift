public import Foundation

/// Where a run stands.
public enum RunStatus: String, Sendable, Codable, Hashable {
    /// Started and not finished: still going, or interrupted (crash, kill) and waiting for `resume(runID:)`.
    case running
    /// Every stage committed.
    case succeeded
    /// A stage failed for good.
    case failed
    /// Cancelled by the host; resumable.
    case cancelled
}

/// What became of a stage.
public enum StageStatus: String, Sendable, Codable, Hashable {
    /// The stage ran and its output is committed.
    case committed
    /// The stage was disabled by configuration; its fallback output is committed.
    case skipped
    /// The stage failed but `continueOnError` let the run go on with its fallback output, which is committed.
    case recovered
    /// The stage failed for good; no output.
    case failed
}

/// The record of one run.
public struct RunRecord: Sendable, Hashable, Codable {
    /// The run's identifier.
    public var id: RunID
    /// The name of the pipeline that runs it.
    public var pipeline: String
    /// Where the run stands.
    public var status: RunStatus
    /// The run's input, as canonical JSON (so a resume can start over from it).
    public var input: Data
    /// The final output, as JSON, once the run succeeded.
    public var output: Data?
    /// Why the run failed or was cancelled.
    public var error: String?
    /// When the run was created.
    public var createdAt: Date
    /// When the record last changed.
    public var updatedAt: Date
    /// When the run ended.
    public var finishedAt: Date?

    /// Creates a run record.
    public init(
        id: RunID,
        pipeline: String,
        status: RunStatus,
        input: Data,
        output: Data? = nil,
        error: String? = nil,
        createdAt: Date,
        updatedAt: Date,
        finishedAt: Date? = nil
    ) {
        self.id = id
        self.pipeline = pipeline
        self.status = status
        self.input = input
        self.output = output
        self.error = error
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.finishedAt = finishedAt
    }
}

/// The record of one stage of one run: written once, when the stage ends.
public struct StageRecord: Sendable, Hashable, Codable {
    /// The run.
    public var runID: RunID
    /// The stage's position in the pipeline, from 0.
    public var index: Int
    /// The stage's identifier.
    public var stageID: StageID
    /// The stage's version when it ran.
    public var version: Int
    /// The cache key: SHA-256 of stage id, version, canonical input, configuration and upstream key.
    public var inputHash: String
    /// What became of the stage.
    public var status: StageStatus
    /// The output as JSON; `nil` when the stage failed.
    public var output: Data?
    /// How many attempts it took (0 when restored from the cache or skipped).
    public var attempts: Int
    /// How long the stage took, in seconds.
    public var duration: Double
    /// The error, when it failed or recovered.
    public var error: String?
    /// When the stage ended.
    public var finishedAt: Date

    /// Creates a stage record.
    public init(
        runID: RunID,
        index: Int,
        stageID: StageID,
        version: Int,
        inputHash: String,
        status: StageStatus,
        output: Data?,
        attempts: Int,
        duration: Double,
        error: String? = nil,
        finishedAt: Date
    ) {
        self.runID = runID
        self.index = index
        self.stageID = stageID
        self.version = version
        self.inputHash = inputHash
        self.status = status
        self.output = output
        self.attempts = attempts
        self.duration = duration
        self.error = error
        self.finishedAt = finishedAt
    }
}

/// The record of one committed child of a fan-out.
public struct ChildRecord: Sendable, Hashable, Codable {
    /// The run.
    public var runID: RunID
    /// The fan-out stage's position in the pipeline.
    public var stageIndex: Int
    /// The child's position in the input array.
    public var childIndex: Int
    /// The child's cache key.
    public var inputHash: String
    /// The child's output as JSON.
    public var output: Data
    /// How many attempts it took (0 when restored from the cache).
    public var attempts: Int
    /// How long it took, in seconds.
    public var duration: Double
    /// When it committed.
    public var finishedAt: Date

    /// Creates a child record.
    public init(
        runID: RunID,
        stageIndex: Int,
        childIndex: Int,
        inputHash: String,
        output: Data,
        attempts: Int,
        duration: Double,
        finishedAt: Date
    ) {
        self.runID = runID
        self.stageIndex = stageIndex
        self.childIndex = childIndex
        self.inputHash = inputHash
        self.output = output
        self.attempts = attempts
        self.duration = duration
        self.finishedAt = finishedAt
    }
}

/// A result reusable across runs, found by its cache key.
public struct CacheEntry: Sendable, Hashable, Codable {
    /// SHA-256 of stage id, version, canonical input, configuration and upstream key, hex-encoded.
    public var key: String
    /// The stage that produced it.
    public var stageID: StageID
    /// The stage's version when it produced it.
    public var version: Int
    /// The output as JSON.
    public var output: Data
    /// When it was produced (for TTL policies).
    public var createdAt: Date

    /// Creates a cache entry.
    public init(key: String, stageID: StageID, version: Int, output: Data, createdAt: Date) {
        self.key = key
        self.stageID = stageID
        self.version = version
        self.output = output
        self.createdAt = createdAt
    }
}

/// Everything one commit writes, atomically: all of it or none of it.
public struct CheckpointBatch: Sendable, Hashable {
    /// Stage records to insert or replace.
    public var stages: [StageRecord]
    /// Child records to insert or replace.
    public var children: [ChildRecord]
    /// Cache entries to insert or replace.
    public var cacheEntries: [CacheEntry]
    /// A run record to update, if any.
    public var run: RunRecord?

    /// Creates a batch.
    public init(
        stages: [StageRecord] = [],
        children: [ChildRecord] = [],
        cacheEntries: [CacheEntry] = [],
        run: RunRecord? = nil
    ) {
        self.stages = stages
        self.children = children
        self.cacheEntries = cacheEntries
        self.run = run
    }

    /// Whether the batch writes nothing.
    public var isEmpty: Bool { stages.isEmpty && children.isEmpty && cacheEntries.isEmpty && run == nil }

    /// Appends another batch; a later run record replaces an earlier one.
    public mutating func append(_ other: CheckpointBatch) {
        stages += other.stages
        children += other.children
        cacheEntries += other.cacheEntries
        if let run = other.run { self.run = run }
    }
}
