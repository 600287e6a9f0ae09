// Which connection a call uses. Endpoints are tried in order of preference: calls go to the first
// endpoint with a ready connection, while any earlier endpoint whose backoff has expired is
// reconnected in the background (so traffic returns to it once it is back). A failed connect or a
// connection lost abnormally puts its endpoint in exponential backoff; a waiting call fails over
// to the next endpoint, and fails fast with UNAVAILABLE when every endpoint is in backoff.

import Foundation
import RPCCore
import Synchronization

/// Connections of one channel to its endpoints.
final class ConnectionPool: Sendable {
    private struct EndpointState {
        var connections: [ClientConnection] = []
        /// Connects planned but not yet in `connections` (so concurrent callers do not plan more).
        var planned = 0
        var failures = 0
        var retryAt: ContinuousClock.Instant = .now
        var lastError: String?
        var address: SocketAddress?
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<ClientConnection, any Error>
    }

    private struct State {
        var endpoints: [EndpointState]
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        var cursor = 0
        var closed = false
    }

    let configuration: RPCChannelConfiguration
    let group: EventLoopGroup
    let tls: ReloadableTLSContext
    private let state: Mutex<State>

    init(configuration: RPCChannelConfiguration, group: EventLoopGroup, tls: ReloadableTLSContext) {
        self.configuration = configuration
        self.group = group
        self.tls = tls
        state = Mutex(State(endpoints: configuration.endpoints.map { _ in EndpointState() }))
    }

    /// Picks a ready connection (round-robin within the preferred endpoint); plans connects.
    /// Only the most preferred endpoint that is not backing off gets new connections; ready
    /// connections of later endpoints serve calls meanwhile.
    private func select(_ state: inout State, plans: inout [Int]) -> ClientConnection? {
        let now = ContinuousClock.now
        let poolSize = max(1, configuration.connectionsPerEndpoint)
        var earlierPending = false
        // Indexes into state (no copies of the endpoint structs): this runs on every call.
        for index in state.endpoints.indices {
            let count = state.endpoints[index].connections.count
            for offset in 0..<count {
                let connection = state.endpoints[index].connections[(state.cursor &+ offset) % count]
                guard connection.status == .ready else { continue }
                state.cursor &+= 1
                if !earlierPending && usableCount(state.endpoints[index]) < poolSize
                    && now >= state.endpoints[index].retryAt {
                    plans.append(index)
                    state.endpoints[index].planned += 1
                }
                return connection
            }
            if earlierPending { continue }
            if usableCount(state.endpoints[index]) == 0 && now >= state.endpoints[index].retryAt {
                plans.append(contentsOf: repeatElement(index, count: poolSize))
                state.endpoints[index].planned += poolSize
                earlierPending = true
            } else if state.endpoints[index].planned > 0
                        || state.endpoints[index].connections.contains(where: { $0.status == .connecting }) {
                earlierPending = true
            }
        }
        return nil
    }

    /// Connections that can carry new calls soon: not draining, plus planned connects.
    private func usableCount(_ endpoint: EndpointState) -> Int {
        var usable = endpoint.planned
        for connection in endpoint.connections where connection.status != .draining { usable += 1 }
        return usable
    }

    /// Whether any connect is still in progress.
    private func anyConnecting(_ state: State) -> Bool {
        state.endpoints.contains { $0.planned > 0 || $0.connections.contains { $0.status == .connecting } }
    }

    private func unavailable(_ state: State) -> CallAttemptFailure {
        let now = ContinuousClock.now
        let wait = state.endpoints.map { $0.retryAt - now }.min() ?? .zero
        let errors = state.endpoints.enumerated().compactMap { index, endpoint in
            endpoint.lastError.map { "\(configuration.endpoints[index]): \($0)" }
        }
        let millis = max(0, wait.components.seconds * 1000 + wait.components.attoseconds / 1_000_000_000_000_000)
        return CallAttemptFailure(
            error: RPCError(.unavailable, "no healthy endpoint" + (errors.isEmpty ? "" : " (\(errors.joined(separator: "; ")))"),
                            details: ErrorDetails(retryAfterMillis: UInt32(clamping: millis), reason: "NO_HEALTHY_ENDPOINT")),
            mayHaveBeenProcessed: false)
    }

    /// A ready connection, waiting for one to come up if needed (bounded by `deadline`).
    func acquire(deadline: ContinuousClock.Instant?) async throws -> ClientConnection {
        var plans: [Int] = []
        let fast = state.withLock { state -> Result<ClientConnection, CallAttemptFailure>? in
            if state.closed {
                return .failure(CallAttemptFailure(error: RPCError(.unavailable, "channel is closed"),
                                                   mayHaveBeenProcessed: false))
            }
            if let connection = select(&state, plans: &plans) { return .success(connection) }
            return nil
        }
        startConnects(plans)
        if let fast { return try fast.get() }
        let waiterID = state.withLock { state -> UInt64 in
            state.nextWaiterID += 1
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ClientConnection, any Error>) in
                var plans: [Int] = []
                let immediate = state.withLock { state -> Result<ClientConnection, CallAttemptFailure>? in
                    if let connection = select(&state, plans: &plans) { return .success(connection) }
                    if plans.isEmpty && !anyConnecting(state) { return .failure(unavailable(state)) }
                    state.waiters.append(Waiter(id: waiterID, continuation: continuation))
                    return nil
                }
                startConnects(plans)
                if let immediate {
                    continuation.resume(with: immediate.mapError { $0 as any Error })
                    return
                }
                if let deadline {
                    let loop = group.next()
                    loop.execute { [weak self] in
                        _ = loop.schedule(at: deadline) {
                            self?.failWaiter(waiterID, CallAttemptFailure(
                                error: RPCError(.deadlineExceeded, "deadline exceeded while connecting"),
                                mayHaveBeenProcessed: false))
                        }
                    }
                }
            }
        } onCancel: {
            failWaiter(waiterID, CallAttemptFailure(error: RPCError(.cancelled, "call cancelled"), mayHaveBeenProcessed: false))
        }
    }

    private func failWaiter(_ id: UInt64, _ failure: CallAttemptFailure) {
        let waiter = state.withLock { state -> Waiter? in
            guard let index = state.waiters.firstIndex(where: { $0.id == id }) else { return nil }
            return state.waiters.remove(at: index)
        }
        waiter?.continuation.resume(throwing: failure)
    }

    private func startConnects(_ plans: [Int]) {
        for index in plans { startConnect(index) }
    }

    private func startConnect(_ index: Int) {
        let endpoint = configuration.endpoints[index]
        do {
            let cached = state.withLock { $0.endpoints[index].address }
            let address = try cached ?? SocketAddress.resolve(host: endpoint.host, port: endpoint.port)
            let fd = try SocketCalls.startConnect(to: address)
            let session: TLSSession
            do {
                session = try TLSSession(context: tls.context, serverName: endpoint.serverName ?? endpoint.host)
            } catch {
                Glibc.close(fd)
                throw error
            }
            let loop = group.next()
            let connection = ClientConnection(loop: loop, fd: fd, tls: session, configuration: configuration,
                                              endpointIndex: index, pool: self)
            let accepted = state.withLock { state -> Bool in
                state.endpoints[index].planned -= 1
                guard !state.closed else { return false }
                state.endpoints[index].address = address
                state.endpoints[index].connections.append(connection)
                return true
            }
            guard accepted else {
                Glibc.close(fd)
                return
            }
            loop.execute { connection.begin() }
        } catch {
            recordFailure(index, error: error, plannedConnect: true)
        }
    }

    // MARK: Events from connections (loop threads)

    func connectionReady(_ connection: ClientConnection) {
        let waiters = state.withLock { state -> [Waiter] in
            state.endpoints[connection.endpointIndex].failures = 0
            state.endpoints[connection.endpointIndex].lastError = nil
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.continuation.resume(returning: connection) }
    }

    func connectionDraining(_ connection: ClientConnection) {
        // A draining connection is skipped by `select`; make sure a replacement is planned.
        var plans: [Int] = []
        state.withLock { state in
            if !state.waiters.isEmpty, let connection = select(&state, plans: &plans) {
                let waiters = state.waiters
                state.waiters = []
                for waiter in waiters { waiter.continuation.resume(returning: connection) }
            }
        }
        _ = connection
        startConnects(plans)
    }

    func connectionClosed(_ connection: ClientConnection, error: (any Error)?, wasReady: Bool) {
        let index = connection.endpointIndex
        let abnormal = !wasReady || (error != nil && connection.goAwayLastStreamID == nil)
        state.withLock { state in
            state.endpoints[index].connections.removeAll { $0 === connection }
        }
        if abnormal {
            recordFailure(index, error: error ?? TransportError(.closed, "connection closed"))
        }
    }

    /// Backs the endpoint off and fails over waiting calls.
    private func recordFailure(_ index: Int, error: any Error, plannedConnect: Bool = false) {
        var plans: [Int] = []
        let (waiters, failure, ready) = state.withLock {
            state -> ([Waiter], CallAttemptFailure?, ClientConnection?) in
            if plannedConnect { state.endpoints[index].planned -= 1 }
            state.endpoints[index].failures += 1
            state.endpoints[index].retryAt = .now + configuration.backoff.delay(afterFailures: state.endpoints[index].failures)
            state.endpoints[index].lastError = "\(error)"
            guard !state.waiters.isEmpty else { return ([], nil, nil) }
            if let connection = select(&state, plans: &plans) {
                defer { state.waiters = [] }
                return (state.waiters, nil, connection)
            }
            if plans.isEmpty && !anyConnecting(state) {
                defer { state.waiters = [] }
                return (state.waiters, unavailable(state), nil)
            }
            return ([], nil, nil)
        }
        for waiter in waiters {
            if let ready { waiter.continuation.resume(returning: ready) }
            if let failure { waiter.continuation.resume(throwing: failure) }
        }
        startConnects(plans)
    }

    /// Closes every connection; waiting calls fail with UNAVAILABLE.
    func close() -> [ClientConnection] {
        let (connections, waiters) = state.withLock { state -> ([ClientConnection], [Waiter]) in
            state.closed = true
            defer { state.waiters = [] }
            return (state.endpoints.flatMap(\.connections), state.waiters)
        }
        for waiter in waiters {
            waiter.continuation.resume(throwing: CallAttemptFailure(error: RPCError(.unavailable, "channel closed"),
                                                                    mayHaveBeenProcessed: false))
        }
        return connections
    }
}
