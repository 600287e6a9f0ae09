#define _GNU_SOURCE
#include "shim_spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int cshim_pipe_cloexec(int fds[2]) { return pipe2(fds, O_CLOEXEC) == 0 ? 0 : errno; }

int cshim_spawn(const char *path, char *const argv[], char *const envp[], int stdin_fd, int stdout_fd,
                pid_t *pid) {
    posix_spawn_file_actions_t actions;
    int rc = posix_spawn_file_actions_init(&actions);
    if (rc != 0) return rc;
    // dup2 clears FD_CLOEXEC on the target, so the pipe ends survive exec as fds 0 and 1.
    rc = posix_spawn_file_actions_adddup2(&actions, stdin_fd, 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    // Sockets, the audit log and the other workers' pipes must not leak into the child.
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&actions, 3);
    if (rc == 0) rc = posix_spawn(pid, path, &actions, NULL, argv, envp);
    posix_spawn_file_actions_destroy(&actions);
    return rc;
}

int cshim_reap(pid_t pid, int timeout_ms) {
    for (int waited = 0;; waited++) {
        int status;
        pid_t done = waitpid(pid, &status, WNOHANG);
        if (done == pid) return 1;
        if (done < 0 && errno != EINTR) return -1;
        if (waited >= timeout_ms) return 0;
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}
