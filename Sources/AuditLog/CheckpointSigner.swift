// The audit key behind two small protocols. The service plugs in an HSM-held key; tests plug in a
// software key. The log only needs "sign these bytes" and the verifier only "is this signature
// right for that key name and version", so neither depends on SoftCrypto's or PKCS#11's types.

/// Signs checkpoint messages with the audit key.
public protocol CheckpointSigner: Sendable {
    /// Signs `message` (see ``AuditCheckpoint/signedMessage``).
    /// - Returns: the signature and the name and version of the key that made it.
    /// - Throws: any error; the log counts it and retries the checkpoint later.
    func sign(_ message: [UInt8]) async throws -> (signature: [UInt8], keyName: String, keyVersion: UInt32)
}

/// Checks checkpoint signatures for ``AuditVerifier``.
public protocol CheckpointVerifier {
    /// Whether `signature` over `message` was made by version `keyVersion` of key `keyName`.
    /// Unknown keys are simply not valid.
    func verify(signature: [UInt8], message: [UInt8], keyName: String, keyVersion: UInt32) -> Bool
}
