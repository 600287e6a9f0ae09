// One `personahsm-hsm-worker` child: spawned with its stdin and stdout on pipes and nothing else
// inherited, killed and reaped by us (not Foundation's Process, whose exit monitoring was seen to
// miss a child's death and then spin forever in waitUntilExit at shutdown).

import CShims
import Glibc

final class WorkerChild {
    let pid: pid_t
    /// Our end of the child's stdin.
    let writeFD: Int32
    /// Our end of the child's stdout.
    let readFD: Int32
    private var reaped = false

    struct SpawnError: Error, CustomStringConvertible {
        let description: String
    }

    /// Starts `executable` with `arguments` and `environment`.
    init(executable: String, arguments: [String], environment: [String: String]) throws(SpawnError) {
        var toChild: [Int32] = [-1, -1], fromChild: [Int32] = [-1, -1]
        let failedPipe = cshim_pipe_cloexec(&toChild)
        guard failedPipe == 0 else { throw SpawnError(description: "pipe: errno \(failedPipe)") }
        let failedReturnPipe = cshim_pipe_cloexec(&fromChild)
        guard failedReturnPipe == 0 else {
            close(toChild[0]); close(toChild[1])
            throw SpawnError(description: "pipe: errno \(failedReturnPipe)")
        }
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in argv + envp { free(pointer) } }
        var child: pid_t = 0
        let rc = cshim_spawn(executable, argv, envp, toChild[0], fromChild[1], &child)
        // The child's ends now live in the child only.
        close(toChild[0])
        close(fromChild[1])
        guard rc == 0 else {
            close(toChild[1]); close(fromChild[0])
            throw SpawnError(description: "cannot start \(executable): \(String(cString: strerror(rc)))")
        }
        pid = child
        writeFD = toChild[1]
        readFD = fromChild[0]
    }

    /// Kills the child (if it still runs), reaps it and closes the pipes. SIGKILL cannot be
    /// caught, so the wait is short; a child stuck in the kernel past 5 s is left to exit later
    /// rather than block the scheduler.
    func stop() {
        guard !reaped else { return }
        reaped = true
        kill(pid, SIGKILL)
        close(writeFD)
        close(readFD)
        _ = cshim_reap(pid, 5_000)
    }

    deinit { stop() }
}
