// One accepted connection: verifies the client after the TLS handshake, then routes frames to
// streams (docs/PROTOCOL.md §5). Stream-level mistakes end that stream with a status; connection-
// level ones (bad header, stream ids out of order) get a GOAWAY and the connection closes. The
// dispatch of handlers and the timers live in extensions.

import RPCCore

/// A server-side connection. Loop-confined.
final class ServerConnection: FramedConnection, @unchecked Sendable {
    let core: ServerCore
    var peer = PeerIdentity(name: "")
    var streams: [UInt32: ServerStream] = [:]
    var tracker: StreamIDTracker
    var inboundBudget: InboundBudget!
    var waitingWriters: [CheckedContinuation<Void, any Error>] = []
    var handshakeTimer: TimerID?
    var housekeepingTimer: TimerID?
    var pingSentAt: ContinuousClock.Instant?
    var lastStreamActivity: ContinuousClock.Instant = .now
    var draining = false
    /// The client's SETTINGS max frame size: larger responses fail the call instead of the connection.
    var peerMaxFrameSize = Frame.defaultMaxPayloadSize
    private var counted = true

    /// END payload of a successful call, encoded once.
    static let okEndPayload: [UInt8] = {
        var bytes: [UInt8] = []
        CallEnd().encode(into: &bytes)
        return bytes
    }()

    init(loop: EventLoop, fd: Int32, tls: TLSSession, core: ServerCore) {
        self.core = core
        self.tracker = StreamIDTracker(maxConcurrentStreams: core.configuration.maxConcurrentStreamsPerConnection)
        super.init(loop: loop, fd: fd, tls: tls, maxFrameSize: core.configuration.maxFrameSize)
        let reference = WeakReference(self)
        inboundBudget = InboundBudget(limit: core.configuration.maxBufferedBytesPerConnection) {
            loop.execute { reference.value?.updateReading() }
        }
    }

    /// Arms the handshake timeout. Called once after registration.
    func start() {
        handshakeTimer = loop.schedule(at: .now + core.configuration.handshakeTimeout) { [weak self] in
            guard let self, !self.tls.isHandshakeComplete else { return }
            self.close(TransportError(.handshake, "TLS handshake not finished within the handshake timeout"))
        }
    }

    override func handshakeCompleted() throws {
        loop.cancelTimer(handshakeTimer)
        handshakeTimer = nil
        peer = try tls.verifiedPeer()
        send(.settings, streamID: 0, payload: core.settingsPayload)
        scheduleHousekeeping()
    }

    override func handle(_ frame: Frame) throws {
        switch frame.type {
        case .callOpen: try openStream(frame)
        case .message: try receiveMessage(frame)
        case .end: try receiveHalfClose(frame)
        case .cancel: receiveCancel(frame)
        case .ping: send(.pong, streamID: 0, payload: Array(frame.payload.prefix(8)))
        case .pong: pingSentAt = nil
        case .settings:
            if !frame.flags.contains(.ack) {
                peerMaxFrameSize = Int(try ConnectionSettings(decoding: frame.payload).maxFrameSize)
                send(.settings, flags: .ack, streamID: 0)
            }
        default:
            break  // GOAWAY from a client and unknown types need no action
        }
    }

    // MARK: Frames

    private func openStream(_ frame: Frame) throws {
        let id = frame.streamID
        if case .refuse(let error) = try tracker.open(id, activeCount: streams.count) {
            sendEnd(id, CallEnd(error))
            return
        }
        let open: CallOpen
        do {
            open = try CallOpen(decoding: frame.payload)
        } catch {
            sendEnd(id, CallEnd(error.rpcError))
            return
        }
        guard let method = core.methods[open.methodID] else {
            let hex = String(open.methodID, radix: 16)
            sendEnd(id, CallEnd(code: .unimplemented, message: "unknown method id 0x\(hex)"))
            return
        }
        let now = ContinuousClock.now
        let deadline = open.timeout.map { now + $0 }
        let context = ServerContext(method: method.descriptor, peer: peer, deadline: deadline,
                                    metadata: open.metadata,
                                    idempotencyKey: open.idempotencyKey.isEmpty ? nil : open.idempotencyKey,
                                    traceID: open.traceID.isEmpty ? nil : open.traceID)
        let stream = ServerStream(id: id, method: method, context: context)
        streams[id] = stream
        core.activeCalls.add(1, ordering: .relaxed)
        if let deadline {
            stream.deadlineTimer = loop.schedule(at: deadline) { [weak self, weak stream] in
                guard let self, let stream, self.streams[stream.id] === stream else { return }
                self.cancelStream(stream, reason: .deadlineExceeded,
                                  notify: RPCError(.deadlineExceeded, "deadline exceeded on the server"))
            }
        }
        if case .streaming = method.handler { dispatchStreaming(stream) }
        if frame.flags.contains(.endStream) { halfClose(stream) }
    }

    private func receiveMessage(_ frame: Frame) throws {
        guard let stream = streams[frame.streamID] else {
            try refuseInactive(frame)
            return
        }
        do {
            let action = try stream.state.receiveMessage(endStream: frame.flags.contains(.endStream))
            switch stream.method.handler {
            case .unary:
                if action == .deliverAndFinishInbound {
                    stream.request = frame.payload
                    dispatchUnary(stream)
                } else {
                    parkUnaryRequest(frame.payload, on: stream)
                }
            case .streaming:
                stream.inbox?.push(frame.payload)
                if action == .deliverAndFinishInbound { stream.inbox?.finish() }
                if inboundBudget.isOverLimit { updateReading() }
            }
        } catch {
            cancelStream(stream, reason: .cancelled, notify: error.rpcError)
        }
    }

    /// Holds a unary request until the client's half-close, counted against the connection's
    /// inbound budget: without this, 1024 streams x 4 MiB requests that never half-close pin
    /// gigabytes per connection. A request that does not fit ends its stream with RESOURCE_EXHAUSTED.
    private func parkUnaryRequest(_ payload: [UInt8], on stream: ServerStream) {
        let buffered = inboundBudget.buffered.load(ordering: .relaxed)
        guard buffered + payload.count <= inboundBudget.limit else {
            let message = "stream \(stream.id): a \(payload.count)-byte request waiting for half-close does not fit "
                + "the connection's \(inboundBudget.limit)-byte buffer (\(buffered) bytes held); "
                + "send it with END_STREAM"
            cancelStream(stream, reason: .cancelled,
                         notify: RPCError(.resourceExhausted, message,
                                          details: ErrorDetails(reason: "CONNECTION_BUFFER_FULL")))
            return
        }
        inboundBudget.add(payload.count)
        stream.parkedRequestBytes = payload.count
        stream.request = payload
    }

    /// Returns a parked unary request's bytes to the budget (dispatch or end of the stream).
    func releaseParkedRequest(_ stream: ServerStream) {
        guard stream.parkedRequestBytes > 0 else { return }
        inboundBudget.consume(stream.parkedRequestBytes)
        stream.parkedRequestBytes = 0
    }

    private func receiveHalfClose(_ frame: Frame) throws {
        guard let stream = streams[frame.streamID] else {
            try refuseInactive(frame)
            return
        }
        halfClose(stream)
    }

    private func halfClose(_ stream: ServerStream) {
        do {
            try stream.state.receiveHalfClose()
        } catch {
            cancelStream(stream, reason: .cancelled, notify: error.rpcError)
            return
        }
        switch stream.method.handler {
        case .unary: if stream.request != nil && !stream.dispatched { dispatchUnary(stream) }
        case .streaming: stream.inbox?.finish()
        }
    }

    private func receiveCancel(_ frame: Frame) {
        guard let stream = streams[frame.streamID] else { return }  // races with END are normal
        let reason = frame.payload.first.flatMap(StatusCode.init(rawValue:)) ?? .cancelled
        cancelStream(stream, reason: reason == .deadlineExceeded ? .deadlineExceeded : .cancelled, notify: nil)
    }

    /// A MESSAGE or END for a stream that is not open.
    private func refuseInactive(_ frame: Frame) throws {
        switch tracker.lookup(frame.streamID, isActive: false) {
        case .closed:
            sendEnd(frame.streamID, CallEnd(code: .failedPrecondition,
                                            message: "\(frame.type) for stream \(frame.streamID), which is closed"))
        case .neverOpened, .active:
            throw WireProtocolError(.unexpectedFrame,
                                    "\(frame.type) for stream \(frame.streamID), which was never opened",
                                    streamID: frame.streamID)
        }
    }

    // MARK: Sending

    func sendEnd(_ id: UInt32, _ end: CallEnd) {
        if end.code == .ok && end.trailers.isEmpty {
            send(.end, streamID: id, payload: Self.okEndPayload)
        } else {
            FrameEncoder.append(type: .end, streamID: id, to: &outbound) { end.encode(into: &$0) }
            scheduleFlush()
        }
    }

    /// Stops a call: cancels its handler, optionally tells the client why, and forgets it.
    func cancelStream(_ stream: ServerStream, reason: StatusCode, notify: RPCError?) {
        stream.state.cancel()
        stream.context.cancellation.cancel(reason)
        stream.task?.cancel()
        stream.inbox?.finish(RPCError(reason, reason == .deadlineExceeded ? "deadline exceeded" : "call cancelled"))
        if let notify { sendEnd(stream.id, CallEnd(notify)) }
        finishStream(stream)
    }

    func finishStream(_ stream: ServerStream) {
        guard streams.removeValue(forKey: stream.id) != nil else { return }
        releaseParkedRequest(stream)
        loop.cancelTimer(stream.deadlineTimer)
        core.activeCalls.subtract(1, ordering: .relaxed)
        lastStreamActivity = .now
        if draining && streams.isEmpty { closeAfterFlushing(nil) }
    }

    override func outboundDrained() {
        guard !waitingWriters.isEmpty || !isReading else { return }
        if bufferedOutboundBytes <= core.configuration.maxBufferedBytesPerConnection / 2 {
            let writers = waitingWriters
            waitingWriters = []
            for writer in writers { writer.resume() }
        }
        updateReading()
    }

    override func failed(_ error: any Error) {
        if let error = error as? WireProtocolError, tls.isHandshakeComplete {
            let goAway = GoAway(lastStreamID: tracker.highestOpened, code: error.rpcError.code, message: error.message)
            FrameEncoder.append(type: .goAway, streamID: 0, to: &outbound) { goAway.encode(into: &$0) }
        }
        closeAfterFlushing(error)
    }

    override func didClose(_ error: (any Error)?) {
        loop.cancelTimer(handshakeTimer)
        loop.cancelTimer(housekeepingTimer)
        for stream in Array(streams.values) {
            cancelStream(stream, reason: .cancelled, notify: nil)
        }
        let writers = waitingWriters
        waitingWriters = []
        for writer in writers { writer.resume(throwing: RPCError(.unavailable, "connection closed")) }
        if counted {
            counted = false
            core.connectionCount.subtract(1, ordering: .relaxed)
        }
    }
}
