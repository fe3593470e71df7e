public import Foundation
import GRDB
import Metrics
import ProviderKit

/// An exact response cache in SQLite: keyed by the SHA-256 of the canonical request (provider,
/// operation, model, every parameter, the messages; never a credential), with a time to live, a
/// size limit (least recently used entries go first) and hit and miss counters.
///
/// Built to cost little per request: a miss reads nothing (the keys in the file are held in
/// memory), answers are written in batches on GRDB's writer queue off the caller's path (lookups find them in
/// memory until then), recent answers are kept decoded, and a hit reads one row without a
/// transaction. One process owns a cache file: entries another process adds after this one opened
/// it are not seen until it is opened again.
///
/// ```swift
/// let cache = try ResponseCache(path: runDirectory.appending(path: "provider-cache.sqlite").path)
/// let generator = openAI.withCache(cache, name: "openai")
/// ```
public final class ResponseCache: Sendable {
    /// Limits and behaviour.
    public struct Configuration: Sendable {
        /// How long an entry is served.
        public var timeToLive: Duration
        /// The most bytes of stored responses; the least recently used go when it is passed.
        public var maxBytes: Int
        /// How long a write waits for a lock held by another connection or process.
        public var busyTimeout: Duration
        /// The wall-clock time, for expiry; injectable for tests.
        public var now: @Sendable () -> Date

        /// Creates a configuration.
        public init(
            timeToLive: Duration = .seconds(7 * 24 * 3600),
            maxBytes: Int = 512 << 20,
            busyTimeout: Duration = .seconds(5),
            now: @escaping @Sendable () -> Date = { Date() }
        ) {
            self.timeToLive = timeToLive
            self.maxBytes = max(0, maxBytes)
            self.busyTimeout = busyTimeout
            self.now = now
        }
    }

    /// Counts since the cache was opened.
    public struct Statistics: Sendable, Hashable {
        /// Lookups that found a live entry.
        public var hits: Int
        /// Lookups that found none (or an expired one).
        public var misses: Int
        /// Entries written.
        public var stores: Int
        /// Entries removed to stay under the size limit.
        public var evictions: Int
    }

    private let writer: any DatabaseWriter
    /// The configuration.
    public let configuration: Configuration
    // Guards `statistics` and `totalBytes`.
    private let counters: LockedCounters

    /// Opens (creating if needed) a cache file at `path`, in WAL mode.
    public convenience init(path: String, configuration: Configuration = Configuration()) throws {
        var config = GRDB.Configuration()
        config.busyMode = .timeout(configuration.busyTimeout.seconds)
        config.label = "storyforge.provider-cache"
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        do {
            try self.init(writer: try DatabasePool(path: path, configuration: config), configuration: configuration)
        } catch let error as ProviderError {
            throw error
        } catch {
            throw ProviderError.unsupported("cannot open the response cache at \(path): \(error)")
        }
    }

    /// A cache in memory, gone when the value is released.
    public static func inMemory(configuration: Configuration = Configuration()) throws -> ResponseCache {
        do {
            return try ResponseCache(writer: try DatabaseQueue(), configuration: configuration)
        } catch let error as ProviderError {
            throw error
        } catch {
            throw ProviderError.unsupported("cannot open an in-memory response cache: \(error)")
        }
    }

    private init(writer: any DatabaseWriter, configuration: Configuration) throws {
        self.writer = writer
        self.configuration = configuration
        do {
            try writer.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS response_cache (
                            key TEXT PRIMARY KEY NOT NULL,
                            provider TEXT NOT NULL,
                            operation TEXT NOT NULL,
                            created_at REAL NOT NULL,
                            expires_at REAL NOT NULL,
                            accessed_at REAL NOT NULL,
                            size INTEGER NOT NULL,
                            value BLOB NOT NULL
                        ) WITHOUT ROWID;
                        CREATE INDEX IF NOT EXISTS response_cache_accessed ON response_cache(accessed_at);
                        """)
            }
            let (total, keys) = try writer.read { db in
                (
                    try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM response_cache") ?? 0,
                    try String.fetchAll(db, sql: "SELECT key FROM response_cache")
                )
            }
            counters = LockedCounters(totalBytes: total, keys: Set(keys))
        } catch {
            throw ProviderError.unsupported("cannot prepare the response cache: \(error)")
        }
    }

    /// The counts so far.
    public var statistics: Statistics { counters.snapshot }

    /// The bytes of stored responses.
    public var storedBytes: Int { counters.bytes }

    /// Removes every entry.
    public func removeAll() throws {
        do {
            try writer.write { db in try db.execute(sql: "DELETE FROM response_cache") }
            counters.clear()
        } catch {
            throw ProviderError.unsupported("cannot clear the response cache: \(error)")
        }
    }

    /// Removes the entries whose time to live has passed (lookups already ignore them; this gives
    /// their space back) and returns how many there were.
    @discardableResult
    public func removeExpired() throws -> Int {
        let now = configuration.now().timeIntervalSince1970
        let counters = counters
        do {
            return try writer.write { db -> Int in
                let expired = try String.fetchAll(
                    db, sql: "SELECT key FROM response_cache WHERE expires_at <= ?", arguments: [now])
                try db.execute(sql: "DELETE FROM response_cache WHERE expires_at <= ?", arguments: [now])
                for key in expired { counters.forget(key) }
                counters.setBytes(
                    try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM response_cache") ?? 0)
                return expired.count
            }
        } catch {
            throw ProviderError.unsupported("cannot remove expired entries from the response cache: \(error)")
        }
    }

    /// Waits until every answer handed to the cache so far is written to the database.
    public func flush() throws {
        do {
            let written = try writer.write { db in try writeQueued(db) }
            counters.finishWrites(written)
        } catch {
            throw ProviderError.unsupported("cannot flush the response cache: \(error)")
        }
    }

    func lookup(key: String, provider: String) -> StoredResponse? {
        let now = configuration.now().timeIntervalSince1970
        var stored = counters.memoryValue(key, now: now)
        // The keys in the file are known, so a miss costs no read.
        if stored == nil, counters.isKnown(key) {
            // A read, not a write: the access time is noted in memory and written with the next store.
            // One SELECT needs no transaction of its own, and its statement is compiled once per connection.
            let data = try? writer.unsafeRead { db -> Data? in
                let statement = try db.cachedStatement(
                    sql: "SELECT value FROM response_cache WHERE key = ? AND expires_at > ?")
                return try Data.fetchOne(statement, arguments: [key, now])
            }
            stored = data.flatMap { $0 }.flatMap(StoredResponse.decode)
        }
        counters.count(hit: stored != nil, key: key, now: now)
        Counter(
            label: stored != nil ? "storyforge_provider_cache_hits_total" : "storyforge_provider_cache_misses_total",
            dimensions: [("provider", provider)]
        ).increment()
        return stored
    }

    /// Stores an answer. The write happens on the database's writer queue, off the caller's path;
    /// until it lands, lookups find the answer in memory.
    func store(_ value: StoredResponse, key: String, provider: String, operation: String) {
        let now = configuration.now().timeIntervalSince1970
        let write = PendingWrite(
            key: key, value: value, provider: provider, operation: operation, created: now,
            expires: now + configuration.timeToLive.seconds)
        guard counters.enqueue(write) else { return }
        // One write on GRDB's writer queue, after a 20 ms pause, takes every answer queued by then
        // in one transaction: one wake-up and one commit for a burst, not one each. Until it runs,
        // lookups find the answers in memory; `flush()` writes them at once.
        let cache = self
        DispatchQueue.global(qos: .utility).asyncAfter(deadline: .now() + .milliseconds(20)) {
            cache.writer.asyncWrite(
                { db in try cache.writeQueued(db) },
                completion: { _, result in
                    // A cache that cannot be written is skipped: the answers themselves are fine.
                    cache.counters.finishWrites((try? result.get()) ?? [])
                })
        }
    }

    /// Writes every queued answer and access time in the current transaction.
    private func writeQueued(_ db: Database) throws -> [(write: PendingWrite, evicted: Int, size: Int)] {
        let maxBytes = configuration.maxBytes
        let batch = counters.takeQueue()
        // If the transaction fails, these are what the completion must let go of.
        counters.setInFlight(batch)
        // Statements compiled once per connection: compiling costs more than running them here.
        let touch = try db.cachedStatement(sql: "UPDATE response_cache SET accessed_at = ? WHERE key = ?")
        let sizeOf = try db.cachedStatement(sql: "SELECT size FROM response_cache WHERE key = ?")
        let insert = try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO response_cache
                    (key, provider, operation, created_at, expires_at, accessed_at, size, value)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """)
        for (touchedKey, time) in counters.takeTouched() {
            try touch.execute(arguments: [time, touchedKey])
        }
        var written: [(write: PendingWrite, evicted: Int, size: Int)] = []
        var total = counters.bytes
        for write in batch {
            guard let data = try? write.value.encoded(), data.count <= maxBytes else { continue }
            // Only a key already stored can be replaced; the in-memory key set says which.
            let replaced = counters.isKnown(write.key) ? try Int.fetchOne(sizeOf, arguments: [write.key]) ?? 0 : 0
            try insert.execute(
                arguments: [
                    write.key, write.provider, write.operation, write.created, write.expires, write.created,
                    data.count, data,
                ])
            counters.remember(write.key)
            total += data.count - replaced
            written.append((write, 0, data.count))
        }
        if total > maxBytes, let newest = batch.last {
            for expired in try String.fetchAll(
                db, sql: "SELECT key FROM response_cache WHERE expires_at <= ?", arguments: [newest.created])
            {
                counters.forget(expired)
            }
            try db.execute(
                sql: "DELETE FROM response_cache WHERE expires_at <= ?", arguments: [newest.created])
            total = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM response_cache") ?? 0
            let rows = try Row.fetchAll(
                db, sql: "SELECT key, size FROM response_cache ORDER BY accessed_at ASC, created_at ASC")
            var evicted = 0
            for row in rows where total > maxBytes {
                let victim: String = row["key"]
                guard victim != newest.key else { continue }
                try db.execute(sql: "DELETE FROM response_cache WHERE key = ?", arguments: [victim])
                counters.forget(victim)
                total -= row["size"] as Int
                evicted += 1
            }
            if !written.isEmpty { written[written.count - 1].evicted = evicted }
        }
        counters.setBytes(total)
        return written
    }
}

/// An answer waiting to be written.
private struct PendingWrite: Sendable {
    var key: String
    var value: StoredResponse
    var provider: String
    var operation: String
    var created: Double
    var expires: Double
}

/// Counters, answers not yet written, and access times not yet written, behind a lock.
private final class LockedCounters: @unchecked Sendable {
    // `@unchecked Sendable`: every field is only touched under `lock`.
    private let lock = NSLock()
    private var statistics = ResponseCache.Statistics(hits: 0, misses: 0, stores: 0, evictions: 0)
    private var totalBytes: Int
    private var pending: [String: PendingWrite] = [:]
    private var queue: [PendingWrite] = []
    /// The batch being written (the writer queue writes one at a time).
    private var inFlight: [PendingWrite] = []
    private var writeScheduled = false
    private var touched: [String: Double] = [:]

    /// The keys in the database (as this process wrote them, and as they were when it was opened).
    private var keys: Set<String>

    init(totalBytes: Int, keys: Set<String>) {
        self.totalBytes = totalBytes
        self.keys = keys
    }

    func isKnown(_ key: String) -> Bool { lock.withLock { keys.contains(key) } }
    func remember(_ key: String) { _ = lock.withLock { keys.insert(key) } }
    func forget(_ key: String) { _ = lock.withLock { keys.remove(key) } }

    var snapshot: ResponseCache.Statistics { lock.withLock { statistics } }
    var bytes: Int { lock.withLock { totalBytes } }

    func count(hit: Bool, key: String, now: Double) {
        lock.withLock {
            if hit {
                statistics.hits += 1
                touched[key] = now
            } else {
                statistics.misses += 1
            }
        }
    }

    /// Recently stored answers, decoded, so that a repeat does not even read the database: at
    /// most 1024 entries of up to 256 KiB each and 16 MiB in all, oldest out first.
    private var recent: [String: (value: StoredResponse, expires: Double, size: Int)] = [:]
    private var recentOrder: [String] = []
    private var recentBytes = 0

    func memoryValue(_ key: String, now: Double) -> StoredResponse? {
        lock.withLock {
            if let entry = pending[key], entry.expires > now { return entry.value }
            if let entry = recent[key], entry.expires > now { return entry.value }
            return nil
        }
    }

    func clear() {
        lock.withLock {
            totalBytes = 0
            keys = []
            pending = [:]
            queue = []
            recent = [:]
            recentOrder = []
            recentBytes = 0
        }
    }

    /// Queues an answer; `true` when the caller must schedule a write to take the queue.
    func enqueue(_ write: PendingWrite) -> Bool {
        lock.withLock {
            pending[write.key] = write
            queue.append(write)
            defer { writeScheduled = true }
            return !writeScheduled
        }
    }

    func setInFlight(_ batch: [PendingWrite]) { lock.withLock { inFlight = batch } }

    func takeQueue() -> [PendingWrite] {
        lock.withLock {
            defer {
                queue = []
                writeScheduled = false
            }
            return queue
        }
    }

    func finishWrites(_ written: [(write: PendingWrite, evicted: Int, size: Int)]) {
        lock.withLock {
            for (write, evicted, size) in written {
                statistics.stores += 1
                statistics.evictions += evicted
                // A newer answer for the same key may be queued: it stays pending.
                if pending[write.key]?.created == write.created { pending[write.key] = nil }
                if evicted > 0 {
                    // Entries left the database: forget the memory of them too, rather than track which.
                    recent = [:]
                    recentOrder = []
                    recentBytes = 0
                    continue
                }
                guard size <= 256 << 10 else { continue }
                if let old = recent[write.key] {
                    recentBytes -= old.size
                    recentOrder.removeAll { $0 == write.key }
                }
                recent[write.key] = (write.value, write.expires, size)
                recentOrder.append(write.key)
                recentBytes += size
                while recentBytes > 16 << 20 || recentOrder.count > 1024 {
                    let oldest = recentOrder.removeFirst()
                    recentBytes -= recent.removeValue(forKey: oldest)?.size ?? 0
                }
            }
            // Answers of the batch that were not written (too large, or the write failed) are dropped.
            for write in inFlight where pending[write.key]?.created == write.created {
                pending[write.key] = nil
            }
            inFlight = []
        }
    }

    func takeTouched() -> [String: Double] {
        lock.withLock {
            defer { touched = [:] }
            return touched
        }
    }

    func setBytes(_ bytes: Int) { lock.withLock { totalBytes = bytes } }
}
