import Foundation

/// A task executor with threads of its own that run at a lower priority than the rest of the process.
///
/// A host that renders stories beside latency-sensitive work (a server's request handlers, a user interface)
/// runs the rendering on one: the pipeline's own computation (drawing pictures, resampling, measuring) then runs
/// on these threads instead of the shared cooperative pool, where a handler would wait behind it, and the kernel
/// gives the handlers the cores first.
///
/// ```swift
/// let rendering = LowPriorityExecutor(threads: 2, niceness: 10)
/// try await withTaskExecutorPreference(rendering) {
///     try await RenderPriority.$niceness.withValue(10) { try await runner.run(job) }
/// }
/// ```
///
/// Only nonisolated work follows the preference; an actor's methods still run on the actor's executor. On Linux
/// each thread's nice value is raised by `niceness`; elsewhere the threads run at the process's priority. Jobs
/// enqueued after ``shutdown()`` run on the global concurrent executor, so no task is ever stranded.
public final class LowPriorityExecutor: TaskExecutor, @unchecked Sendable {
    // `@unchecked Sendable`: `jobs` and `stopped` are guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [UnownedJob] = []
    private var head = 0
    private var stopped = false

    /// The number of threads.
    public let threadCount: Int

    /// The nice increment the threads run at (0...19).
    public let niceness: Int

    /// Starts `threads` threads (clamped to 1...64) named `name`, each with its nice value raised by `niceness`
    /// (clamped to 0...19).
    public init(threads: Int, niceness: Int, name: String = "storyforge.low-priority") {
        threadCount = min(max(threads, 1), 64)
        self.niceness = RenderPriority.clamped(niceness)
        for index in 0..<threadCount {
            let thread = Thread { [self] in work() }
            thread.name = "\(name).\(index)"
            thread.start()
        }
    }

    /// Enqueues a job; it runs on one of the threads (or, after ``shutdown()``, on the global concurrent executor).
    public func enqueue(_ job: consuming ExecutorJob) {
        let unowned = UnownedJob(job)
        condition.lock()
        if stopped {
            condition.unlock()
            globalConcurrentExecutor.enqueue(unowned)
            return
        }
        jobs.append(unowned)
        condition.signal()
        condition.unlock()
    }

    /// Ends the threads once the jobs already enqueued have run; later jobs go to the global concurrent executor.
    public func shutdown() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    private func work() {
        RenderPriority.lowerCurrentThread(by: niceness)
        while let job = next() {
            job.runSynchronously(on: asUnownedTaskExecutor())
        }
    }

    /// The next job, waiting for one; nil once stopped and drained.
    private func next() -> UnownedJob? {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count {
            if stopped { return nil }
            condition.wait()
        }
        let job = jobs[head]
        head += 1
        // Compact now and then, so the array does not grow with every job ever run.
        if head >= 1_024, head * 2 >= jobs.count {
            jobs.removeFirst(head)
            head = 0
        }
        return job
    }
}
