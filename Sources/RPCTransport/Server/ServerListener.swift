// The listening socket: accepts in batches, refuses connections over the limit (accept then close,
// so the kernel backlog never fills and well-behaved clients still get in), and hands each new
// connection to an event loop round-robin.

import CShims
import Foundation

/// The accepting socket, registered on one loop.
final class ServerListener: EventLoopChannel, @unchecked Sendable {
    let fd: Int32
    private let core: ServerCore
    private let group: EventLoopGroup
    private var isClosed = false

    init(fd: Int32, core: ServerCore, group: EventLoopGroup) {
        self.fd = fd
        self.core = core
        self.group = group
    }

    func readable() {
        for _ in 0..<128 {
            let client = cshim_accept_nonblocking(fd)
            if client < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return  // EAGAIN, or EMFILE: try again on the next event
            }
            let count = core.connectionCount.add(1, ordering: .relaxed).newValue
            guard count <= core.configuration.maxConnections else {
                core.connectionCount.subtract(1, ordering: .relaxed)
                core.refusedConnections.add(1, ordering: .relaxed)
                Glibc.close(client)
                continue
            }
            core.acceptedConnections.add(1, ordering: .relaxed)
            SocketCalls.setNoDelay(client)
            let loop = group.next()
            let core = self.core
            loop.execute {
                do {
                    let tls = try TLSSession(context: core.tls.context)
                    let connection = ServerConnection(loop: loop, fd: client, tls: tls, core: core)
                    try loop.register(connection, fd: client)
                    connection.start()
                } catch {
                    core.connectionCount.subtract(1, ordering: .relaxed)
                    Glibc.close(client)
                }
            }
        }
    }

    func writable() {}
    func flush() {}

    /// Stops accepting. Loop thread only.
    func close(on loop: EventLoop) {
        guard !isClosed else { return }
        isClosed = true
        loop.deregister(fd: fd)
        Glibc.close(fd)
    }
}
