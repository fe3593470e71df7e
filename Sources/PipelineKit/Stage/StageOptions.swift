/// The policies the runner applies to one stage.
public struct StageOptions: Sendable {
    /// How failed attempts are retried.
    public var retry: RetryPolicy
    /// The limit for one attempt; `nil` means none.
    public var attemptTimeout: Duration?
    /// The limit for all attempts and the delays between them together; `nil` means none.
    public var totalTimeout: Duration?
    /// Whether and how results are reused across runs.
    public var cache: CachePolicy
    /// When `true`, a stage that fails for good hands its fallback output downstream instead of failing the run.
    public var continueOnError: Bool

    /// Creates options; every parameter has a default.
    public init(
        retry: RetryPolicy = .none,
        attemptTimeout: Duration? = nil,
        totalTimeout: Duration? = nil,
        cache: CachePolicy = .inputsAndVersion,
        continueOnError: Bool = false
    ) {
        self.retry = retry
        self.attemptTimeout = attemptTimeout
        self.totalTimeout = totalTimeout
        self.cache = cache
        self.continueOnError = continueOnError
    }
}

/// Whether a stage's results are reused across runs.
///
/// Within one run, committed results are always reused on resume whatever the policy: that is durability,
/// not caching.
public struct CachePolicy: Sendable, Hashable, CustomStringConvertible {
    fileprivate enum Kind: Hashable, Sendable {
        case none
        case inputsAndVersion
        case ttl(Duration)
        case refresh
    }

    fileprivate let kind: Kind

    /// Never read nor write the cross-run cache.
    public static let none = CachePolicy(kind: .none)
    /// Reuse a result when stage id, version, canonical input, configuration and upstream lineage all match (default).
    public static let inputsAndVersion = CachePolicy(kind: .inputsAndVersion)
    /// Forced refresh: ignore cached results, run the stage and overwrite the cache entry.
    public static let refresh = CachePolicy(kind: .refresh)

    /// Like ``inputsAndVersion``, but an entry older than `maxAge` is treated as missing.
    public static func ttl(_ maxAge: Duration) -> CachePolicy { CachePolicy(kind: .ttl(maxAge)) }

    /// Whether cached results may be read.
    var readsCache: Bool {
        switch kind {
        case .none, .refresh: return false
        case .inputsAndVersion, .ttl: return true
        }
    }

    /// Whether fresh results are written to the cache.
    var writesCache: Bool { kind != .none }

    /// The maximum age of a usable entry, if any.
    var maxAge: Duration? {
        if case .ttl(let age) = kind { return age }
        return nil
    }

    /// The policy's name, as written in configuration files.
    public var description: String {
        switch kind {
        case .none: return "none"
        case .inputsAndVersion: return "inputsAndVersion"
        case .ttl(let age): return "ttl(\(age))"
        case .refresh: return "refresh"
        }
    }
}
