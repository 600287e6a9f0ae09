// Starting handlers and delivering their results. A unary handler starts as an immediate Task on the
// loop thread: one that completes without suspending (validation errors, cache hits, echo) answers
// in the same loop iteration with no thread hop; one that suspends (HSM work) continues on the
// global executor and its result comes back through `execute`. Either way responses are encoded
// into the connection's outbound buffer and flushed together with every other response finished
// in the same iteration (docs/PERFORMANCE.md has the measurements behind this choice). Handlers
// must therefore not block the calling thread; the services hand HSM work to worker threads.

import RPCCore

extension ServerConnection {
    func dispatchUnary(_ stream: ServerStream) {
        guard case .unary(let handler) = stream.method.handler, let request = stream.request else { return }
        stream.dispatched = true
        stream.request = nil
        releaseParkedRequest(stream)
        // The request stays counted against the connection's inbound budget while its handler
        // runs: past the limit the connection stops reading, so 1024 streams of 4 MiB requests
        // to a slow handler cannot pin gigabytes. The budget resumes reading when handlers finish.
        let budget: InboundBudget = inboundBudget
        let held = request.count
        budget.add(held)
        if budget.isOverLimit { updateReading() }
        let context = stream.context
        let interceptors = core.interceptors
        let id = stream.id
        let work: @Sendable () async -> Void = { [self] in
            let started = ContinuousClock.now
            var context = context
            let outcome: Result<[UInt8], RPCError>
            do {
                for interceptor in interceptors { context = try await interceptor.callStarting(context) }
                try context.checkAlive()
                outcome = .success(try await handler(request, context))
            } catch {
                outcome = .failure(RPCError.fromHandler(error, cancellation: context.cancellation))
            }
            budget.consume(held)
            if !interceptors.isEmpty {
                let status: RPCError? = if case .failure(let error) = outcome { error } else { nil }
                let elapsed = ContinuousClock.now - started
                for interceptor in interceptors.reversed() {
                    interceptor.callEnded(context, status: status, elapsed: elapsed)
                }
            }
            if loop.inEventLoop {
                completeUnary(id, outcome)
            } else {
                loop.execute { self.completeUnary(id, outcome) }
            }
        }
        stream.task = core.configuration.runsUnaryHandlersImmediately ? Task.immediate { await work() } : Task { await work() }
    }

    func completeUnary(_ id: UInt32, _ outcome: Result<[UInt8], RPCError>) {
        guard let stream = streams[id] else { return }  // cancelled, timed out or connection gone
        switch outcome {
        case .success(let response) where response.count > peerMaxFrameSize:
            sendEnd(id, CallEnd(code: .resourceExhausted,
                                message: "response of \(response.count) bytes exceeds the client's frame limit of \(peerMaxFrameSize)"))
        case .success(let response):
            if (try? stream.state.sendMessage()) != nil {
                send(.message, streamID: id, payload: response)
                sendEnd(id, CallEnd())
            } else {
                sendEnd(id, CallEnd(code: .internal, message: "response not allowed in the stream's state"))
            }
        case .failure(let error):
            sendEnd(id, CallEnd(error))
        }
        stream.state.cancel()
        finishStream(stream)
        if bufferedOutboundBytes > core.configuration.maxBufferedBytesPerConnection { updateReading() }
    }

    func dispatchStreaming(_ stream: ServerStream) {
        guard case .streaming(let handler) = stream.method.handler else { return }
        stream.dispatched = true
        let inbox = RequestInbox(budget: inboundBudget)
        stream.inbox = inbox
        let writer = ServerResponseWriter(connection: self, streamID: stream.id)
        let context = stream.context
        let interceptors = core.interceptors
        let id = stream.id
        stream.task = Task { [self] in
            let started = ContinuousClock.now
            var context = context
            var failure: RPCError?
            do {
                for interceptor in interceptors { context = try await interceptor.callStarting(context) }
                try context.checkAlive()
                try await handler(inbox.stream, writer, context)
            } catch {
                failure = RPCError.fromHandler(error, cancellation: context.cancellation)
            }
            let elapsed = ContinuousClock.now - started
            for interceptor in interceptors.reversed() {
                interceptor.callEnded(context, status: failure, elapsed: elapsed)
            }
            let finalFailure = failure
            loop.execute { self.completeStreaming(id, finalFailure) }
        }
    }

    func completeStreaming(_ id: UInt32, _ failure: RPCError?) {
        guard let stream = streams[id] else { return }
        if let failure {
            sendEnd(id, CallEnd(failure))
        } else if stream.method.descriptor.kind == .clientStreaming && stream.state.messagesSent == 0 {
            sendEnd(id, CallEnd(code: .internal, message: "client-streaming handler returned without a response"))
        } else {
            sendEnd(id, CallEnd())
        }
        stream.state.cancel()
        stream.inbox?.finish()
        finishStream(stream)
    }

    /// A streaming handler's write: queued at once; the writer waits while the connection's
    /// outbound buffer is over its limit (a slow reader).
    func writeResponse(_ id: UInt32, _ message: [UInt8], _ continuation: CheckedContinuation<Void, any Error>) {
        guard let stream = streams[id] else {
            continuation.resume(throwing: RPCError(.cancelled, "call is no longer active"))
            return
        }
        guard message.count <= peerMaxFrameSize else {
            continuation.resume(throwing: RPCError(.resourceExhausted,
                "response of \(message.count) bytes exceeds the client's frame limit of \(peerMaxFrameSize)"))
            return
        }
        do {
            try stream.state.sendMessage()
        } catch {
            continuation.resume(throwing: error.rpcError)
            return
        }
        send(.message, streamID: id, payload: message)
        if bufferedOutboundBytes > core.configuration.maxBufferedBytesPerConnection {
            waitingWriters.append(continuation)
            updateReading()
        } else {
            continuation.resume()
        }
    }

    /// Reads only while both directions are within the per-connection buffer limit.
    func updateReading() {
        guard !isClosed else { return }
        let limit = core.configuration.maxBufferedBytesPerConnection
        setReading(bufferedOutboundBytes <= limit && !inboundBudget.isOverLimit)
    }
}
