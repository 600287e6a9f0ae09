// A self-pipe that lets a worker wait for two things at once: outcomes from its worker process
// (a pipe it can poll) and new work in its backend's queue (which signals this pipe). Without it a
// worker with one batch still running could only block on the outcomes, and work arriving
// meanwhile waited until that batch returned — leaving the child idle for a round trip.

import Glibc

final class WakePipe: @unchecked Sendable {
    let readFD: Int32
    private let writeFD: Int32

    init?() {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return nil }
        for fd in fds {
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        readFD = fds[0]
        writeFD = fds[1]
    }

    deinit {
        close(readFD)
        close(writeFD)
    }

    /// Wakes the waiter (never blocks: a full pipe already means "wake up").
    func signal() {
        var byte: UInt8 = 1
        _ = write(writeFD, &byte, 1)
    }

    /// Consumes pending wake-ups.
    func drain() {
        var buffer = [UInt8](repeating: 0, count: 64)
        while buffer.withUnsafeMutableBytes({ read(readFD, $0.baseAddress, 64) }) > 0 {}
    }

    enum Readiness { case outcomes, wake, timeout }

    /// Waits until `outcomesFD` is readable or this pipe is signalled, at most `milliseconds`.
    func wait(outcomesFD: Int32, milliseconds: Int32) -> Readiness {
        var fds = [pollfd(fd: outcomesFD, events: Int16(POLLIN), revents: 0),
                   pollfd(fd: readFD, events: Int16(POLLIN), revents: 0)]
        let n = poll(&fds, 2, milliseconds)
        if n <= 0 { return .timeout }
        if fds[0].revents != 0 { return .outcomes }
        return .wake
    }
}
