// Starting a child with its stdin/stdout on given descriptors and nothing else inherited, and
// reaping it ourselves. Foundation's Process leaves reaping to its own SIGCHLD machinery, which
// was seen to miss an exit (a zombie child and waitUntilExit spinning forever at shutdown).
#ifndef SHIM_SPAWN_H
#define SHIM_SPAWN_H
#include <sys/types.h>

/// posix_spawn of `path` with `argv`/`envp` (NULL-terminated), `stdin_fd` as fd 0, `stdout_fd`
/// as fd 1, stderr inherited, every other descriptor closed in the child. Returns 0 and sets
/// *pid, or an errno value.
/// pipe2(fds, O_CLOEXEC); returns 0 or errno (pipe2 is a GNU extension Glibc does not export).
int cshim_pipe_cloexec(int fds[2]);

int cshim_spawn(const char *path, char *const argv[], char *const envp[], int stdin_fd, int stdout_fd,
                pid_t *pid);

/// Waits up to `timeout_ms` for `pid` to exit and reaps it. Returns 1 when reaped, 0 on timeout,
/// -1 when `pid` is not our child (already reaped).
int cshim_reap(pid_t pid, int timeout_ms);
#endif
