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
            counters.setBytes(0)
        } catch {
            throw ProviderError.unsupported("cannot clear the response cache: \(error)")
        }
    }

    func lookup(key: String, provider: String) -> StoredResponse? {
        let now = configuration.now().timeIntervalSince1970
        let data: Data?
        do {
            data = try writer.write { db -> Data? in
                guard
                    let row = try Row.fetchOne(
                        db, sql: "SELECT value, expires_at FROM response_cache WHERE key = ?", arguments: [key])
                else { return nil }
                guard (row["expires_at"] as Double) > now else { return nil }
                try db.execute(sql: "UPDATE response_cache SET accessed_at = ? WHERE key = ?", arguments: [now, key])
                return row["value"]
            }
        } catch {
            data = nil  // an unreadable cache is a miss, not a failure
        }
        let stored = data.flatMap(StoredResponse.decode)
        counters.count(hit: stored != nil)
        Counter(
            label: stored != nil ? "storyforge_provider_cache_hits_total" : "storyforge_provider_cache_misses_total",
            dimensions: [("provider", provider)]
        ).increment()
        return stored
    }

    func store(_ value: StoredResponse, key: String, provider: String, operation: String) {
        guard let data = try? value.encoded(), data.count <= configuration.maxBytes else { return }
        let now = configuration.now().timeIntervalSince1970
        let expires = now + configuration.timeToLive.seconds
        let maxBytes = configuration.maxBytes
        let counters = counters
        do {
            // Writes are serialised by the writer, so the running total is read and set consistently here.
            let (total, evicted) = try writer.write { db -> (Int, Int) in
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
                    let rows = try Row.fetchAll(
                        db, sql: "SELECT key, size FROM response_cache ORDER BY accessed_at ASC")
                    total = try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM response_cache") ?? 0
                    for row in rows where total > maxBytes {
                        let victim: String = row["key"]
                        guard victim != key else { continue }
                        try db.execute(sql: "DELETE FROM response_cache WHERE key = ?", arguments: [victim])
                        total -= row["size"] as Int
                        evicted += 1
                    }
                }
                return (total, evicted)
            }
            counters.stored(totalBytes: total, evicted: evicted)
        } catch {
            // A cache that cannot be written is skipped: the response itself is fine.
        }
    }
}

/// Counters behind a lock.
private final class LockedCounters: @unchecked Sendable {
    // `@unchecked Sendable`: every field is only touched under `lock`.
    private let lock = NSLock()
    private var statistics = ResponseCache.Statistics(hits: 0, misses: 0, stores: 0, evictions: 0)
    private var totalBytes: Int

    init(totalBytes: Int) { self.totalBytes = totalBytes }

    var snapshot: ResponseCache.Statistics { lock.withLock { statistics } }
    var bytes: Int { lock.withLock { totalBytes } }

    func count(hit: Bool) {
        lock.withLock {
            if hit { statistics.hits += 1 } else { statistics.misses += 1 }
        }
    }

    func stored(totalBytes: Int, evicted: Int) {
        lock.withLock {
            self.totalBytes = totalBytes
            statistics.stores += 1
            statistics.evictions += evicted
        }
    }

    func setBytes(_ bytes: Int) { lock.withLock { totalBytes = bytes } }
}
