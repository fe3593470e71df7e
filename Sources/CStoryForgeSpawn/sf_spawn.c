#define _GNU_SOURCE
#include "sf_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#ifdef __linux__
#include <sys/prctl.h>
#include <sys/syscall.h>
#endif

extern char **environ;

struct sf_request {
    const char *path;
    char *const *argv;
    char *const *envp;
    sf_child *child;
    int *stdin_fd;
    int niceness;
    int result;
    int done;
};

static pthread_once_t spawner_once = PTHREAD_ONCE_INIT;
static int spawner_error = 0;
static pthread_mutex_t call_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t queue_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
static struct sf_request *pending = NULL;

static int make_pipe(int fds[2]) {
#ifdef __linux__
    return pipe2(fds, O_CLOEXEC);
#else
    if (pipe(fds) != 0) return -1;
    fcntl(fds[0], F_SETFD, FD_CLOEXEC);
    fcntl(fds[1], F_SETFD, FD_CLOEXEC);
    return 0;
#endif
}

/// Closes every descriptor from `low` up, except `keep`. Only async-signal-safe calls: this runs between fork and
/// exec in a multithreaded process.
static void close_from(int low, int keep) {
#if defined(__linux__) && defined(SYS_close_range)
    if (keep > low) syscall(SYS_close_range, (unsigned)low, (unsigned)(keep - 1), 0);
    if (syscall(SYS_close_range, (unsigned)(keep + 1), ~0U, 0) == 0) return;
    if (keep < low) keep = low - 1;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    // 65536: a cap for systems that report no limit or a huge one; descriptors above it are not expected.
    if (max < 0 || max > 65536) max = 65536;
    for (int fd = low; fd < max; fd++) {
        if (fd != keep) close(fd);
    }
}

static void report_and_exit(int report_fd) {
    int code = errno;
    ssize_t ignored = write(report_fd, &code, sizeof code);
    (void)ignored;
    _exit(127);
}

static int clamp_niceness(int niceness) {
    if (niceness < 0) return 0;
    return niceness > 19 ? 19 : niceness;
}

/// Raises the nice value of `who` (a process or, on Linux, a thread id; 0: the caller) by `niceness`, up to 19.
/// Only system calls: the child runs this between fork and exec.
static int lower_priority(id_t who, int niceness) {
    if (niceness <= 0) return 0;
    errno = 0;
    int current = getpriority(PRIO_PROCESS, who);
    if (current == -1 && errno != 0) return errno;
    int wanted = current + niceness;
    if (wanted > 19) wanted = 19;
    if (wanted <= current) return 0;
    return setpriority(PRIO_PROCESS, who, wanted) == 0 ? 0 : errno;
}

static void close_pair(int fds[2]) {
    if (fds[0] >= 0) close(fds[0]);
    if (fds[1] >= 0) close(fds[1]);
}

static int do_spawn(struct sf_request *request) {
    int out[2] = {-1, -1}, err[2] = {-1, -1}, report[2] = {-1, -1}, in[2] = {-1, -1};
    if (make_pipe(out) != 0) return errno;
    if (make_pipe(err) != 0) {
        int code = errno;
        close_pair(out);
        return code;
    }
    if (make_pipe(report) != 0) {
        int code = errno;
        close_pair(out); close_pair(err);
        return code;
    }
    if (request->stdin_fd != NULL) {
        if (make_pipe(in) != 0) {
            int code = errno;
            close_pair(out); close_pair(err); close_pair(report);
            return code;
        }
#if defined(__linux__) && defined(F_SETPIPE_SZ)
        // 1 MiB: Linux's default /proc/sys/fs/pipe-max-size for unprivileged processes; a failure keeps 64 KiB.
        (void)fcntl(in[1], F_SETPIPE_SZ, 1 << 20);
#endif
#if defined(F_SETNOSIGPIPE)
        (void)fcntl(in[1], F_SETNOSIGPIPE, 1);
#endif
    }
    pid_t parent = getpid();
    char *const *envp = request->envp ? request->envp : environ;
    pid_t pid = fork();
    if (pid < 0) {
        int code = errno;
        close_pair(out); close_pair(err); close_pair(report); close_pair(in);
        return code;
    }
    if (pid == 0) {
#ifdef __linux__
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) report_and_exit(report[1]);
        // The parent may have died before the death signal was armed.
        if (getppid() != parent) _exit(127);
#else
        (void)parent;
#endif
        setpgid(0, 0);
        (void)lower_priority(0, request->niceness);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        struct sigaction standard;
        memset(&standard, 0, sizeof standard);
        standard.sa_handler = SIG_DFL;
        for (int number = 1; number < NSIG; number++) {
            if (number != SIGKILL && number != SIGSTOP) sigaction(number, &standard, NULL);
        }
        int input = in[0];
        if (input < 0) input = open("/dev/null", O_RDONLY);
        if (input < 0) report_and_exit(report[1]);
        if (dup2(input, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) report_and_exit(report[1]);
        close_from(3, report[1]);
        execve(request->path, request->argv, envp);
        report_and_exit(report[1]);
    }
    close(out[1]);
    close(err[1]);
    close(report[1]);
    if (in[0] >= 0) close(in[0]);
    int code = 0;
    ssize_t got;
    do {
        got = read(report[0], &code, sizeof code);
    } while (got < 0 && errno == EINTR);
    close(report[0]);
    if (got == (ssize_t)sizeof code) {
        // exec failed: reap the child, which exited with 127.
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        close(out[0]);
        close(err[0]);
        if (in[1] >= 0) close(in[1]);
        return code ? code : ECHILD;
    }
    request->child->pid = pid;
    request->child->stdout_fd = out[0];
    request->child->stderr_fd = err[0];
    if (request->stdin_fd != NULL) *request->stdin_fd = in[1];
    return 0;
}

static void *spawner_main(void *unused) {
    (void)unused;
    for (;;) {
        pthread_mutex_lock(&queue_lock);
        while (pending == NULL) pthread_cond_wait(&queue_cond, &queue_lock);
        struct sf_request *request = pending;
        pthread_mutex_unlock(&queue_lock);
        int result = do_spawn(request);
        pthread_mutex_lock(&queue_lock);
        request->result = result;
        request->done = 1;
        pending = NULL;
        pthread_cond_broadcast(&queue_cond);
        pthread_mutex_unlock(&queue_lock);
    }
    return NULL;
}

static void start_spawner(void) {
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    // Every signal blocked on the spawner thread: the process's handlers run elsewhere, and the child resets its
    // mask anyway.
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    pthread_t thread;
    spawner_error = pthread_create(&thread, &attributes, spawner_main, NULL);
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    pthread_attr_destroy(&attributes);
}

static int spawn_request(
    const char *path, char *const argv[], char *const envp[], sf_child *child, int *stdin_fd, int niceness) {
    pthread_once(&spawner_once, start_spawner);
    if (spawner_error != 0) return spawner_error;
    struct sf_request request = {path, argv, envp, child, stdin_fd, clamp_niceness(niceness), 0, 0};
    pthread_mutex_lock(&call_lock);
    pthread_mutex_lock(&queue_lock);
    pending = &request;
    pthread_cond_broadcast(&queue_cond);
    while (!request.done) pthread_cond_wait(&queue_cond, &queue_lock);
    pthread_mutex_unlock(&queue_lock);
    pthread_mutex_unlock(&call_lock);
    return request.result;
}

int sf_spawn(const char *path, char *const argv[], char *const envp[], sf_child *child) {
    return spawn_request(path, argv, envp, child, NULL, 0);
}

int sf_spawn_nice(const char *path, char *const argv[], char *const envp[], sf_child *child, int niceness) {
    return spawn_request(path, argv, envp, child, NULL, niceness);
}

int sf_spawn_stdin(const char *path, char *const argv[], char *const envp[], sf_child *child, int *stdin_fd) {
    return sf_spawn_stdin_nice(path, argv, envp, child, stdin_fd, 0);
}

int sf_spawn_stdin_nice(
    const char *path, char *const argv[], char *const envp[], sf_child *child, int *stdin_fd, int niceness) {
    if (stdin_fd == NULL) return EINVAL;
    *stdin_fd = -1;
    return spawn_request(path, argv, envp, child, stdin_fd, niceness);
}

int sf_lower_thread_priority(int niceness) {
#ifdef __linux__
    // A thread inherits its creator's nice value: the spawner thread is started first, while this thread still
    // runs at its old priority, so the children of later spawns do not start from the lowered one.
    pthread_once(&spawner_once, start_spawner);
    return lower_priority((id_t)syscall(SYS_gettid), clamp_niceness(niceness));
#else
    (void)niceness;
    return 0;
#endif
}

int sf_write_all(int fd, const void *bytes, size_t count, size_t *written) {
    size_t done = 0;
    int result = 0;
#ifdef __linux__
    sigset_t pipe_only, previous, pending_before;
    sigemptyset(&pipe_only);
    sigaddset(&pipe_only, SIGPIPE);
    sigemptyset(&pending_before);
    sigpending(&pending_before);
    // A SIGPIPE already pending (for the thread or the process) was not raised here: leave it to its owner.
    int was_pending = sigismember(&pending_before, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_only, &previous);
#endif
    while (done < count) {
        ssize_t got = write(fd, (const char *)bytes + done, count - done);
        if (got > 0) {
            done += (size_t)got;
        } else if (got < 0 && errno == EINTR) {
            continue;
        } else {
            result = got < 0 ? errno : EIO;
            break;
        }
    }
#ifdef __linux__
    if (result == EPIPE && !was_pending) {
        // Consume the SIGPIPE this write raised, so it is not delivered when the mask is restored.
        struct timespec zero = {0, 0};
        while (sigtimedwait(&pipe_only, NULL, &zero) < 0 && errno == EINTR) {}
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
#endif
    if (written != NULL) *written = done;
    return result;
}

int sf_release_free_memory(void) {
#if defined(__GLIBC__)
    return malloc_trim(0);
#else
    return 0;
#endif
}
