// The signature mechanisms the service offers, and nothing else: pure Ed25519, ECDSA P-256 over
// SHA-256, RSA PKCS#1 v1.5 with SHA-256, and RSA-PSS with SHA-256, MGF1-SHA-256 and a 32-byte salt.
// Fixing the PSS parameters here means no caller can ask for a weaker variant.

/// A signature mechanism offered by the service.
public enum SignatureMechanism: String, Sendable, CaseIterable {
    /// CKM_EDDSA without parameters (pure Ed25519, RFC 8032); 64-byte signatures.
    case ed25519
    /// ECDSA over SHA-256 with a P-256 key; raw `r‖s` (64 bytes), DER on request.
    case ecdsaP256SHA256
    /// CKM_SHA256_RSA_PKCS.
    case rsaPKCS1SHA256
    /// CKM_SHA256_RSA_PKCS_PSS with MGF1-SHA-256 and salt length 32.
    case rsaPSSSHA256

    /// Whether a key generated as `spec` can sign with this mechanism.
    public func isCompatible(with spec: KeySpec) -> Bool {
        switch self {
        case .ed25519: spec == .ed25519
        case .ecdsaP256SHA256: spec == .ecdsaP256
        case .rsaPKCS1SHA256, .rsaPSSSHA256: spec == .rsa2048 || spec == .rsa3072
        }
    }
}

/// How an ECDSA signature is returned.
public enum ECDSAFormat: Sendable {
    /// IEEE P1363 `r‖s` (what PKCS#11 and JWS ES256 use).
    case raw
    /// ASN.1 DER `SEQUENCE { r, s }` (X.509, TLS, OpenSSL).
    case der
}
