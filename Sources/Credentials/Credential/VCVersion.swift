// Which Verifiable Credentials Data Model a document follows, decided by the first @context
// entry as both data models require.

/// A VC Data Model version.
public enum VCVersion: String, Sendable, Hashable, CustomStringConvertible {
    /// VCDM 1.0/1.1: first context `https://www.w3.org/2018/credentials/v1`.
    case v1_1 = "1.1"
    /// VCDM 2.0: first context `https://www.w3.org/ns/credentials/v2`.
    case v2_0 = "2.0"

    /// The base context URL that must come first in `@context`.
    public var baseContext: String {
        switch self {
        case .v1_1: return "https://www.w3.org/2018/credentials/v1"
        case .v2_0: return "https://www.w3.org/ns/credentials/v2"
        }
    }

    /// The version whose base context is `url`, if any.
    public init?(baseContext url: String) {
        if scalarsEqual(url, VCVersion.v2_0.baseContext) { self = .v2_0 }
        else if scalarsEqual(url, VCVersion.v1_1.baseContext) { self = .v1_1 }
        else { return nil }
    }

    /// The member holding the issuance/validity start date.
    public var validFromMember: String { self == .v2_0 ? "validFrom" : "issuanceDate" }
    /// The member holding the expiry date.
    public var validUntilMember: String { self == .v2_0 ? "validUntil" : "expirationDate" }

    public var description: String { "VCDM \(rawValue)" }
}

/// The Data Integrity context VCDM 1.1 documents need so that `DataIntegrityProof` terms are
/// defined (VCDM 2.0's base context already includes them).
public let dataIntegrityContextV2 = "https://w3id.org/security/data-integrity/v2"
