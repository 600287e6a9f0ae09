// The error every RPC layer throws and every client sees: a status code, a message safe to show,
// and optional structured details (retry hint, machine-readable reason).

/// Structured details of a non-OK status (mirrors `persona.hsm.v1.ErrorDetails`).
public struct ErrorDetails: Hashable, Sendable {
    /// When > 0, wait this long before retrying.
    public var retryAfterMillis: UInt32
    /// Machine-readable reason such as `QUEUE_FULL` or `KEY_DISABLED`.
    public var reason: String
    /// The field or resource concerned.
    public var subject: String
    /// Extra context.
    public var info: [String: String]

    public init(retryAfterMillis: UInt32 = 0, reason: String = "", subject: String = "",
                info: [String: String] = [:]) {
        self.retryAfterMillis = retryAfterMillis
        self.reason = reason
        self.subject = subject
        self.info = info
    }
}

/// A failed call: code, message and details.
public struct RPCError: Error, Hashable, Sendable, CustomStringConvertible {
    public var code: StatusCode
    public var message: String
    public var details: ErrorDetails?

    public init(_ code: StatusCode, _ message: String, details: ErrorDetails? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }

    public var description: String { "\(code): \(message)" }
}

/// Errors that know which RPC status they map to (domain errors of lower layers conform).
public protocol RPCStatusConvertible: Error {
    /// The status a client should see for this error.
    var rpcError: RPCError { get }
}
