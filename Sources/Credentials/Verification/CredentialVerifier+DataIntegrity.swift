// Verifying `eddsa-jcs-2022` proofs (vc-di-eddsa §3.3.2). Per the spec, when the proof carries
// an @context, the document's @context must START with it, and the document is hashed with the
// proof's @context in place of its own — so contexts appended after signing do not break the
// proof (they are not covered by it either). Everything else in the document is covered.

import SoftCrypto

extension CredentialVerifier {
    /// Verifies a secured document given as JSON bytes.
    public func verifyDataIntegrity(_ bytes: [UInt8]) throws(CredentialError) -> VerifiedCredential {
        try verifyDataIntegrity(parse(bytes, what: "the document"))
    }

    /// Verifies a secured document.
    ///
    /// - Throws: a ``CredentialError`` whose code names the rule broken.
    public func verifyDataIntegrity(_ secured: JSONValue) throws(CredentialError) -> VerifiedCredential {
        guard var unsecured = secured.objectValue else {
            throw CredentialError(.invalidCredential, "a secured document is a JSON object")
        }
        guard let proofValue = unsecured.removeValue(forKey: "proof") else {
            throw CredentialError(.missingProof, "the document has no proof")
        }
        if proofValue.arrayValue != nil { throw CredentialError(.proofSetUnsupported, "proof sets are not supported") }
        guard var proofOptions = proofValue.objectValue else {
            throw CredentialError(.invalidProofOptions, "proof must be an object")
        }
        let (key, signature) = try checkProof(&proofOptions)

        // The document as the issuer saw it (for structure and issuer checks).
        let (version, issuer) = try checkCredential(.object(unsecured), expected: nil, key: key)

        if let proofContext = proofOptions["@context"] {
            let proofEntries = proofContext.arrayValue ?? [proofContext]
            let documentEntries = unsecured["@context"].map { $0.arrayValue ?? [$0] } ?? []
            guard documentEntries.count >= proofEntries.count,
                  zip(proofEntries, documentEntries).allSatisfy({ $0 == $1 }) else {
                throw CredentialError(.contextMismatch, "the document's @context does not start with the proof's @context")
            }
            unsecured["@context"] = proofContext
        }
        var proofConfig = proofOptions
        if let context = unsecured["@context"] { proofConfig["@context"] = context }
        let hashData = try EddsaJcs2022.hashData(proofConfig: proofConfig, document: unsecured)
        try verifySignature(signature, message: hashData, key: key)
        var credential = secured.objectValue!
        credential.removeValue(forKey: "proof")
        return VerifiedCredential(format: .dataIntegrity, version: version, credential: .object(credential), issuer: issuer, key: key)
    }

    /// Checks the proof's members; removes `proofValue` and returns the key and signature.
    private func checkProof(_ proof: inout JSONObject) throws(CredentialError) -> (DIDKey, [UInt8]) {
        func string(_ member: String) throws(CredentialError) -> String {
            guard let value = proof[member] else { throw CredentialError(.invalidProofOptions, "proof.\(member) is missing") }
            guard let text = value.stringValue else { throw CredentialError(.invalidProofOptions, "proof.\(member) must be a string") }
            return text
        }
        guard scalarsEqual(try string("type"), EddsaJcs2022Constants.proofType) else {
            throw CredentialError(.wrongProofType, "proof.type must be \(EddsaJcs2022Constants.proofType)")
        }
        let suite = try string("cryptosuite")
        guard scalarsEqual(suite, EddsaJcs2022Constants.cryptosuite) else {
            throw CredentialError(.wrongCryptosuite, "cryptosuite \(suite) is not \(EddsaJcs2022Constants.cryptosuite)")
        }
        guard scalarsEqual(try string("proofPurpose"), EddsaJcs2022Constants.proofPurpose) else {
            throw CredentialError(.wrongProofPurpose, "proofPurpose must be \(EddsaJcs2022Constants.proofPurpose)")
        }
        if proof.contains("previousProof") { throw CredentialError(.proofSetUnsupported, "proof chains are not supported") }
        for member in ["created", "expires"] where proof.contains(member) {
            try EddsaJcs2022.requireTimestamp(try string(member), member: member)
        }
        if let now = options.validAt, let text = proof["expires"]?.stringValue, let expires = try? XSDDateTime(text),
           expires.epochSeconds < now.epochSeconds {
            throw CredentialError(.expired, "the proof expired at \(text)")
        }
        let key = try resolvedKeys.key(verificationMethod: try string("verificationMethod"))
        let encoded = try string("proofValue")
        proof.removeValue(forKey: "proofValue")
        let signature: [UInt8]
        do {
            signature = try Multibase.decodeBase58BTC(encoded)
        } catch {
            throw CredentialError(.invalidProofValue, "proofValue is not base58btc multibase: \(error.message)", cause: error)
        }
        guard signature.count == 64 else {
            throw CredentialError(.invalidProofValue, "proofValue decodes to \(signature.count) bytes, not 64")
        }
        return (key, signature)
    }
}
