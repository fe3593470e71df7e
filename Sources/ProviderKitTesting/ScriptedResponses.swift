import Foundation

/// Scripted handlers for ``LoopbackHTTPServer``: a fixed sequence of responses, or random
/// failures at a set rate, both safe to call from the server's connection threads.
///
/// ```swift
/// let script = ScriptedResponses([.json("", status: 429, headers: [("Retry-After", "2")])], then: .json(ok))
/// let server = try LoopbackHTTPServer(handler: script.handler)
/// ```
public final class ScriptedResponses: @unchecked Sendable {
    // `@unchecked Sendable`: `next`, `served` and `generator` are only touched under `lock`.
    private let lock = NSLock()
    private let script: [LoopbackHTTPServer.Response]
    private let then: @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response
    private var next = 0
    private var served = 0

    /// Answers the first requests with `script` in order, and every later one with `then`.
    public init(_ script: [LoopbackHTTPServer.Response], then: LoopbackHTTPServer.Response) {
        self.script = script
        self.then = { _ in then }
    }

    /// Answers the first requests with `script` in order, and every later one by calling `then`.
    public init(
        _ script: [LoopbackHTTPServer.Response],
        then: @escaping @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response
    ) {
        self.script = script
        self.then = then
    }

    /// How many requests have been answered.
    public var count: Int { lock.withLock { served } }

    /// The handler to give the server.
    public var handler: LoopbackHTTPServer.Handler {
        { [self] request in
            let scripted: LoopbackHTTPServer.Response? = lock.withLock {
                served += 1
                guard next < script.count else { return nil }
                defer { next += 1 }
                return script[next]
            }
            return scripted ?? then(request)
        }
    }

    /// A handler that answers one of `failures` (picked uniformly) with probability `rate` and
    /// `success` otherwise, from a seeded generator, so a run is repeatable in the order requests
    /// arrive.
    public static func randomFailures(
        rate: Double,
        seed: UInt64,
        failures: [LoopbackHTTPServer.Response],
        success: @escaping @Sendable (LoopbackHTTPServer.Request) -> LoopbackHTTPServer.Response
    ) -> LoopbackHTTPServer.Handler {
        let state = RandomState(seed: seed)
        return { request in
            let (roll, pick) = state.next()
            guard roll < rate, !failures.isEmpty else { return success(request) }
            return failures[Int(pick * Double(failures.count)) % failures.count]
        }
    }
}

/// SplitMix64 behind a lock.
private final class RandomState: @unchecked Sendable {
    // `@unchecked Sendable`: `state` is only touched under `lock`.
    private let lock = NSLock()
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// Two uniform numbers in 0..<1.
    func next() -> (Double, Double) {
        lock.withLock { (unit(), unit()) }
    }

    private func unit() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Double(z >> 11) / Double(1 << 53)
    }
}
