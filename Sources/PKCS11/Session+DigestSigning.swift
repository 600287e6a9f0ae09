// Signing a SHA-256 digest the caller computed (the `digest_sha256` input of the API), for callers
// that hash large documents themselves. The token never sees the message, so the mechanisms are
// the raw ones: CKM_ECDSA over the digest, CKM_RSA_PKCS over the DER DigestInfo that PKCS#1 v1.5
// would have built around it, and CKM_RSA_PKCS_PSS with the same fixed SHA-256 / MGF1-SHA-256 /
// salt-32 parameters as the hashing mechanism. Each result is therefore byte-for-byte a valid
// signature of the original message. Pure Ed25519 has no pre-hashed form and is refused.

import CPKCS11

extension Session {
    /// DER of `DigestInfo { AlgorithmIdentifier { sha256, NULL }, OCTET STRING (32 bytes) }`
    /// without the digest (RFC 8017 §9.2 note 1).
    static let sha256DigestInfoPrefix: [UInt8] = [
        0x30, 0x31, 0x30, 0x0D, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
    ]

    /// Signs a 32-byte SHA-256 `digest` with the private key `key`.
    /// - Parameters:
    ///   - mechanism: the key's mechanism; `.ed25519` is refused (pure EdDSA signs messages).
    ///   - ecdsaFormat: output encoding for ECDSA.
    /// - Throws: `.invalidArgument` for Ed25519 or a digest that is not 32 bytes; the Cryptoki
    ///   error of C_SignInit/C_Sign otherwise.
    public func signDigest(_ digest: [UInt8], key: ObjectHandle, mechanism: SignatureMechanism,
                           ecdsaFormat: ECDSAFormat = .raw) throws(PKCS11Error) -> [UInt8] {
        guard digest.count == 32 else {
            throw PKCS11Error(code: .invalidArgument, function: "Session.signDigest",
                              message: "a SHA-256 digest is 32 bytes, got \(digest.count)")
        }
        switch mechanism {
        case .ed25519:
            throw PKCS11Error(code: .invalidArgument, function: "Session.signDigest",
                              message: "pure Ed25519 signs the message itself, not a digest")
        case .ecdsaP256SHA256:
            let raw = try rawSign(digest, key: key, mechanism: UInt(CKM_ECDSA), parameter: [])
            return ecdsaFormat == .raw ? raw : try ECDSASignatureEncoding.der(fromRaw: raw)
        case .rsaPKCS1SHA256:
            return try rawSign(Self.sha256DigestInfoPrefix + digest, key: key, mechanism: UInt(CKM_RSA_PKCS),
                               parameter: [])
        case .rsaPSSSHA256:
            var params = CK_RSA_PKCS_PSS_PARAMS(hashAlg: CK_MECHANISM_TYPE(CKM_SHA256),
                                                mgf: CK_RSA_PKCS_MGF_TYPE(CKG_MGF1_SHA256), sLen: 32)
            let bytes = withUnsafeBytes(of: &params) { Array($0) }
            return try rawSign(digest, key: key, mechanism: UInt(CKM_RSA_PKCS_PSS), parameter: bytes)
        }
    }
}
