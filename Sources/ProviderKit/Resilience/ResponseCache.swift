public import Foundation
import GRDB
import Metrics

/// An exact response cache in SQLite: keyed by the SHA-256 of the canonical request (provider,
/// operation, model, every parameter, the messages; never a credential), with a time to live, a
/// size limit (least recently used entries go first) and hit and miss counters.
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
            let total = try writer.read { db in
                try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM response_cache") ?? 0
            }
            counters = LockedCounters(totalBytes: total)
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

    /// Waits until every answer handed to the cache so far is written to the database.
    public func flush() throws {
        do {
            try writer.write { _ in }
        } catch {
            throw ProviderError.unsupported("cannot flush the response cache: \(error)")
        }
    }

    func lookup(key: String, provider: String) -> StoredResponse? {
        let now = configuration.now().timeIntervalSince1970
        var stored = counters.memoryValue(key, now: now)
        if stored == nil {
            // A read, not a write: the access time is noted in memory and written with the next store.
            let data = try? writer.read { db -> Data? in
                try Data.fetchOne(
                    db, sql: "SELECT value FROM response_cache WHERE key = ? AND expires_at > ?", arguments: [key, now])
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
        let expires = now + configuration.timeToLive.seconds
        let maxBytes = configuration.maxBytes
        let counters = counters
        let generation = counters.addPending(key, value: value, expires: expires)
        // Writes are serialised by the writer, so the running total is read and set consistently here.
        writer.asyncWrite(
            { db -> (evicted: Int, size: Int)? in
                let touched = counters.takeTouched()
                for (touchedKey, time) in touched {
                    try db.execute(
                        sql: "UPDATE response_cache SET accessed_at = ? WHERE key = ?", arguments: [time, touchedKey])
                }
                let data = try value.encoded()
                guard data.count <= maxBytes else { return nil }
                let replaced =
                    try Int.fetchOne(db, sql: "SELECT size FROM response_cache WHERE key = ?", arguments: [key]) ?? 0
                try db.execute(
                    sql: """
                        INSERT OR REPLACE INTO response_cache
                            (key, provider, operation, created_at, expires_at, accessed_at, size, value)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [key, provider, operation, now, expires, now, data.count, data])
                var total = counters.bytes - replaced + data.count
                var evicted = 0
                if total > maxBytes {
                    try db.execute(sql: "DELETE FROM response_cache WHERE expires_at <= ?", arguments: [now])
                    total = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM response_cache") ?? 0
                    let rows = try Row.fetchAll(
                        db, sql: "SELECT key, size FROM response_cache ORDER BY accessed_at ASC")
                    for row in rows where total > maxBytes {
                        let victim: String = row["key"]
                        guard victim != key else { continue }
                        try db.execute(sql: "DELETE FROM response_cache WHERE key = ?", arguments: [victim])
                        total -= row["size"] as Int
                        evicted += 1
                    }
                }
                counters.setBytes(total)
                return (evicted, data.count)
            },
            completion: { _, result in
                // A cache that cannot be written is skipped: the answer itself is fine.
                counters.finishPending(key, generation: generation, written: (try? result.get()) ?? nil)
            })
    }
}

/// Counters, answers not yet written, and access times not yet written, behind a lock.
private final class LockedCounters: @unchecked Sendable {
    // `@unchecked Sendable`: every field is only touched under `lock`.
    private let lock = NSLock()
    private var statistics = ResponseCache.Statistics(hits: 0, misses: 0, stores: 0, evictions: 0)
    private var totalBytes: Int
    private var pending: [String: (value: StoredResponse, expires: Double, generation: UInt64)] = [:]
    private var nextGeneration: UInt64 = 0
    private var touched: [String: Double] = [:]

    init(totalBytes: Int) { self.totalBytes = totalBytes }

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
            pending = [:]
            recent = [:]
            recentOrder = []
            recentBytes = 0
        }
    }

    func addPending(_ key: String, value: StoredResponse, expires: Double) -> UInt64 {
        lock.withLock {
            nextGeneration += 1
            pending[key] = (value, expires, nextGeneration)
            return nextGeneration
        }
    }

    func finishPending(_ key: String, generation: UInt64, written: (evicted: Int, size: Int)?) {
        lock.withLock {
            guard let entry = pending[key], entry.generation == generation else { return }
            pending[key] = nil
            guard let written else { return }
            statistics.stores += 1
            statistics.evictions += written.evicted
            if written.evicted > 0 {
                // Entries left the database: forget the memory of them too, rather than track which.
                recent = [:]
                recentOrder = []
                recentBytes = 0
                return
            }
            guard written.size <= 256 << 10 else { return }
            if let old = recent[key] {
                recentBytes -= old.size
                recentOrder.removeAll { $0 == key }
            }
            recent[key] = (entry.value, entry.expires, written.size)
            recentOrder.append(key)
            recentBytes += written.size
            while recentBytes > 16 << 20 || recentOrder.count > 1024 {
                let oldest = recentOrder.removeFirst()
                recentBytes -= recent.removeValue(forKey: oldest)?.size ?? 0
            }
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
