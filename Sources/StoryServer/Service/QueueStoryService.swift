public import Foundation
public import QueueKit
public import StoryForgeCore
import StoryQueue

/// The ``StoryService`` of `story-server`: stories are jobs of kind `story` (``StoryQueue/StoryJob``) on a
/// ``QueueKit/JobQueue``, run by `JobWorker`s with ``StoryQueue/StoryJobRunner`` (in this process or on other
/// machines) and exported under a store directory all of them share.
///
/// A story's id is its job's id. Its owner and webhook URL travel in the job's payload; an `Idempotency-Key`
/// becomes the job's unique key, hashed with the owner (so two owners' keys never meet); its status is read from
/// the job's record (state, attempt, the progress ``StoryQueue/StoryJobRunner`` reports, its result) and its files
/// from the export's `manifest.json`.
public struct QueueStoryService: StoryService {
    /// How stories are queued and followed; every field has a default.
    public struct Configuration: Sendable {
        /// The configuration file (JSON object) every story starts from, under the request's own settings and
        /// `config` overrides; empty is the pipeline's defaults.
        public var baseConfiguration: [String: JSONValue]
        /// Attempts each story gets before it is failed (a failed story's retry grants one more).
        public var maxAttempts: Int
        /// How often an event stream reads its story's record.
        public var eventPollInterval: Duration
        /// The stories a list request may look through for one page (other owners' stories are skipped): a page
        /// that ends short still carries the cursor to continue from.
        public var listScanLimit: Int

        /// Creates a configuration.
        public init(
            baseConfiguration: [String: JSONValue] = [:], maxAttempts: Int = 2,
            eventPollInterval: Duration = .milliseconds(250), listScanLimit: Int = 5_000
        ) {
            self.baseConfiguration = baseConfiguration
            self.maxAttempts = maxAttempts
            self.eventPollInterval = eventPollInterval
            self.listScanLimit = listScanLimit
        }
    }

    /// The longest `Idempotency-Key`: 255 characters (the IETF draft's examples are UUIDs; anything longer is not a
    /// key but a payload).
    public static let maximumIdempotencyKeyLength = 255
    /// The largest page of ``stories(owner:status:cursor:limit:)``.
    public static let maximumPageSize = 100

    /// The queue.
    public let queue: any JobQueue
    /// The store directory the workers export into (`<store>/exports/job-<id>/`).
    public let store: URL
    /// The configuration.
    public let configuration: Configuration
    private let files: FileCache

    /// Creates the service over a queue and the store its workers share.
    public init(queue: any JobQueue, store: URL, configuration: Configuration = .init()) {
        self.queue = queue
        self.store = store
        self.configuration = configuration
        self.files = FileCache()
    }

    // MARK: StoryService

    /// Queues a story.
    public func create(_ request: CreateStoryRequest, owner: StoryOwner, idempotencyKey: String?) async throws
        -> StoryStatus
    {
        let job = try StoryRequestCheck.job(
            request, owner: owner, baseConfiguration: configuration.baseConfiguration)
        let uniqueKey = try idempotencyKey.map { try Self.uniqueKey($0, owner: owner) }
        let newJob: NewJob
        do {
            newJob = try job.newJob(uniqueKey: uniqueKey, maxAttempts: configuration.maxAttempts)
        } catch {
            throw StoryServerError.invalidRequest("the story cannot be queued: \(error)")
        }
        let enqueued = try await Self.queueCall("queueing the story") { try await queue.enqueue(newJob) }
        // A unique key is owner-scoped, but a job made outside the server could hold the same key text.
        guard let status = try status(of: enqueued.job, owner: owner) else {
            throw StoryServerError.conflict("the Idempotency-Key is held by a job this owner cannot see; use another")
        }
        return status
    }

    /// The story's status, or `nil` when this owner has none with that id.
    public func story(_ id: String, owner: StoryOwner) async throws -> StoryStatus? {
        guard let jobID = Self.jobID(id) else { return nil }
        guard let record = try await Self.queueCall("reading the story", { try await queue.job(jobID) }) else {
            return nil
        }
        return try status(of: record, owner: owner)
    }

    /// The owner's stories, newest first.
    public func stories(owner: StoryOwner, status: StoryStatus.State?, cursor: String?, limit: Int) async throws
        -> StoryPage
    {
        let pageSize = min(max(limit, 1), Self.maximumPageSize)
        var before: JobID?
        if let cursor {
            guard let id = Self.jobID(cursor) else {
                throw StoryServerError.invalidRequest("cursor: not a cursor this server gave (\(cursor.prefix(40)))")
            }
            before = id
        }
        let states = status.map { Set(StoryRecordMapping.jobStates(for: $0)) }
        var found: [StoryStatus] = []
        var scanned = 0
        // Other owners' jobs are skipped, so the queue is read in batches until a page (and one more, to know
        // whether a next page exists) is found or the scan limit is reached.
        while scanned < configuration.listScanLimit {
            let batchSize = min(500, configuration.listScanLimit - scanned)
            let filter = JobFilter(states: states, kind: StoryJob.kind, limit: batchSize, before: before)
            let batch = try await Self.queueCall("listing stories") { try await queue.jobs(filter) }
            for record in batch {
                scanned += 1
                before = record.id
                if let story = try? self.status(of: record, owner: owner) {
                    found.append(story)
                    if found.count > pageSize {
                        found.removeLast()
                        return StoryPage(stories: found, nextCursor: found.last.map(\.id))
                    }
                }
            }
            if batch.count < batchSize { return StoryPage(stories: found, nextCursor: nil) }
        }
        return StoryPage(stories: found, nextCursor: before.map(\.description))
    }

    /// Cancels the story.
    public func cancel(_ id: String, owner: StoryOwner) async throws -> StoryStatus? {
        guard try await story(id, owner: owner) != nil, let jobID = Self.jobID(id) else { return nil }
        guard let record = try await Self.queueCall("cancelling the story", { try await queue.cancel(jobID) }) else {
            return nil
        }
        return try status(of: record, owner: owner)
    }

    /// Runs a failed or cancelled story again: a new attempt of the same job, whose pipeline run (`job-<id>`)
    /// resumes from its last committed stage.
    public func retry(_ id: String, owner: StoryOwner) async throws -> StoryStatus? {
        guard let current = try await story(id, owner: owner), let jobID = Self.jobID(id) else { return nil }
        guard current.status == .failed || current.status == .cancelled else {
            throw StoryServerError.conflict(
                "story \(id) is \(current.status.rawValue); only a failed or cancelled story can be retried")
        }
        let record: JobRecord?
        do {
            record = try await queue.retry(jobID)
        } catch let error as JobQueueError where error.code == .invalidState {
            throw StoryServerError.conflict("story \(id) cannot be retried now: \(error.message)")
        } catch {
            throw StoryServerError.unavailable("the queue failed while retrying the story", underlying: error)
        }
        guard let record else { return nil }
        return try status(of: record, owner: owner)
    }

    /// The story's events after `after`: the record is read every ``Configuration/eventPollInterval`` and an event
    /// is sent whenever it changed (its event id, ``StoryRecordMapping/eventID(of:)``, is the time of its change, so
    /// it grows); the first event is the story as it stands, unless the client's `after` is that record's id. The
    /// stream ends after a final state's event, or at once when the client already has it.
    public func events(_ id: String, owner: StoryOwner, after: Int?) async throws -> AsyncThrowingStream<
        StoryEvent, any Error
    >? {
        guard try await story(id, owner: owner) != nil, let jobID = Self.jobID(id) else { return nil }
        let cursor = EventCursor(after: after ?? -1)
        let poll = configuration.eventPollInterval
        let service = self
        // The stream is pulled by its consumer's task (no task of its own): a client that goes away cancels the
        // consumer, which ends the sleep below, and nothing is left behind.
        return AsyncThrowingStream(unfolding: {
            while !cursor.isFinished {
                let record = try await Self.queueCall("reading the story") { try await service.queue.job(jobID) }
                guard let record, let status = try service.status(of: record, owner: owner) else { return nil }
                let eventID = StoryRecordMapping.eventID(of: record)
                if let event = cursor.next(id: eventID, status: status) { return event }
                if status.status.isFinal { return nil }
                try await Task.sleep(for: poll)
            }
            return nil
        })
    }

    /// Where an exported file of a finished story is.
    public func file(_ id: String, name: String, owner: StoryOwner) async throws -> StoryFileLocation? {
        guard let jobID = Self.jobID(id),
            let record = try await Self.queueCall("reading the story", { try await queue.job(jobID) }),
            try status(of: record, owner: owner)?.status == .succeeded
        else { return nil }
        guard let exported = try files.files(of: record, store: store) else { return nil }
        guard let entry = exported.entries.first(where: { $0.name == name }) else { return nil }
        return StoryFileLocation(
            url: entry.url, size: entry.size, contentType: entry.contentType, etag: "\"\(entry.sha256)\"")
    }

    /// Reads the queue once: throws when it cannot be reached (for `GET /healthz`).
    public func checkHealth() async throws {
        _ = try await queue.jobs(JobFilter(kind: StoryJob.kind, limit: 1))
    }

    // MARK: Helpers

    /// The story's status when the record is a story job of `owner`; `nil` otherwise.
    func status(of record: JobRecord, owner: StoryOwner) throws -> StoryStatus? {
        guard record.kind == StoryJob.kind, let job = try? StoryJob(payload: record.payload),
            job.owner == owner.rawValue
        else { return nil }
        let exported = record.state == .succeeded ? try? files.files(of: record, store: store) : nil
        return StoryRecordMapping.status(of: record, job: job, files: exported)
    }

    /// The queue's unique key for an owner's `Idempotency-Key`: a hash, so that the key's text (untrusted, up to
    /// ``maximumIdempotencyKeyLength`` characters) never reaches the queue, and two owners' keys never collide.
    static func uniqueKey(_ key: String, owner: StoryOwner) throws -> String {
        guard !key.isEmpty, key.count <= maximumIdempotencyKeyLength,
            key.unicodeScalars.allSatisfy({ (0x21...0x7e).contains($0.value) })
        else {
            throw StoryServerError.invalidRequest(
                "Idempotency-Key: must be 1…\(maximumIdempotencyKeyLength) visible ASCII characters (a UUID is best)")
        }
        return "story-server:" + HexDigest.sha256("\(owner.rawValue)\n\(key)")
    }

    /// A story id as a job id: decimal digits only, at most 18 of them (always an `Int64`).
    static func jobID(_ text: String) -> JobID? {
        guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let value = Int64(text), value > 0
        else { return nil }
        return JobID(rawValue: value)
    }

    private static func queueCall<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as StoryServerError {
            throw error
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw StoryServerError.unavailable("the queue failed while \(what); try again", underlying: error)
        }
    }
}

/// What an event stream has sent: the last event id and status, and whether the final event went out.
///
/// `@unchecked Sendable`: the fields are only touched under `lock`.
private final class EventCursor: @unchecked Sendable {
    private let lock = NSLock()
    private var lastID: Int
    private var lastStatus: StoryStatus?
    private var finished = false

    init(after: Int) { lastID = after }

    var isFinished: Bool { lock.withLock { finished } }

    /// The event to send for a record whose event id is `id`, or `nil` when the client has it already: a newer
    /// record that shows what this stream sent last (a heartbeat moved its time) is not sent again.
    func next(id: Int, status: StoryStatus) -> StoryEvent? {
        lock.withLock {
            let final = status.status.isFinal
            guard id > lastID else {
                if final { finished = true }
                return nil
            }
            lastID = id
            if !final, status == lastStatus { return nil }
            lastStatus = status
            if final { finished = true }
            return StoryEvent(id: id, kind: final ? .done : .progress, status: status)
        }
    }
}
