// Errors of the batch issuance job that are neither server statuses nor per-document problems:
// a key that cannot sign credentials, unreadable input, an output file that belongs to another
// job. Per-document problems are records in the rejects file, not errors.

/// A failure that stops an issuance job (or `verify-credentials`) before or while it runs.
public struct IssuanceError: Error, Sendable, CustomStringConvertible {
    /// The failure class. New codes may be added.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let name: String
        private init(_ name: String) { self.name = name }
        public var description: String { name }

        /// The key is not an Ed25519 signing key, or its did:key does not match its public key.
        public static let wrongKey = Code("wrongKey")
        /// The input file or folder cannot be read.
        public static let input = Code("input")
        /// The output or rejects file cannot be written.
        public static let output = Code("output")
        /// The output belongs to a job with other settings (key, version, format).
        public static let jobMismatch = Code("jobMismatch")
        /// Signing failed for good (after retries); the job stops and can be resumed.
        public static let signing = Code("signing")
    }

    public var code: Code
    public var message: String
    public var cause: (any Error)?

    public init(_ code: Code, _ message: String, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.cause = cause
    }

    public var description: String {
        cause.map { "\(code): \(message) (\($0))" } ?? "\(code): \(message)"
    }
}
