import Foundation
import StoryForgeCore
import StoryForgeTestSupport
import Synchronization
import Testing

/// How rendering yields to the rest of a host: children and threads at a lower priority, and runs whose waits never
/// hold a thread that the process's tasks need.
@Suite struct SubprocessPriorityTests {
    private static let onLinux = ThreadNiceness.isReadable

    /// The nice value `nice` (coreutils) reports for itself when started by the runner.
    private static func childNiceness() async throws -> Int {
        let result = try await Subprocess.run(try #require(Subprocess.find("nice")), [])
        #expect(result.status == 0)
        return try #require(
            Int(String(decoding: result.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    /// The calling thread's nice value.
    private static func threadNiceness() throws -> Int { try #require(ThreadNiceness.current()) }

    @Test(.enabled(if: onLinux, "nice values are per thread on Linux"))
    func childrenStartedUnderANicenessRunThatMuchLower() async throws {
        let base = try await Self.childNiceness()
        #expect(try await RenderPriority.$niceness.withValue(5) { try await Self.childNiceness() } == min(base + 5, 19))
        // Clamped: more than 19 is 19, less than 0 changes nothing.
        #expect(try await RenderPriority.$niceness.withValue(99) { try await Self.childNiceness() } == 19)
        #expect(try await RenderPriority.$niceness.withValue(-5) { try await Self.childNiceness() } == base)
        // A task value: outside it, children start as before.
        #expect(try await Self.childNiceness() == base)
    }

    @Test(.enabled(if: onLinux, "nice values are per thread on Linux"))
    func theThreadThatFeedsAChildRunsAsLowAsTheChild() async throws {
        let base = try Self.threadNiceness()
        let seen = Mutex<Int?>(nil)
        let cat = try #require(Subprocess.find("cat"))
        let result = try await RenderPriority.$niceness.withValue(4) {
            try await Subprocess.run(cat, [], outputLimit: 16) { input in
                seen.withLock { $0 = try? Self.threadNiceness() }
                try input.write(Array("x".utf8))
            }
        }
        #expect(result.status == 0)
        #expect(seen.withLock { $0 } == min(base + 4, 19))
        // The caller's own thread is untouched.
        #expect(try Self.threadNiceness() == base)
    }

    @Test("children that run for a while do not hold the threads that the process's tasks and Dispatch work need")
    func runningChildrenLeaveThePoolFree() async throws {
        let sleep = try #require(Subprocess.find("sleep"))
        // More children than cores, each with its output readers and exit waiter: had they held threads of
        // Dispatch's global queues (on Linux the same few, one a core, that Swift's tasks run on), nothing else
        // in the process would run until the children ended.
        let children = 2 * ProcessInfo.processInfo.activeProcessorCount + 2
        let clock = ContinuousClock()
        let started = clock.now
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<children {
                group.addTask { _ = try await Subprocess.run(sleep, ["3"]) }
            }
            try await Task.sleep(for: .milliseconds(300))
            let dispatched = await clock.measure {
                await withCheckedContinuation { continuation in
                    DispatchQueue.global().async { continuation.resume() }
                }
            }
            let detached = await clock.measure { _ = await Task.detached { 1 }.value }
            // The children end after 3 s; blocked behind them, these would take about 2.7 s.
            #expect(dispatched < .seconds(1.5), "Dispatch work waited \(dispatched)")
            #expect(detached < .seconds(1.5), "a task waited \(detached)")
            try await group.waitForAll()
        }
        // All sleep at once, so all end after about 3 s. When their readers waited for threads of a pool that the
        // first children's readers held, the last runs ended only once those had (6 s and more).
        let elapsed = clock.now - started
        #expect(elapsed < .seconds(5), "\(children) children of 3 s took \(elapsed)")
    }

    @Test(.enabled(if: onLinux, "nice values are per thread on Linux"))
    func aLowPriorityExecutorRunsPreferringTasksOnItsLoweredThreads() async throws {
        let base = try Self.threadNiceness()
        let executor = LowPriorityExecutor(threads: 2, niceness: 3, name: "test.low")
        let inside = try await withTaskExecutorPreference(executor) { try Self.threadNiceness() }
        #expect(inside == min(base + 3, 19))
        #expect(executor.threadCount == 2)
        executor.shutdown()
        // After shutdown, its jobs run on the global executor: the task still finishes.
        let after = await withTaskExecutorPreference(executor) { 42 }
        #expect(after == 42)
    }

    @Test func aLowPriorityExecutorClampsItsSettings() {
        let executor = LowPriorityExecutor(threads: 0, niceness: 40)
        defer { executor.shutdown() }
        #expect(executor.threadCount == 1)
        #expect(executor.niceness == 19)
    }
}
