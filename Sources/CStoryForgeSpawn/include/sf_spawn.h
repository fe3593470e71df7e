#ifndef SF_SPAWN_H
#define SF_SPAWN_H

#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A started child: its process id and the read ends of its stdout and stderr pipes (close-on-exec).
typedef struct sf_child {
    pid_t pid;
    int stdout_fd;
    int stderr_fd;
} sf_child;

/// Starts `path` with the NULL-terminated `argv` and `envp` (NULL: this process's environment), stdin on
/// /dev/null, stdout and stderr on fresh pipes, every other descriptor closed, signal mask and dispositions
/// reset, in a process group of its own (so a terminal's Ctrl-C reaches only the parent, which ends it).
///
/// On Linux the child is tied to this process with PR_SET_PDEATHSIG(SIGKILL): when the parent dies for any
/// reason (kill -9, exit), the kernel kills the child. The death signal follows the *thread* that forked, so
/// every fork happens on one spawner thread that lives as long as the process.
///
/// Returns 0 and fills `child`, or an errno value (the child's exec error included: ENOENT, EACCES, ...).
int sf_spawn(const char *path, char *const argv[], char *const envp[], sf_child *child);

/// As `sf_spawn`, with the child's nice value raised by `niceness` (1...19; 0: as this process's) before it
/// execs, so it yields the processor to this process's other work. A failure to lower the priority is ignored:
/// the child then runs at the parent's.
int sf_spawn_nice(const char *path, char *const argv[], char *const envp[], sf_child *child, int niceness);

/// As `sf_spawn`, but the child's stdin is the read end of a fresh pipe instead of /dev/null; the write end goes
/// to `*stdin_fd` (close-on-exec, so no other child inherits it; on Apple platforms F_SETNOSIGPIPE is set on it).
/// Closing it is the child's end of input. On Linux the pipe is enlarged to 1 MiB where the system allows
/// (`F_SETPIPE_SZ`), so a writer of large frames wakes the reader less often.
int sf_spawn_stdin(const char *path, char *const argv[], char *const envp[], sf_child *child, int *stdin_fd);

/// As `sf_spawn_stdin`, with the child's nice value raised by `niceness` as in `sf_spawn_nice`.
int sf_spawn_stdin_nice(
    const char *path, char *const argv[], char *const envp[], sf_child *child, int *stdin_fd, int niceness);

/// Raises the calling thread's nice value by `niceness` (1...19; values outside are clamped, 0 does nothing), on
/// Linux, where the nice value is a thread's own; elsewhere it does nothing. Threads the caller starts afterwards
/// inherit it. Returns 0 or an errno value.
int sf_lower_thread_priority(int niceness);

/// Returns the allocator's free memory to the system where the C library can (glibc's `malloc_trim(0)`: the free
/// parts of every arena); elsewhere does nothing. Returns 1 when memory was released, else 0.
int sf_release_free_memory(void);

/// Writes all `count` bytes of `bytes` to `fd`, blocking, retrying interrupted and short writes, and stores how many
/// were written in `*written`. Returns 0 or an errno value (EPIPE when the reader has gone).
///
/// A write to a pipe whose reader has gone raises SIGPIPE, whose default action kills the process. This call
/// never lets it do so and changes no process-wide state: on Linux SIGPIPE is blocked in the calling thread for
/// the duration of the call and a SIGPIPE the call raised is consumed (`sigtimedwait`) before the mask is restored;
/// on Apple platforms the descriptor from `sf_spawn_stdin` carries F_SETNOSIGPIPE.
int sf_write_all(int fd, const void *bytes, size_t count, size_t *written);

#ifdef __cplusplus
}
#endif

#endif
