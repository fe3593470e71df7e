import Foundation

/// Renders a timeline's frames on a few threads of its own and hands them to one writer in order, with a fixed
/// pool of frame buffers: at most ``capacity`` frames exist at once (being drawn, waiting, or being written), so
/// memory stays flat whatever the video's length, and a writer blocked on a full pipe stops the renderers too.
///
/// Frame `k` is claimed (with a free buffer) only after frame `k − 1`, so the frame the writer waits for is
/// always being drawn or done: the pool cannot deadlock.
///
/// `@unchecked Sendable`: every mutable property is guarded by `condition`; a buffer taken out of the pool is
/// owned by the one thread holding it until it is handed back under the lock.
final class FramePipeline: @unchecked Sendable {
    /// Frames allocated at once.
    let capacity: Int
    private let threads: Int
    private let source: any VideoFrameSource
    private let total: Int
    private let progress: (@Sendable (Double) -> Void)?

    private let condition = NSCondition()
    private var free: [YUV420Frame]
    private var ready: [Int: YUV420Frame] = [:]
    private var nextToRender = 0
    private var running = 0
    private var stopped = false
    private var cancelled = false
    private var failure: (any Error)?

    /// - Parameters:
    ///   - threads: render threads (at least 1).
    ///   - capacity: frames in flight (at least `threads`).
    init(
        source: any VideoFrameSource, timeline: VideoTimeline, threads: Int, capacity: Int,
        progress: (@Sendable (Double) -> Void)?
    ) throws {
        self.threads = max(1, threads)
        self.capacity = max(self.threads, capacity)
        self.source = source
        self.total = max(0, timeline.totalFrames)
        self.progress = progress
        let blank = try YUV420Frame(width: timeline.width, height: timeline.height)
        // Distinct storage per buffer: copies of `blank` share one array until written, so each is made unique now,
        // before the renderers run, rather than by a copy-on-write inside the first render of each.
        free = (0..<self.capacity).map { _ in
            var frame = blank
            frame.bytes.withUnsafeMutableBytes { _ in }
            return frame
        }
    }

    /// Draws and writes every frame in order (on the calling thread, which blocks in `write`), with the render
    /// threads started for the duration of the call; they have all ended when it returns or throws.
    /// - Throws: the renderer's error, the writer's error, or `CancellationError` after ``cancel()``.
    func run(writing write: (YUV420Frame) throws -> Void) throws {
        condition.withLock { running = threads }
        for number in 0..<threads {
            let thread = Thread { [self] in renderLoop() }
            thread.name = "storyforge.composer.render.\(number)"
            thread.start()
        }
        defer { stopAndJoin() }
        // Progress in steps of 0.5 %: a report a frame would flood a host's event stream.
        var reportedStep = -1
        for index in 0..<total {
            let frame = try take(index)
            let written = Result { try write(frame) }
            // `consume`: the buffer goes back with no reference left here, so the renderer that takes it next
            // writes it in place instead of copying it.
            give(back: consume frame)
            try written.get()
            let step = (index + 1) * 200 / max(1, total)
            if step != reportedStep || index == total - 1 {
                reportedStep = step
                progress?(Double(index + 1) / Double(total))
            }
        }
    }

    /// Stops the renderers and the writer's wait; ``run(writing:)`` then throws `CancellationError`.
    func cancel() {
        condition.withLock {
            cancelled = true
            stopped = true
            condition.broadcast()
        }
    }

    private func renderLoop() {
        while true {
            condition.lock()
            while !stopped && nextToRender < total && free.isEmpty { condition.wait() }
            guard !stopped, nextToRender < total else {
                running -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            let index = nextToRender
            nextToRender += 1
            var frame = free.removeLast()
            condition.unlock()
            do {
                try source.render(frame: index, into: &frame)
            } catch {
                condition.withLock {
                    if failure == nil { failure = error }
                    stopped = true
                    running -= 1
                    condition.broadcast()
                }
                return
            }
            condition.lock()
            ready[index] = consume frame
            condition.broadcast()
            condition.unlock()
        }
    }

    private func take(_ index: Int) throws -> YUV420Frame {
        condition.lock()
        defer { condition.unlock() }
        while ready[index] == nil && !stopped { condition.wait() }
        if cancelled { throw CancellationError() }
        if let failure { throw failure }
        guard let frame = ready.removeValue(forKey: index) else { throw CancellationError() }
        return frame
    }

    private func give(back frame: consuming YUV420Frame) {
        condition.lock()
        free.append(frame)
        // Renderers and the writer wait on the one condition: wake them all, or the wakeup may go to the wrong one.
        condition.broadcast()
        condition.unlock()
    }

    private func stopAndJoin() {
        condition.lock()
        stopped = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        ready.removeAll()
        condition.unlock()
    }
}
