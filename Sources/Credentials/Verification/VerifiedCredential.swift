// What a successful verification hands back: the credential as signed, which format and data
// model it used, and the did:key that signed it, so callers never re-derive any of it from
// unverified input.

/// A credential whose signature and structure verified.
public struct VerifiedCredential: Sendable {
    /// How the credential was secured.
    public enum Format: Sendable, Hashable {
        /// VC-JOSE-COSE compact JWS, `typ: vc+jwt` (VCDM 2.0).
        case vcJWT
        /// VCDM 1.1 JWT (`typ: JWT`, credential in the `vc` claim).
        case jwt11
        /// Data Integrity `eddsa-jcs-2022`.
        case dataIntegrity
    }

    public let format: Format
    public let version: VCVersion
    /// The credential (for Data Integrity, without its `proof`).
    public let credential: JSONValue
    /// The issuer id the credential names.
    public let issuer: String
    /// The key that signed it.
    public let key: DIDKey
}
