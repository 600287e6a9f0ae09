// The error of the transport layer: sockets, TLS, certificates. A growable code, a message for
// logs, and the underlying cause (an OpenSSL error string or errno), mapped to the status a
// caller should see (UNAVAILABLE for network trouble, UNAUTHENTICATED for certificate trouble).

import RPCCore

/// A failure in the TLS or socket layer.
public struct TransportError: Error, Hashable, Sendable, CustomStringConvertible, RPCStatusConvertible {
    /// What failed, as a stable identifier.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        public init(_ name: String) { self.name = name }
        public var description: String { name }

        /// Reading or parsing certificates, keys or CRLs failed.
        public static let credentials = Code("CREDENTIALS")
        /// Building the OpenSSL context failed.
        public static let tlsSetup = Code("TLS_SETUP")
        /// The TLS handshake failed (bad certificate, wrong name, no common protocol).
        public static let handshake = Code("HANDSHAKE")
        /// The peer's certificate was missing or did not verify.
        public static let peerVerification = Code("PEER_VERIFICATION")
        /// A socket call failed.
        public static let socket = Code("SOCKET")
        /// Connecting to an endpoint failed or timed out.
        public static let connect = Code("CONNECT")
        /// The connection closed.
        public static let closed = Code("CLOSED")
        /// Creating a certificate or key in the development PKI failed.
        public static let pki = Code("PKI")
    }

    public var code: Code
    public var message: String
    /// The lower-level cause, e.g. the OpenSSL error queue or `strerror(errno)`.
    public var cause: String?

    public init(_ code: Code, _ message: String, cause: String? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        cause.map { "\(code): \(message) (\($0))" } ?? "\(code): \(message)"
    }

    public var rpcError: RPCError {
        switch code {
        case .peerVerification: RPCError(.unauthenticated, description)
        default: RPCError(.unavailable, description)
        }
    }
}
