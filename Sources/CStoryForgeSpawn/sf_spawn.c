#define _GNU_SOURCE
#include "sf_spawn.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

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

static int do_spawn(struct sf_request *request) {
    int out[2], err[2], report[2];
    if (make_pipe(out) != 0) return errno;
    if (make_pipe(err) != 0) {
        int code = errno;
        close(out[0]); close(out[1]);
        return code;
    }
    if (make_pipe(report) != 0) {
        int code = errno;
        close(out[0]); close(out[1]); close(err[0]); close(err[1]);
        return code;
    }
    pid_t parent = getpid();
    char *const *envp = request->envp ? request->envp : environ;
    pid_t pid = fork();
    if (pid < 0) {
        int code = errno;
        close(out[0]); close(out[1]); close(err[0]); close(err[1]); close(report[0]); close(report[1]);
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
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        struct sigaction standard;
        memset(&standard, 0, sizeof standard);
        standard.sa_handler = SIG_DFL;
        for (int number = 1; number < NSIG; number++) {
            if (number != SIGKILL && number != SIGSTOP) sigaction(number, &standard, NULL);
        }
        int null = open("/dev/null", O_RDONLY);
        if (null < 0) report_and_exit(report[1]);
        if (dup2(null, 0) < 0 || dup2(out[1], 1) < 0 || dup2(err[1], 2) < 0) report_and_exit(report[1]);
        close_from(3, report[1]);
        execve(request->path, request->argv, envp);
        report_and_exit(report[1]);
    }
    close(out[1]);
    close(err[1]);
    close(report[1]);
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
        return code ? code : ECHILD;
    }
    request->child->pid = pid;
    request->child->stdout_fd = out[0];
    request->child->stderr_fd = err[0];
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

int sf_spawn(const char *path, char *const argv[], char *const envp[], sf_child *child) {
    pthread_once(&spawner_once, start_spawner);
    if (spawner_error != 0) return spawner_error;
    struct sf_request request = {path, argv, envp, child, 0, 0};
    pthread_mutex_lock(&call_lock);
    pthread_mutex_lock(&queue_lock);
    pending = &request;
    pthread_cond_broadcast(&queue_cond);
    while (!request.done) pthread_cond_wait(&queue_cond, &queue_lock);
    pthread_mutex_unlock(&queue_lock);
    pthread_mutex_unlock(&call_lock);
    return request.result;
}
