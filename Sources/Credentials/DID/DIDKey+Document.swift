// The DID document a did:key resolves to, for callers that publish or display it. The
// verification method uses the `Multikey` type with `publicKeyMultibase` (Controlled Identifiers
// 1.0 / did:key v0.7), the form Data Integrity cryptosuites such as eddsa-jcs-2022 reference,
// rather than the older Ed25519VerificationKey2020. No X25519 keyAgreement key is derived: these
// are signing keys, and deriving encryption keys from them is not something this service offers.

extension DIDKey {
    /// The JSON-LD context of the document.
    public static let documentContext: [String] = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]

    /// The verification method object.
    public var verificationMethod: JSONObject {
        [
            "id": .string(verificationMethodID),
            "type": "Multikey",
            "controller": .string(did),
            "publicKeyMultibase": .string(multibaseKey),
        ]
    }

    /// The resolved DID document.
    public var document: JSONValue {
        let reference = JSONValue.array([.string(verificationMethodID)])
        return .object([
            "@context": .array(Self.documentContext.map { .string($0) }),
            "id": .string(did),
            "verificationMethod": .array([.object(verificationMethod)]),
            "authentication": reference,
            "assertionMethod": reference,
            "capabilityInvocation": reference,
            "capabilityDelegation": reference,
        ])
    }
}
