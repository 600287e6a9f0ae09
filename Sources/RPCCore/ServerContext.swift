// What a server handler knows about its caller and its call.

import Synchronization

/// The authenticated peer of a call, taken from its client certificate.
public struct PeerIdentity: Hashable, Sendable, CustomStringConvertible {
    /// The identity policies match on: first SAN URI, else first SAN DNS name, else the CN.
    public var name: String
    /// Subject common name, if any.
    public var commonName: String?
    /// SAN URIs and DNS names in certificate order.
    public var subjectAltNames: [String]
    /// SHA-256 of the DER certificate, lower-case hex.
    public var fingerprintSHA256: String

    public init(name: String, commonName: String? = nil, subjectAltNames: [String] = [],
                fingerprintSHA256: String = "") {
        self.name = name
        self.commonName = commonName
        self.subjectAltNames = subjectAltNames
        self.fingerprintSHA256 = fingerprintSHA256
    }

    public var description: String { name }
}

/// Cancellation shared between the transport and a handler (cancel frames, deadlines, disconnects).
public final class CancellationSignal: Sendable {
    private let state = Mutex<(cancelled: Bool, reason: StatusCode, handlers: [@Sendable () -> Void])>(
        (false, .cancelled, []))

    public init() {}

    public var isCancelled: Bool { state.withLock { $0.cancelled } }
    /// Why the call was cancelled (CANCELLED or DEADLINE_EXCEEDED).
    public var reason: StatusCode { state.withLock { $0.reason } }

    /// Marks cancelled and runs the handlers once.
    public func cancel(_ reason: StatusCode = .cancelled) {
        let toRun: [@Sendable () -> Void] = state.withLock { state in
            guard !state.cancelled else { return [] }
            state.cancelled = true
            state.reason = reason
            defer { state.handlers = [] }
            return state.handlers
        }
        toRun.forEach { $0() }
    }

    /// Runs `handler` on cancellation (at once if already cancelled).
    public func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state in
            if state.cancelled { return true }
            state.handlers.append(handler)
            return false
        }
        if runNow { handler() }
    }
}

/// Per-call information handed to handlers and interceptors.
public struct ServerContext: Sendable {
    public var method: MethodDescriptor
    public var peer: PeerIdentity
    /// Absolute deadline on the server's monotonic clock; `nil` means none.
    public var deadline: ContinuousClock.Instant?
    public var metadata: Metadata
    public var idempotencyKey: String?
    public var traceID: String?
    public let cancellation: CancellationSignal
    /// Values interceptors attach for later layers (e.g. the roles authorization resolved).
    public var attributes: [String: String]

    public init(method: MethodDescriptor, peer: PeerIdentity, deadline: ContinuousClock.Instant? = nil,
                metadata: Metadata = Metadata(), idempotencyKey: String? = nil, traceID: String? = nil,
                cancellation: CancellationSignal = CancellationSignal(), attributes: [String: String] = [:]) {
        self.method = method
        self.peer = peer
        self.deadline = deadline
        self.metadata = metadata
        self.idempotencyKey = idempotencyKey
        self.traceID = traceID
        self.cancellation = cancellation
        self.attributes = attributes
    }

    /// Throws DEADLINE_EXCEEDED or CANCELLED when the call should stop.
    public func checkAlive() throws {
        if cancellation.isCancelled {
            throw RPCError(cancellation.reason, cancellation.reason == .deadlineExceeded
                ? "deadline exceeded" : "call cancelled")
        }
        if let deadline, ContinuousClock.now >= deadline {
            throw RPCError(.deadlineExceeded, "deadline exceeded")
        }
    }
}
