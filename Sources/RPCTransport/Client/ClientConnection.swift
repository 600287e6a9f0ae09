// One client connection: non-blocking connect, TLS with server-name verification, then SETTINGS
// from the server before it counts as ready (so a server that refuses our certificate is seen as a
// failed connect, with its alert, rather than as a broken call). Calls on it live in a table keyed
// by stream id; the loop completes them on MESSAGE/END, deadline, GOAWAY or loss of the connection.

import RPCCore
import Synchronization

/// A client-side connection. Loop-confined except for `status`.
final class ClientConnection: FramedConnection, @unchecked Sendable {
    enum Status: UInt8 { case connecting = 0, ready = 1, draining = 2, closed = 3 }

    /// One call in flight.
    final class Record {
        var state: StreamStateMachine
        let unary: UnaryCompletion?
        let stream: ClientStreamCall?
        var response: [UInt8]?
        var deadlineTimer: TimerID?

        init(state: StreamStateMachine, unary: UnaryCompletion?, stream: ClientStreamCall?) {
            self.state = state
            self.unary = unary
            self.stream = stream
        }
    }

    private let statusValue = Atomic<UInt8>(Status.connecting.rawValue)
    let configuration: RPCChannelConfiguration
    let endpointIndex: Int
    weak var pool: ConnectionPool?
    var records: [UInt32: Record] = [:]
    var nextStreamID: UInt32 = 1
    var connectPending = true
    var wasReady = false
    var connectTimer: TimerID?
    var housekeepingTimer: TimerID?
    var pingSentAt: ContinuousClock.Instant?
    var goAwayLastStreamID: UInt32?
    var waitingSenders: [CheckedContinuation<Void, any Error>] = []

    var status: Status { Status(rawValue: statusValue.load(ordering: .acquiring)) ?? .closed }

    private func setStatus(_ status: Status) { statusValue.store(status.rawValue, ordering: .releasing) }

    init(loop: EventLoop, fd: Int32, tls: TLSSession, configuration: RPCChannelConfiguration, endpointIndex: Int,
         pool: ConnectionPool) {
        self.configuration = configuration
        self.endpointIndex = endpointIndex
        self.pool = pool
        super.init(loop: loop, fd: fd, tls: tls, maxFrameSize: configuration.maxFrameSize)
    }

    /// Registers with the loop (writable: connect completion) and arms the connect timeout.
    func begin() {
        do {
            try loop.register(self, fd: fd, writable: true)
            wantsWritable = true
        } catch {
            close(error)
            return
        }
        connectTimer = loop.schedule(at: .now + configuration.connectTimeout) { [weak self] in
            guard let self, self.status == .connecting else { return }
            self.close(TransportError(.connect, "connection not ready within \(self.configuration.connectTimeout)"))
        }
    }

    override func writableWithoutPendingData() {
        guard connectPending else { return }
        connectPending = false
        let error = SocketCalls.pendingError(fd)
        guard error == 0 else {
            close(TransportError(.connect, "connect failed", cause: Errno.describe(error)))
            return
        }
        processInbound()  // produces the ClientHello
    }

    override func handshakeCompleted() throws {
        _ = try tls.verifiedPeer()
        var settings: [UInt8] = []
        ConnectionSettings(maxFrameSize: UInt32(clamping: configuration.maxFrameSize)).encode(into: &settings)
        send(.settings, streamID: 0, payload: settings)
    }

    override func handle(_ frame: Frame) throws {
        switch frame.type {
        case .message: receiveMessage(frame)
        case .end: receiveEnd(frame)
        case .settings:
            guard !frame.flags.contains(.ack) else { return }
            _ = try ConnectionSettings(decoding: frame.payload)
            send(.settings, flags: .ack, streamID: 0)
            if status == .connecting { becomeReady() }
        case .ping: send(.pong, streamID: 0, payload: Array(frame.payload.prefix(8)))
        case .pong: pingSentAt = nil
        case .goAway: try receiveGoAway(frame)
        default: break  // CANCEL from a server and unknown types need no action
        }
    }

    private func becomeReady() {
        loop.cancelTimer(connectTimer)
        connectTimer = nil
        wasReady = true
        setStatus(.ready)
        scheduleHousekeeping()
        pool?.connectionReady(self)
    }

    private func receiveMessage(_ frame: Frame) {
        guard let record = records[frame.streamID] else { return }  // late frame after cancel/deadline
        do {
            _ = try record.state.receiveMessage(endStream: false)
        } catch {
            fail(frame.streamID, record, CallAttemptFailure(error: RPCError(.internal, error.message),
                                                           mayHaveBeenProcessed: true), notifyServer: true)
            return
        }
        if let stream = record.stream {
            stream.sink.yield(frame.payload)
        } else {
            record.response = frame.payload
        }
    }

    private func receiveEnd(_ frame: Frame) {
        guard let record = records.removeValue(forKey: frame.streamID) else { return }
        loop.cancelTimer(record.deadlineTimer)
        let end: CallEnd
        do {
            end = try CallEnd(decoding: frame.payload)
            try record.state.receiveEnd(code: end.code)
        } catch {
            finish(record, .failure(CallAttemptFailure(error: RPCError(.internal, "bad END from server: \(error.message)"),
                                                       mayHaveBeenProcessed: true)))
            return
        }
        if let error = end.error {
            finish(record, .failure(CallAttemptFailure.fromServer(error)))
        } else {
            finish(record, .success(record.response ?? []))
        }
        streamFinished()
    }

    private func receiveGoAway(_ frame: Frame) throws {
        let goAway = try GoAway(decoding: frame.payload)
        goAwayLastStreamID = goAway.lastStreamID
        if status != .closed { setStatus(.draining) }
        pool?.connectionDraining(self)
        for (id, record) in records where id > goAway.lastStreamID {
            records[id] = nil
            loop.cancelTimer(record.deadlineTimer)
            finish(record, .failure(CallAttemptFailure(
                error: RPCError(.unavailable, "server is going away (\(goAway.message)); call was not processed"),
                mayHaveBeenProcessed: false)))
        }
        streamFinished()
    }

    override func outboundDrained() {
        guard !waitingSenders.isEmpty,
              bufferedOutboundBytes <= configuration.maxBufferedBytesPerConnection / 2 else { return }
        let senders = waitingSenders
        waitingSenders = []
        for sender in senders { sender.resume() }
    }

    /// Delivers a final outcome to whoever waits for the call.
    func finish(_ record: Record, _ result: Result<[UInt8], CallAttemptFailure>) {
        if let unary = record.unary {
            unary.complete(result)
        } else if let stream = record.stream {
            switch result {
            case .success: stream.sink.finish()
            case .failure(let failure): stream.sink.finish(throwing: failure.error)
            }
        }
    }

    /// Ends a call locally (deadline, cancellation, protocol error) and tells the server.
    func fail(_ id: UInt32, _ record: Record, _ failure: CallAttemptFailure, notifyServer: Bool) {
        records[id] = nil
        loop.cancelTimer(record.deadlineTimer)
        if notifyServer && !isClosed {
            let reason = failure.error.code == .deadlineExceeded ? StatusCode.deadlineExceeded : .cancelled
            send(.cancel, streamID: id, payload: [reason.rawValue])
        }
        finish(record, .failure(failure))
        streamFinished()
    }

    func streamFinished() {
        if status == .draining && records.isEmpty { closeAfterFlushing(nil) }
    }

    override func didClose(_ error: (any Error)?) {
        setStatus(.closed)
        loop.cancelTimer(connectTimer)
        loop.cancelTimer(housekeepingTimer)
        let reason = error.map { "\($0)" } ?? "connection closed"
        let pending = records
        records = [:]
        for (_, record) in pending {
            loop.cancelTimer(record.deadlineTimer)
            finish(record, .failure(CallAttemptFailure(error: RPCError(.unavailable, "connection lost: \(reason)"),
                                                       mayHaveBeenProcessed: true)))
        }
        let senders = waitingSenders
        waitingSenders = []
        for sender in senders { sender.resume(throwing: RPCError(.unavailable, "connection lost: \(reason)")) }
        pool?.connectionClosed(self, error: error, wasReady: wasReady)
    }
}
