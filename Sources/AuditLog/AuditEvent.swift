// What the service reports about one RPC, allowed or denied: who called what with which key,
// the digest of the request and how it ended. The log adds seq, time and chain position.

/// One RPC, allowed or denied, as the service reports it.
public struct AuditEvent: Hashable, Sendable {
    /// The authenticated caller (SAN URI / CN), or `""` when authentication failed.
    public var identity: String
    /// Full method name, e.g. `/persona.hsm.v1.SigningService/Sign`.
    public var method: String
    /// The key the call named, `""` when none.
    public var keyName: String
    /// The key version used, `0` when none.
    public var keyVersion: UInt32
    /// SHA-256 of the serialized request: 32 bytes, or empty when there is none.
    public var requestSHA256: [UInt8]
    /// The status code name of the call's outcome, e.g. `OK`, `PERMISSION_DENIED`.
    public var outcome: String
    /// The status message (empty on success).
    public var message: String
    /// Further context, e.g. `signature_sha256` (so a returned signature can be matched to its
    /// record), `trace_id`, `idempotency_key`.
    public var extra: [String: String]

    public init(identity: String, method: String, keyName: String = "", keyVersion: UInt32 = 0,
                requestSHA256: [UInt8] = [], outcome: String, message: String = "", extra: [String: String] = [:]) {
        self.identity = identity
        self.method = method
        self.keyName = keyName
        self.keyVersion = keyVersion
        self.requestSHA256 = requestSHA256
        self.outcome = outcome
        self.message = message
        self.extra = extra
    }
}

extension AuditEvent {
    /// Most UTF-8 bytes all strings of an event may hold together, so that even fully escaped a
    /// record stays far below the longest line a reader accepts.
    public static let maxTextBytes = 64 * 1024

    /// Checks what the canonical form cannot represent.
    func validate() throws(AuditError) {
        guard requestSHA256.isEmpty || requestSHA256.count == 32 else {
            throw AuditError(.invalidArgument, "request_sha256 must be 32 bytes or empty, got \(requestSHA256.count)")
        }
        var textBytes = identity.utf8.count + method.utf8.count + keyName.utf8.count + outcome.utf8.count
            + message.utf8.count
        for (key, value) in extra { textBytes += key.utf8.count + value.utf8.count }
        guard textBytes <= AuditEvent.maxTextBytes else {
            throw AuditError(.invalidArgument, "audit event text is \(textBytes) bytes; at most \(AuditEvent.maxTextBytes)")
        }
    }
}
