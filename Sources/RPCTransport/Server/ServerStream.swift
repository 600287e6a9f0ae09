// The server's record of one open call on a connection: its state machine, the handler's task,
// cancellation and deadline timer. Loop-confined.

import RPCCore

/// One call in progress on a server connection.
final class ServerStream {
    let id: UInt32
    let method: ServerMethod
    var state: StreamStateMachine
    var context: ServerContext
    /// The request of a unary call until the client half-closes.
    var request: [UInt8]?
    /// Bytes of `request` counted in the connection's inbound budget while it waits for the
    /// client's half-close (a unary request sent without END_STREAM).
    var parkedRequestBytes = 0
    var inbox: RequestInbox?
    var task: Task<Void, Never>?
    var deadlineTimer: TimerID?
    var dispatched = false

    init(id: UInt32, method: ServerMethod, context: ServerContext) {
        self.id = id
        self.method = method
        self.context = context
        self.state = StreamStateMachine(role: .server, kind: method.descriptor.kind, streamID: id)
    }
}

/// Responses of a streaming call, handed to the handler.
struct ServerResponseWriter: RawResponseWriter {
    let connection: ServerConnection
    let streamID: UInt32

    func write(_ message: [UInt8]) async throws {
        let connection = self.connection
        let streamID = self.streamID
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            connection.loop.execute { connection.writeResponse(streamID, message, continuation) }
        }
    }
}

extension RPCError {
    /// The status a client sees for an error thrown by a handler or interceptor.
    static func fromHandler(_ error: any Error, cancellation: CancellationSignal) -> RPCError {
        switch error {
        case let error as RPCError: return error
        case let error as any RPCStatusConvertible: return error.rpcError
        case is CancellationError:
            let reason = cancellation.isCancelled ? cancellation.reason : .cancelled
            return RPCError(reason, reason == .deadlineExceeded ? "deadline exceeded" : "call cancelled")
        default:
            // The error's text may carry internals; name only its type.
            return RPCError(.unknown, "handler failed with \(type(of: error))")
        }
    }
}
