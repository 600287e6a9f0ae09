// The socket + TLS + framing half of a connection, shared by server and client connections. It
// owns the descriptor and the TLS session, turns readable events into decoded frames, and turns
// queued frames into one TLS write and as few socket writes as the kernel allows. Ciphertext that
// the socket does not take stays in one stable buffer with an offset until the socket is writable.
// Everything here runs on the connection's event loop thread.

import CShims
import Foundation
import RPCCore

/// Base class of server and client connections. Loop-confined: every method runs on `loop`.
class FramedConnection: EventLoopChannel, @unchecked Sendable {
    let loop: EventLoop
    let fd: Int32
    let tls: TLSSession
    var accumulator: FrameAccumulator
    /// Frames encoded but not yet handed to TLS.
    var outbound: [UInt8] = []
    private var ciphertext: [UInt8] = []
    private var ciphertextOffset = 0
    /// Whether the loop watches for writability (set by subclasses that register writable).
    var wantsWritable = false
    private var flushScheduled = false
    private var readingEnabled = true
    /// Close once everything queued has reached the socket.
    private var closeAfterFlush: (any Error)?
    private var closeAfterFlushRequested = false
    private(set) var isClosed = false
    /// When bytes last arrived from the peer.
    var lastReadAt: ContinuousClock.Instant = .now

    init(loop: EventLoop, fd: Int32, tls: TLSSession, maxFrameSize: Int) {
        self.loop = loop
        self.fd = fd
        self.tls = tls
        self.accumulator = FrameAccumulator(decoder: FrameDecoder(maxPayloadSize: maxFrameSize))
    }

    // MARK: Hooks for subclasses

    /// The TLS handshake finished; verify the peer and send SETTINGS.
    func handshakeCompleted() throws {}
    /// One decoded frame arrived.
    func handle(_ frame: Frame) throws {}
    /// The connection failed with a protocol or TLS error; default: close.
    func failed(_ error: any Error) { closeAfterFlushing(error) }
    /// The connection closed; `error` is nil for an orderly local close.
    func didClose(_ error: (any Error)?) {}
    /// Queued bytes reached the socket (a chance to resume writers waiting for buffer space).
    func outboundDrained() {}
    /// The socket became writable while no ciphertext was pending (client connect completion).
    func writableWithoutPendingData() {}

    /// Bytes queued for the peer and not yet accepted by the socket.
    var bufferedOutboundBytes: Int { outbound.count + ciphertext.count - ciphertextOffset }

    // MARK: Writing

    /// Asks the loop to flush at the end of this iteration (coalescing everything queued until then).
    func scheduleFlush() {
        guard !flushScheduled, !isClosed else { return }
        flushScheduled = true
        loop.requestFlush(self)
    }

    /// Appends a frame and schedules a flush.
    func send(_ type: FrameType, flags: FrameFlags = [], streamID: UInt32, payload: [UInt8] = []) {
        FrameEncoder.append(type: type, flags: flags, streamID: streamID, payload: payload, to: &outbound)
        scheduleFlush()
    }

    func flush() {
        flushScheduled = false
        guard !isClosed else { return }
        if !outbound.isEmpty && tls.isHandshakeComplete {
            do {
                try outbound.withUnsafeBytes { try tls.writePlaintext($0) }
            } catch {
                close(error)
                return
            }
            outbound.removeAll(keepingCapacity: outbound.capacity <= 64 * 1024)
        }
        tls.drainCiphertext(into: &ciphertext)
        writeCiphertext()
    }

    private func writeCiphertext() {
        while ciphertextOffset < ciphertext.count {
            let offset = ciphertextOffset
            let written = ciphertext.withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                ciphertextOffset += written
            } else if written < 0 && errno == EINTR {
                continue
            } else if written < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                setWritableInterest(true)
                return
            } else {
                close(TransportError(.closed, "socket write failed", cause: Errno.describe()))
                return
            }
        }
        ciphertext.removeAll(keepingCapacity: ciphertext.capacity <= 64 * 1024)
        ciphertextOffset = 0
        setWritableInterest(false)
        if closeAfterFlushRequested {
            close(closeAfterFlush)
            return
        }
        outboundDrained()
    }

    private func setWritableInterest(_ writable: Bool) {
        guard writable != wantsWritable, !isClosed else { return }
        wantsWritable = writable
        loop.setReadInterest(fd: fd, reading: readingEnabled, writable: writable)
    }

    /// Stops or resumes reading from the socket (back-pressure: the peer's TCP window fills up).
    func setReading(_ enabled: Bool) {
        guard enabled != readingEnabled, !isClosed else { return }
        readingEnabled = enabled
        loop.setReadInterest(fd: fd, reading: enabled, writable: wantsWritable)
        if enabled { processInbound() }
    }

    var isReading: Bool { readingEnabled }

    // MARK: Reading

    func writable() {
        guard !isClosed else { return }
        if ciphertextOffset < ciphertext.count {
            writeCiphertext()
        } else {
            setWritableInterest(false)
            writableWithoutPendingData()
        }
    }

    func readable() {
        guard !isClosed else { return }
        let scratch = loop.socketScratch
        var total = 0
        var peerClosed = false
        while total < 512 * 1024 {
            let count = Glibc.recv(fd, scratch.baseAddress, scratch.count, 0)
            if count > 0 {
                tls.feedCiphertext(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
                total += count
                if count < scratch.count { break }
            } else if count == 0 {
                peerClosed = true
                break
            } else if errno == EINTR {
                continue
            } else if errno == EAGAIN || errno == EWOULDBLOCK {
                break
            } else {
                close(TransportError(.closed, "socket read failed", cause: Errno.describe()))
                return
            }
        }
        if total > 0 { lastReadAt = .now }
        processInbound()
        if peerClosed && !isClosed {
            close(TransportError(.closed, tls.isHandshakeComplete
                ? "peer closed the connection" : "peer closed the connection during the TLS handshake"))
        }
    }

    /// Advances the handshake and decodes every complete frame available.
    func processInbound() {
        guard !isClosed else { return }
        do {
            if !tls.isHandshakeComplete {
                let done = try tls.advanceHandshake()
                scheduleFlush()
                guard done else { return }
                try handshakeCompleted()
            }
            let scratch = loop.plaintextScratch
            while !isClosed && readingEnabled && !closeAfterFlushRequested {
                switch try tls.readPlaintext(into: scratch) {
                case .bytes(let count):
                    accumulator.append(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
                    while !isClosed, !closeAfterFlushRequested, let frame = try accumulator.nextFrame() {
                        try handle(frame)
                    }
                case .wantRead:
                    if tls.pendingCiphertextCount > 0 { scheduleFlush() }
                    if accumulator.bufferedByteCount == 0 { accumulator.shrinkIfIdle() }
                    return
                case .closed:
                    close(TransportError(.closed, "peer closed the TLS session"))
                    return
                }
            }
        } catch {
            failed(error)
        }
    }

    // MARK: Closing

    /// Sends what is queued (e.g. a GOAWAY or a TLS alert), then closes.
    func closeAfterFlushing(_ error: (any Error)?) {
        guard !isClosed, !closeAfterFlushRequested else { return }
        closeAfterFlushRequested = true
        closeAfterFlush = error
        if tls.isHandshakeComplete { flushOutboundIntoTLS() }
        tls.close()
        flush()
        // A peer that never reads must not keep the descriptor: force the close shortly.
        if !isClosed {
            _ = loop.schedule(at: .now + .seconds(2)) { [weak self] in self?.close(error) }
        }
    }

    private func flushOutboundIntoTLS() {
        guard !outbound.isEmpty else { return }
        _ = try? outbound.withUnsafeBytes { try tls.writePlaintext($0) }
        outbound.removeAll()
    }

    /// Closes the descriptor now.
    func close(_ error: (any Error)?) {
        guard !isClosed else { return }
        isClosed = true
        loop.deregister(fd: fd)
        Glibc.close(fd)
        outbound = []
        ciphertext = []
        ciphertextOffset = 0
        accumulator = FrameAccumulator(decoder: accumulator.decoder)
        didClose(error)
    }
}
