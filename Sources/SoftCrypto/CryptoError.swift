// Every SoftCrypto failure is one error type: callers switch on a small, growable code, show the
// message, and keep OpenSSL's own diagnostics (the drained error queue) for logs. A bad signature
// is NOT an error (verification returns false); errors mean misuse or malformed input.

/// A software-crypto failure: what went wrong (code), a human sentence, and OpenSSL's error queue.
public struct CryptoError: Error, Hashable, Sendable, CustomStringConvertible {
    /// A machine-readable failure class. New codes may be added; switch with a default.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        /// The stable name of the code (`"invalidKey"`, ...).
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// Key bytes, DER, PEM or JWK that do not describe a supported, well-formed key.
        public static let invalidKey = Code("invalidKey")
        /// A key of a kind or size this module refuses (RSA < 2048 bits, other curves, ...).
        public static let unsupportedKey = Code("unsupportedKey")
        /// A signature encoding that is malformed (bad DER, wrong length), as opposed to one that
        /// merely fails verification.
        public static let invalidSignatureEncoding = Code("invalidSignatureEncoding")
        /// The requested algorithm does not fit the key (ECDSA with an Ed25519 key, ...).
        public static let algorithmMismatch = Code("algorithmMismatch")
        /// An argument outside the allowed range (digest length, nonce length, salt length, ...).
        public static let invalidArgument = Code("invalidArgument")
        /// AEAD decryption failed: wrong key, nonce, associated data, or tampered ciphertext/tag.
        public static let authenticationFailed = Code("authenticationFailed")
        /// Text that should be base64url/PEM/hex is not.
        public static let invalidEncoding = Code("invalidEncoding")
        /// OpenSSL failed where it should not (allocation, internal error).
        public static let internalError = Code("internalError")
    }

    /// The failure class.
    public var code: Code
    /// What failed, in words.
    public var message: String
    /// OpenSSL's error queue at the time of failure (oldest first); the cause, when OpenSSL had one.
    public var openSSLErrors: [String]

    /// Creates an error. Use ``CryptoError/fromOpenSSL(_:_:)`` when OpenSSL reported the failure.
    public init(_ code: Code, _ message: String, openSSLErrors: [String] = []) {
        self.code = code
        self.message = message
        self.openSSLErrors = openSSLErrors
    }

    /// An error carrying OpenSSL's drained error queue as its cause.
    static func fromOpenSSL(_ code: Code, _ message: String) -> CryptoError {
        CryptoError(code, message, openSSLErrors: OpenSSLErrorQueue.drain())
    }

    public var description: String {
        openSSLErrors.isEmpty ? "\(code): \(message)" : "\(code): \(message) [\(openSSLErrors.joined(separator: "; "))]"
    }
}
