import CStoryForgeSpawn

/// How much lower than the rest of the process rendering runs: the child processes it starts (encoders,
/// decoders, speech) and the threads of its own that it computes on (drawing frames, measuring, upscaling).
///
/// A host that renders beside latency-sensitive work (a server's request handlers, a user interface) sets it for
/// the rendering, so that an encoder on every core does not stall the rest:
///
/// ```swift
/// try await RenderPriority.$niceness.withValue(10) { try await runner.run(job) }
/// ```
///
/// The value is a Unix nice increment: 0 (the default) runs the work as the rest of the process, 1...19 lower
/// (values outside are clamped). It reaches the children that ``Subprocess`` starts (their nice value is raised
/// before they exec) and, on Linux, where a nice value is a thread's own, the threads that ``Subprocess`` and
/// UpscaleKit start for the work. It never touches a thread of a shared pool (Swift's cooperative pool, Dispatch's
/// queues): a thread inherits its creator's nice value, so a lowered pool thread would pass it on to work that is
/// not rendering. A task value: it reaches child tasks, not detached ones. See also ``LowPriorityExecutor``, which
/// moves the rendering's own Swift code off the cooperative pool.
public enum RenderPriority {
    /// The nice increment for rendering started in this task (0...19 once clamped; 0 by default).
    @TaskLocal public static var niceness = 0

    /// ``niceness`` clamped to 0...19.
    public static var clampedNiceness: Int { clamped(niceness) }

    /// `niceness` as a nice increment: 0...19.
    static func clamped(_ niceness: Int) -> Int { min(max(niceness, 0), 19) }

    /// Raises the calling thread's nice value by `niceness` (clamped to 0...19) on Linux; elsewhere does nothing.
    /// Threads it starts afterwards inherit the lowered value, so call it only on a thread of one's own, at its
    /// start, never on a thread of a shared pool.
    public static func lowerCurrentThread(by niceness: Int) {
        let increment = clamped(niceness)
        if increment > 0 { _ = sf_lower_thread_priority(Int32(increment)) }
    }
}
