// HSMs return EC public keys in CKA_EC_POINT inconsistently: SoftHSM2 wraps them in a DER OCTET
// STRING (Ed25519 `04 20` + 32 bytes, P-256 `04 41 04 X Y`), other vendors return the raw bytes.
// Vendor quirks are data, not guesses: both forms are accepted by their exact lengths and
// anything else is refused.

extension PublicKey {
    /// A key from a PKCS#11 `CKA_EC_POINT` value, raw or DER-wrapped.
    ///
    /// - Parameters:
    ///   - ecPoint: the attribute bytes.
    ///   - kind: `.ed25519` or `.p256` (from the key's CKA_KEY_TYPE / CKA_EC_PARAMS).
    /// - Throws: ``CryptoError/Code/invalidKey`` for any other layout,
    ///   ``CryptoError/Code/unsupportedKey`` for RSA.
    public init(ecPoint: [UInt8], kind: Kind) throws(CryptoError) {
        switch kind {
        case .ed25519:
            if ecPoint.count == 32 {
                try self.init(ed25519Raw: ecPoint)
            } else if ecPoint.count == 34, ecPoint[0] == 0x04, ecPoint[1] == 0x20 {
                try self.init(ed25519Raw: Array(ecPoint[2...]))
            } else {
                throw CryptoError(.invalidKey, "an Ed25519 EC point is 32 raw bytes or 04 20 + 32 bytes, got \(ecPoint.count) bytes")
            }
        case .p256:
            if ecPoint.count == 65 {
                try self.init(p256Point: ecPoint)
            } else if ecPoint.count == 67, ecPoint[0] == 0x04, ecPoint[1] == 0x41 {
                try self.init(p256Point: Array(ecPoint[2...]))
            } else {
                throw CryptoError(.invalidKey, "a P-256 EC point is 65 raw bytes or 04 41 + 65 bytes, got \(ecPoint.count) bytes")
            }
        case .rsa:
            throw CryptoError(.unsupportedKey, "RSA keys have no EC point")
        }
    }
}
