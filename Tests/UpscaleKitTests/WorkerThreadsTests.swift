import Foundation
import StoryForgeCore
import StoryForgeTestSupport
import Synchronization
import Testing

@testable import UpscaleKit

/// Where the upscaler computes: its own threads, at the rendering's priority.
@Suite struct WorkerThreadsTests {
    private static let onLinux = ThreadNiceness.isReadable

    private static func threadNiceness() -> Int? { ThreadNiceness.current() }

    @Test func everyIterationRunsOnceAndAllAtOnce() {
        let calls = Mutex([Int](repeating: 0, count: 5))
        let inside = Atomic<Int>(0)
        let most = Atomic<Int>(0)
        WorkerThreads.concurrentPerform(iterations: 5) { index in
            let now = inside.add(1, ordering: .relaxed).newValue
            _ = most.max(now, ordering: .relaxed)
            calls.withLock { $0[index] += 1 }
            // Long enough for the others to start: the calls overlap.
            Thread.sleep(forTimeInterval: 0.05)
            inside.subtract(1, ordering: .relaxed)
        }
        #expect(calls.withLock { $0 } == [1, 1, 1, 1, 1])
        #expect(most.load(ordering: .relaxed) > 1)
        WorkerThreads.concurrentPerform(iterations: 0) { _ in Issue.record("no iteration expected") }
    }

    @Test(.enabled(if: onLinux, "nice values are per thread on Linux"))
    func theUpscalersThreadsRunAtTheRenderingsPriority() async throws {
        let base = try #require(Self.threadNiceness())
        let seen = try await WorkerThreads.run(niceness: 6, name: "test.upscale") {
            let values = Mutex([Int?](repeating: nil, count: 3))
            WorkerThreads.concurrentPerform(iterations: 3) { index in
                let value = Self.threadNiceness()
                values.withLock { $0[index] = value }
            }
            return values.withLock { $0 }
        }
        #expect(seen == [Int?](repeating: min(base + 6, 19), count: 3))
        #expect(Self.threadNiceness() == base)
    }
}
