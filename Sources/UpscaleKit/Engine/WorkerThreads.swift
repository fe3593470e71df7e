import Foundation
import StoryForgeCore

/// Where the upscaler computes: threads of its own, never Dispatch's global queues (on Linux those run on a small
/// pool that the rest of the process waits for too, so a long upscale there would hold threads other work needs),
/// and at the rendering's priority (``StoryForgeCore/RenderPriority``) when the caller set one.
enum WorkerThreads {
    /// Runs `work` on a new thread at `niceness` (see ``StoryForgeCore/RenderPriority``) and awaits its result.
    static func run<T: Sendable>(
        niceness: Int, name: String, _ work: @escaping @Sendable () throws -> T
    ) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                RenderPriority.lowerCurrentThread(by: niceness)
                continuation.resume(with: Result { try work() })
            }
            thread.name = name
            thread.start()
        }
    }

    /// Calls `body` with 0..<`count` at once, as `DispatchQueue.concurrentPerform` does: 0 on the calling thread,
    /// the others on threads started from it (so they share its priority), and returns once every call has.
    static func concurrentPerform(iterations count: Int, _ body: (Int) -> Void) {
        guard count > 1 else {
            if count == 1 { body(0) }
            return
        }
        withoutActuallyEscaping(body) { body in
            // The threads reach the closure through a box that is emptied once every call has returned, so no
            // thread object still holds it when this function returns (which `withoutActuallyEscaping` checks).
            let shared = ClosureBox(body)
            let group = DispatchGroup()
            for index in 1..<count {
                group.enter()
                let thread = Thread {
                    shared.call(index)
                    group.leave()
                }
                thread.name = "storyforge.upscale.\(index)"
                thread.start()
            }
            body(0)
            group.wait()
            shared.empty()
        }
    }
}

/// The closure of one `WorkerThreads.concurrentPerform`, shared with its threads until every call has returned.
/// `@unchecked Sendable`: the closure is set before the threads start and emptied after they have all called it.
private final class ClosureBox: @unchecked Sendable {
    private var body: ((Int) -> Void)?

    init(_ body: @escaping (Int) -> Void) { self.body = body }

    func call(_ index: Int) { body?(index) }

    func empty() { body = nil }
}
