// The one error type of the audit log. It carries a code the service layer maps to an RPC status
// (this module sits below RPCCore and must not depend on it), a message safe to log, and the
// underlying cause (an errno, a signer's error) for diagnostics.

#if canImport(Glibc)
import Glibc
#endif

/// A failure of the audit log.
///
/// Map ``code`` to an RPC status in the service layer:
/// ``Code/unavailable``, ``Code/closed`` and ``Code/signingFailed`` → `UNAVAILABLE` (fail closed,
/// the client may retry later); ``Code/corrupt`` → `DATA_LOSS`; ``Code/invalidArgument`` →
/// `INVALID_ARGUMENT`; ``Code/io`` (opening, scanning or verifying a file) → `INTERNAL`.
/// An append never throws ``Code/io`` directly: it wraps it in ``Code/unavailable``.
public struct AuditError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure this is; new codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The record is not durable: the log cannot be written right now, or the write did not
        /// finish within the configured timeout. The caller must fail closed.
        public static let unavailable = Code("unavailable")
        /// The log was closed.
        public static let closed = Code("closed")
        /// The existing log failed verification; it must be inspected, not written to.
        public static let corrupt = Code("corrupt")
        /// The caller passed something the log cannot record.
        public static let invalidArgument = Code("invalid_argument")
        /// A system call failed.
        public static let io = Code("io")
        /// The checkpoint signer failed.
        public static let signingFailed = Code("signing_failed")
    }

    public var code: Code
    public var message: String
    /// The `errno` of a failed system call, when there was one (also set on `unavailable` errors
    /// caused by one, e.g. `ENOSPC`).
    public var systemErrno: Int32?
    /// The error underneath, if any (a signer's error, the I/O error under `unavailable`).
    public var cause: (any Error & Sendable)?

    public init(_ code: Code, _ message: String, errno: Int32? = nil, cause: (any Error & Sendable)? = nil) {
        self.code = code
        self.message = message
        self.systemErrno = errno
        self.cause = cause
    }

    /// An ``Code/io`` error for a failed system call, with the text of `errno`.
    public static func system(_ operation: String, path: String, errno code: Int32) -> AuditError {
        AuditError(.io, "\(operation) \(path): \(String(cString: strerror(code))) (errno \(code))", errno: code)
    }

    /// The `unavailable` error an append reports for an underlying failure.
    static func unavailable(_ message: String, cause: AuditError? = nil) -> AuditError {
        AuditError(.unavailable, message, errno: cause?.systemErrno, cause: cause)
    }

    /// Whether a service should answer `UNAVAILABLE` (and the client may retry later).
    public var isUnavailable: Bool {
        code == .unavailable || code == .closed || code == .signingFailed
    }

    public var description: String {
        if let cause { return "audit \(code): \(message) (cause: \(cause))" }
        return "audit \(code): \(message)"
    }
}
