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

#ifdef __cplusplus
}
#endif

#endif
