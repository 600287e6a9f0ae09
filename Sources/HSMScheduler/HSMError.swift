// The error every caller of the scheduler sees. It carries a kind the service layer maps to an RPC
// status (this module deliberately does not depend on RPCCore), a message, the backend involved
// and the PKCS#11 error underneath when there was one.

import PKCS11

/// A failed HSM request.
public struct HSMError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, in terms a service can map to a status code.
    public enum Kind: Sendable, Hashable {
        /// No backend holds the key (NOT_FOUND).
        case notFound
        /// The deadline passed before the HSM call (DEADLINE_EXCEEDED).
        case deadlineExceeded
        /// Every eligible queue is full; retry after the hint (RESOURCE_EXHAUSTED).
        case queueFull(retryAfter: Duration)
        /// No healthy backend could do the work (UNAVAILABLE).
        case unavailable(retryAfter: Duration)
        /// The request itself was rejected: wrong key type for the mechanism, bad data (INVALID_ARGUMENT).
        case invalidArgument
        /// The key exists but may not do this (FAILED_PRECONDITION).
        case failedPrecondition
        /// The caller cancelled (CANCELLED).
        case cancelled
        /// A bug or unexpected answer (INTERNAL).
        case `internal`
    }

    public var kind: Kind
    public var message: String
    /// The backend that produced the error, when one did.
    public var backend: String?
    /// The PKCS#11 error underneath, if any.
    public var cause: PKCS11Error?

    public init(_ kind: Kind, _ message: String, backend: String? = nil, cause: PKCS11Error? = nil) {
        self.kind = kind
        self.message = message
        self.backend = backend
        self.cause = cause
    }

    public var description: String {
        var text = "\(kind): \(message)"
        if let backend { text += " [backend \(backend)]" }
        if let cause { text += " (\(cause))" }
        return text
    }
}

extension HSMError {
    /// Classifies a PKCS#11 error that persisted after session recovery.
    static func from(_ error: PKCS11Error, backend: String) -> HSMError {
        // KEY_FUNCTION_NOT_PERMITTED, USER_NOT_LOGGED_IN: the key exists but may not do this now.
        if error.returnValue == 0x68 || error.returnValue == 0x101 {
            return HSMError(.failedPrecondition, "the key may not do this", backend: backend, cause: error)
        }
        if error.isInputRejected {
            return HSMError(.invalidArgument, "the HSM rejected the request", backend: backend, cause: error)
        }
        return HSMError(.unavailable(retryAfter: .milliseconds(100)), "backend failed", backend: backend, cause: error)
    }
}
