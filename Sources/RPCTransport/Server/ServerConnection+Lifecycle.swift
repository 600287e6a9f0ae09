// Timers of a server connection: keepalive pings, the idle timeout (which also catches peers
// that send part of a frame and stall), and graceful drain with GOAWAY.

import RPCCore

extension ServerConnection {
    /// How often housekeeping runs: a quarter of the shortest interval it enforces, 10 ms...1 s.
    private var housekeepingPeriod: Duration {
        let configuration = core.configuration
        var shortest = configuration.idleTimeout
        if configuration.keepaliveInterval > .zero {
            shortest = min(shortest, configuration.keepaliveInterval, configuration.keepaliveTimeout)
        }
        return min(max(shortest / 4, .milliseconds(10)), .seconds(1))
    }

    func scheduleHousekeeping() {
        housekeepingTimer = loop.schedule(at: .now + housekeepingPeriod) { [weak self] in
            self?.housekeeping()
        }
    }

    private func housekeeping() {
        guard !isClosed else { return }
        let configuration = core.configuration
        let now = ContinuousClock.now
        // While back-pressure has stopped reading, the peer's PONG cannot be seen: a connection
        // held back by its own load is not dead, so the ping's clock restarts until reading resumes.
        if pingSentAt != nil && !isReading { pingSentAt = now }
        if let sentAt = pingSentAt, now - sentAt > configuration.keepaliveTimeout {
            close(TransportError(.closed, "keepalive ping unanswered for \(configuration.keepaliveTimeout)"))
            return
        }
        let lastActivity = max(lastReadAt, lastStreamActivity)
        if streams.isEmpty && now - lastActivity >= configuration.idleTimeout {
            let stalled = accumulator.bufferedByteCount
            let message = stalled > 0
                ? "incomplete frame (\(stalled) bytes) stalled for \(configuration.idleTimeout)"
                : "idle for \(configuration.idleTimeout)"
            goAway(code: stalled > 0 ? .deadlineExceeded : .ok, message: message)
            closeAfterFlushing(TransportError(.closed, message))
            return
        }
        if configuration.keepaliveInterval > .zero, pingSentAt == nil, isReading,
           now - lastReadAt >= configuration.keepaliveInterval {
            pingSentAt = now
            send(.ping, streamID: 0, payload: [0, 0, 0, 0, 0, 0, 0, 1])
        }
        scheduleHousekeeping()
    }

    func goAway(code: StatusCode, message: String) {
        let lastStreamID = tracker.beginDrain()
        let frame = GoAway(lastStreamID: lastStreamID, code: code, message: message)
        FrameEncoder.append(type: .goAway, streamID: 0, to: &outbound) { frame.encode(into: &$0) }
        scheduleFlush()
    }

    /// Graceful shutdown: refuse new streams, finish open ones, then close.
    func beginDrain() {
        guard !isClosed, !draining else { return }
        draining = true
        guard tls.isHandshakeComplete else {
            close(TransportError(.closed, "server shutting down"))
            return
        }
        goAway(code: .ok, message: "server shutting down")
        if streams.isEmpty { closeAfterFlushing(nil) }
    }

    /// Immediate shutdown: cancel every call and close.
    func forceClose() {
        guard !isClosed else { return }
        for stream in Array(streams.values) {
            cancelStream(stream, reason: .cancelled, notify: RPCError(.unavailable, "server shut down"))
        }
        goAway(code: .unavailable, message: "server shut down")
        closeAfterFlushing(nil)
    }
}
