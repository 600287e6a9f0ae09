// Starting, feeding and cancelling calls on a client connection (loop thread), plus the
// health-checking pings that detect a dead server.

import RPCCore

extension ClientConnection {
    /// Whether a new call can start here.
    private func refusal() -> CallAttemptFailure? {
        guard status == .ready, !isClosed else {
            return CallAttemptFailure(error: RPCError(.unavailable, "connection is not ready"), mayHaveBeenProcessed: false)
        }
        return nil
    }

    private func openFrame(_ method: MethodDescriptor, _ options: CallOptions, deadline: ContinuousClock.Instant?,
                           id: UInt32, endStream: Bool) {
        var timeoutMicros: UInt64 = 0
        if let deadline {
            let remaining = deadline - .now
            let (seconds, attoseconds) = remaining.components
            timeoutMicros = UInt64(max(1, seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
        }
        let open = CallOpen(methodID: method.id, timeoutMicros: timeoutMicros,
                            idempotencyKey: options.idempotencyKey ?? "", traceID: options.traceID ?? "",
                            metadata: options.metadata)
        FrameEncoder.append(type: .callOpen, flags: endStream ? .endStream : [], streamID: id, to: &outbound) {
            open.encode(into: &$0)
        }
    }

    private func armDeadline(_ record: Record, id: UInt32, deadline: ContinuousClock.Instant?) {
        guard let deadline else { return }
        record.deadlineTimer = loop.schedule(at: deadline) { [weak self, weak record] in
            guard let self, let record, self.records[id] === record else { return }
            self.fail(id, record, CallAttemptFailure(error: RPCError(.deadlineExceeded, "deadline exceeded"),
                                                     mayHaveBeenProcessed: true), notifyServer: true)
        }
    }

    func startUnary(_ completion: UnaryCompletion, method: MethodDescriptor, request: [UInt8], options: CallOptions,
                    deadline: ContinuousClock.Instant?) {
        if completion.isCancelled {
            completion.complete(.failure(CallAttemptFailure(error: RPCError(.cancelled, "call cancelled"),
                                                            mayHaveBeenProcessed: false)))
            return
        }
        if let refusal = refusal() {
            completion.complete(.failure(refusal))
            return
        }
        if let deadline, deadline <= .now {
            completion.complete(.failure(CallAttemptFailure(error: RPCError(.deadlineExceeded, "deadline exceeded"),
                                                            mayHaveBeenProcessed: false)))
            return
        }
        let id = nextStreamID
        nextStreamID += 1
        var state = StreamStateMachine(role: .client, kind: .unary, streamID: id)
        try? state.sendMessage(endStream: true)
        let record = Record(state: state, unary: completion, stream: nil)
        records[id] = record
        openFrame(method, options, deadline: deadline, id: id, endStream: false)
        FrameEncoder.append(type: .message, flags: .endStream, streamID: id, payload: request, to: &outbound)
        scheduleFlush()
        armDeadline(record, id: id, deadline: deadline)
    }

    func openStream(method: MethodDescriptor, options: CallOptions, deadline: ContinuousClock.Instant?,
                    _ continuation: CheckedContinuation<ClientStreamCall, any Error>) {
        if let refusal = refusal() {
            continuation.resume(throwing: refusal)
            return
        }
        let id = nextStreamID
        nextStreamID += 1
        let call = ClientStreamCall(connection: self, streamID: id)
        let record = Record(state: StreamStateMachine(role: .client, kind: method.kind, streamID: id),
                            unary: nil, stream: call)
        records[id] = record
        let reference = WeakReference(self)
        call.sink.onTermination = { [loop] termination in
            guard case .cancelled = termination else { return }
            loop.execute { reference.value?.cancelCall(id, reason: .cancelled) }
        }
        openFrame(method, options, deadline: deadline, id: id, endStream: false)
        scheduleFlush()
        armDeadline(record, id: id, deadline: deadline)
        continuation.resume(returning: call)
    }

    func sendStreamMessage(_ id: UInt32, _ message: [UInt8], _ continuation: CheckedContinuation<Void, any Error>) {
        guard let record = records[id] else {
            continuation.resume(throwing: RPCError(.cancelled, "call has ended"))
            return
        }
        do {
            try record.state.sendMessage()
        } catch {
            continuation.resume(throwing: error.rpcError)
            return
        }
        send(.message, streamID: id, payload: message)
        if bufferedOutboundBytes > configuration.maxBufferedBytesPerConnection {
            waitingSenders.append(continuation)
        } else {
            continuation.resume()
        }
    }

    func halfCloseStream(_ id: UInt32, _ continuation: CheckedContinuation<Void, any Error>) {
        guard let record = records[id] else {
            continuation.resume()  // the call already ended; its outcome arrives through responses
            return
        }
        do {
            try record.state.sendHalfClose()
        } catch {
            continuation.resume(throwing: error.rpcError)
            return
        }
        send(.end, streamID: id)
        continuation.resume()
    }

    /// Cancels by stream id (streaming calls).
    func cancelCall(_ id: UInt32, reason: StatusCode) {
        guard let record = records[id] else { return }
        fail(id, record, CallAttemptFailure(error: RPCError(reason, "call cancelled"), mayHaveBeenProcessed: true),
             notifyServer: true)
    }

    /// Cancels a unary call by its completion (the caller does not know the stream id).
    func cancelUnary(_ completion: UnaryCompletion) {
        guard let (id, record) = records.first(where: { $0.value.unary === completion }) else { return }
        fail(id, record, CallAttemptFailure(error: RPCError(.cancelled, "call cancelled"), mayHaveBeenProcessed: true),
             notifyServer: true)
    }

    // MARK: Health checks

    func scheduleHousekeeping() {
        guard configuration.keepaliveInterval > .zero else { return }
        let period = min(max(min(configuration.keepaliveInterval, configuration.keepaliveTimeout) / 4,
                             .milliseconds(10)), .seconds(1))
        housekeepingTimer = loop.schedule(at: .now + period) { [weak self] in self?.housekeeping() }
    }

    private func housekeeping() {
        guard !isClosed else { return }
        let now = ContinuousClock.now
        if let sentAt = pingSentAt, now - sentAt > configuration.keepaliveTimeout {
            close(TransportError(.closed, "health-check ping unanswered for \(configuration.keepaliveTimeout)"))
            return
        }
        if pingSentAt == nil && now - lastReadAt >= configuration.keepaliveInterval {
            pingSentAt = now
            send(.ping, streamID: 0, payload: [0, 0, 0, 0, 0, 0, 0, 2])
        }
        scheduleHousekeeping()
    }
}
