// The public face of the server: register services and interceptors, start listening, reload
// certificates, and shut down with or without draining. The daemon wires signals to these
// (SIGHUP → reloadCredentials, SIGTERM → shutdown(gracefully: true)).

import CShims
import Foundation
import RPCCore
import Synchronization

/// A mutual-TLS RPC server.
///
/// Owns its event-loop threads from ``start()`` until ``shutdown(gracefully:timeout:)``; call the
/// latter before dropping the server, or the threads keep running.
public final class RPCServer: Sendable {
    private let core: ServerCore
    private let state = Mutex<(group: EventLoopGroup?, listener: ServerListener?, port: Int)>((nil, nil, 0))

    /// - Parameters:
    ///   - configuration: Address, threads and limits.
    ///   - tls: Server certificate, key, client trust roots and CRLs.
    ///   - services: Generated service handlers (their `serverMethods`).
    ///   - interceptors: Run around every call, outermost first.
    /// - Throws: ``TransportError`` when the TLS credentials cannot be loaded.
    public init(configuration: RPCServerConfiguration = RPCServerConfiguration(), tls: TLSConfiguration,
                services: [any RegistrableService], interceptors: [any ServerInterceptor] = []) throws(TransportError) {
        let context = try ReloadableTLSContext(role: .server, configuration: tls)
        core = ServerCore(configuration: configuration, methods: services.flatMap(\.serverMethods),
                          interceptors: interceptors, tls: context)
    }

    /// Binds, starts the event loops and begins accepting.
    /// - Returns: The bound port (useful with port 0).
    @discardableResult
    public func start() throws(TransportError) -> Int {
        signal(SIGPIPE, SIG_IGN)
        let (fd, port) = try SocketCalls.listen(host: core.configuration.host, port: core.configuration.port)
        let group: EventLoopGroup
        do {
            group = try EventLoopGroup(threads: core.configuration.resolvedThreads, name: "rpc-server",
                                       cpus: core.configuration.eventLoopCPUs)
        } catch {
            Glibc.close(fd)
            throw error
        }
        let listener = ServerListener(fd: fd, core: core, group: group)
        let loop = group.loops[0]
        let registered = Mutex<TransportError?>(nil)
        let done = DispatchSemaphore(value: 0)
        loop.execute {
            do throws(TransportError) { try loop.register(listener, fd: fd) } catch { registered.withLock { $0 = error } }
            done.signal()
        }
        done.wait()
        if let error = registered.withLock({ $0 }) {
            group.shutdown()
            Glibc.close(fd)
            throw error
        }
        state.withLock { $0 = (group, listener, port) }
        return port
    }

    /// The bound port, 0 before ``start()``.
    public var port: Int { state.withLock { $0.port } }

    /// Open connections.
    public var connectionCount: Int { core.connectionCount.load(ordering: .relaxed) }
    /// Calls in progress.
    public var activeCallCount: Int { core.activeCalls.load(ordering: .relaxed) }
    /// Connections refused because ``RPCServerConfiguration/maxConnections`` was reached.
    public var refusedConnectionCount: Int { core.refusedConnections.load(ordering: .relaxed) }

    /// Re-reads certificates, key, trust roots and CRLs. New connections use them; open ones keep
    /// theirs. On failure the old credentials stay in force.
    /// - Throws: ``TransportError`` describing what could not be loaded.
    public func reloadCredentials() throws(TransportError) {
        try core.tls.reload()
    }

    /// Stops accepting and closes every connection.
    /// - Parameters:
    ///   - gracefully: Send GOAWAY and let open calls finish (up to `timeout`) before closing;
    ///     otherwise cancel them at once.
    ///   - timeout: The longest a graceful drain may take before calls are cancelled.
    public func shutdown(gracefully: Bool = true, timeout: Duration = .seconds(10)) async {
        guard let (group, listener) = state.withLock({ state -> (EventLoopGroup, ServerListener)? in
            guard let group = state.group, let listener = state.listener else { return nil }
            state.group = nil
            state.listener = nil
            return (group, listener)
        }) else { return }
        let acceptLoop = group.loops[0]
        acceptLoop.execute { listener.close(on: acceptLoop) }
        for loop in group.loops {
            loop.execute {
                for case let connection as ServerConnection in loop.registeredChannels {
                    if gracefully { connection.beginDrain() } else { connection.forceClose() }
                }
            }
        }
        let deadline = ContinuousClock.now + (gracefully ? timeout : .seconds(2))
        while connectionCount > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        if connectionCount > 0 {
            for loop in group.loops {
                loop.execute {
                    for case let connection as ServerConnection in loop.registeredChannels {
                        connection.forceClose()
                    }
                }
            }
            let hardDeadline = ContinuousClock.now + .seconds(3)
            while connectionCount > 0 && ContinuousClock.now < hardDeadline {
                try? await Task.sleep(for: .milliseconds(5))
            }
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            // Joining threads blocks: do it off the cooperative pool.
            Thread.detachNewThread {
                group.shutdown()
                continuation.resume()
            }
        }
    }
}
