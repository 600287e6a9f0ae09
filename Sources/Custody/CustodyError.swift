// Errors of key custody (quorum ledger, backup bundles, partition images). Custody knows nothing
// of RPC: the service layer maps each kind to a status code, and the reason string is what a
// client or an operator's script matches on.

/// A custody operation that cannot be done.
public struct CustodyError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable {
        case notFound, invalidArgument, failedPrecondition, permissionDenied, resourceExhausted, dataLoss, unavailable
        case `internal`
    }

    public var kind: Kind
    public var message: String
    /// Machine-readable reason such as `QUORUM_NOT_REACHED` or `BUNDLE_INTEGRITY`.
    public var reason: String
    /// The lower-layer error, when there is one.
    public var cause: String?

    public init(_ kind: Kind, _ message: String, reason: String, cause: (any Error)? = nil) {
        self.kind = kind
        self.message = message
        self.reason = reason
        self.cause = cause.map { "\($0)" }
    }

    public var description: String { cause.map { "\(message) (\($0))" } ?? message }
}
