// The caller-facing halves of client calls. A unary call is a one-shot completion that the loop
// fulfils (response, status, deadline or lost connection) and the caller's cancellation can
// pre-empt; a streaming call wraps an AsyncThrowingStream of responses plus send/close/cancel
// operations that hop onto the connection's loop.

import RPCCore
import Synchronization

/// Completion of one unary attempt; resumed exactly once.
final class UnaryCompletion: Sendable {
    private struct State {
        var continuation: CheckedContinuation<[UInt8], any Error>?
        var result: Result<[UInt8], CallAttemptFailure>?
        var cancelled = false
    }

    private let state = Mutex(State())

    /// Set by the caller's cancellation handler; the loop checks it before sending.
    var isCancelled: Bool { state.withLock { $0.cancelled } }

    func markCancelled() { state.withLock { $0.cancelled = true } }

    /// Installs the caller's continuation, or resumes it at once if the result is known.
    func wait(_ continuation: CheckedContinuation<[UInt8], any Error>) {
        let ready = state.withLock { state -> Result<[UInt8], CallAttemptFailure>? in
            if let result = state.result { return result }
            state.continuation = continuation
            return nil
        }
        if let ready { continuation.resume(with: ready.mapError { $0 as any Error }) }
    }

    /// Delivers the outcome; later calls are ignored.
    func complete(_ result: Result<[UInt8], CallAttemptFailure>) {
        let continuation = state.withLock { state -> CheckedContinuation<[UInt8], any Error>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume(with: result.mapError { $0 as any Error })
    }

    var isComplete: Bool { state.withLock { $0.result != nil } }
}

/// A streaming call as the generated stubs see it.
final class ClientStreamCall: RawClientStream, @unchecked Sendable {
    // `connection` is touched only through its loop; the rest is immutable or thread-safe.
    let connection: ClientConnection
    let streamID: UInt32
    let responses: AsyncThrowingStream<[UInt8], any Error>
    let sink: AsyncThrowingStream<[UInt8], any Error>.Continuation

    init(connection: ClientConnection, streamID: UInt32) {
        self.connection = connection
        self.streamID = streamID
        (responses, sink) = AsyncThrowingStream.makeStream(of: [UInt8].self, throwing: (any Error).self)
    }

    func send(_ message: [UInt8]) async throws {
        let connection = self.connection
        let streamID = self.streamID
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            connection.loop.execute { connection.sendStreamMessage(streamID, message, continuation) }
        }
    }

    func closeSend() async throws {
        let connection = self.connection
        let streamID = self.streamID
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            connection.loop.execute { connection.halfCloseStream(streamID, continuation) }
        }
    }

    func cancel() {
        let connection = self.connection
        let streamID = self.streamID
        connection.loop.execute { connection.cancelCall(streamID, reason: .cancelled) }
    }
}
