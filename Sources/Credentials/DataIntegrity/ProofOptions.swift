// The caller's choices for a Data Integrity proof. Type, cryptosuite and purpose are fixed by
// what this service issues (DataIntegrityProof / eddsa-jcs-2022 / assertionMethod); the
// verification method, creation time and optional expiry vary.

/// Options for an `eddsa-jcs-2022` proof.
public struct ProofOptions: Sendable {
    /// `did:key:z6Mk…#z6Mk…`.
    public var verificationMethod: String
    /// XML Schema dateTimeStamp, kept exactly as given (e.g. `2023-02-24T23:36:38Z`).
    public var created: String
    /// Optional expiry (dateTimeStamp).
    public var expires: String?

    /// Options with `created` given as text (validated when the proof is prepared).
    public init(verificationMethod: String, created: String, expires: String? = nil) {
        self.verificationMethod = verificationMethod
        self.created = created
        self.expires = expires
    }

    /// Options with `created` at a given time, in whole UTC seconds.
    public init(verificationMethod: String, created: XSDDateTime, expires: XSDDateTime? = nil) {
        self.init(verificationMethod: verificationMethod, created: created.utcText, expires: expires?.utcText)
    }
}

/// The fixed values of the proofs this service issues.
public enum EddsaJcs2022Constants {
    public static let proofType = "DataIntegrityProof"
    public static let cryptosuite = "eddsa-jcs-2022"
    public static let proofPurpose = "assertionMethod"
}
