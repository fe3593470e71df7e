import CStoryForgeSpawn

/// The process's heap, as a long-running host sees it.
public enum ProcessMemory {
    /// Gives the memory the allocator holds free back to the system, where the C library can (glibc's
    /// `malloc_trim(0)`; elsewhere nothing happens), and returns whether any was released.
    ///
    /// glibc keeps freed memory in per-thread arenas for reuse: a story's frame buffers, decoded pictures and the
    /// threads that held them leave tens of megabytes there, which a server would otherwise carry as resident
    /// memory from one story to the next. A call takes a few milliseconds; a host makes it after a job, not in a
    /// loop.
    @discardableResult
    public static func releaseFreed() -> Bool { sf_release_free_memory() == 1 }
}
