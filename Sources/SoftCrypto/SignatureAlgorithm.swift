// The signature schemes of the design, named once so that verification, the HSM layer and the
// RPC layer agree on what "ECDSA" or "PSS" means (hash, encoding, salt).

/// A signature scheme together with its fixed parameters.
public enum SignatureAlgorithm: Hashable, Sendable, CustomStringConvertible {
    /// Pure Ed25519 (RFC 8032), 64-byte signatures. Has no pre-hashed form here.
    case ed25519
    /// ECDSA over P-256 with SHA-256; signatures in the given encoding.
    case ecdsaP256SHA256(ECDSASignature.Format)
    /// RSASSA-PKCS1-v1_5 with SHA-256 (DigestInfo with the NULL parameter).
    case rsaPKCS1v15SHA256
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256 and exactly `saltLength` bytes of salt (the design
    /// uses 32; 0 makes the scheme deterministic).
    case rsaPSSSHA256(saltLength: Int)

    public var description: String {
        switch self {
        case .ed25519: return "Ed25519"
        case .ecdsaP256SHA256(let format): return "ECDSA-P256-SHA256(\(format))"
        case .rsaPKCS1v15SHA256: return "RSA-PKCS1v15-SHA256"
        case .rsaPSSSHA256(let salt): return "RSA-PSS-SHA256(salt \(salt))"
        }
    }

    /// Whether a key of `kind` can verify this scheme.
    public func fits(_ kind: PublicKey.Kind) -> Bool {
        switch (self, kind) {
        case (.ed25519, .ed25519), (.ecdsaP256SHA256, .p256), (.rsaPKCS1v15SHA256, .rsa), (.rsaPSSSHA256, .rsa):
            return true
        default:
            return false
        }
    }
}
