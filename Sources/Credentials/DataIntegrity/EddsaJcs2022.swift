// Data Integrity `eddsa-jcs-2022` (W3C vc-di-eddsa §3.3). The proof configuration is the proof
// without its value, carrying the document's @context; the signed message is
//     SHA-256(JCS(proofConfig)) ‖ SHA-256(JCS(document without proof))
// (64 bytes, signed with pure Ed25519), and proofValue is its signature in base58btc multibase.
// Like VC-JWT, issuing is split into prepare (bytes to sign) and assemble (signature in), so the
// batch issuer can sign many documents in one HSM round trip.

import SoftCrypto

/// A Data Integrity proof whose hash data is fixed and whose signature is still to come.
public struct PreparedProof: Sendable {
    /// The key that must sign.
    public let key: DIDKey
    /// The document without proof.
    public let document: JSONObject
    /// The proof configuration (the proof minus `proofValue`).
    public let proofConfig: JSONObject
    /// The 64 bytes to sign: SHA-256(JCS(proofConfig)) ‖ SHA-256(JCS(document)).
    public let hashData: [UInt8]

    /// The secured document: `document` plus `proof` = proofConfig + proofValue.
    ///
    /// - Parameter verify: check the signature under ``key`` first (recommended).
    /// - Throws: ``CredentialError/Code/wrongSignatureLength``, ``CredentialError/Code/invalidSignature``.
    public func assemble(signature: [UInt8], verify: Bool = true) throws(CredentialError) -> JSONValue {
        try checkedSignature(signature, message: hashData, key: key, verify: verify)
        var proof = proofConfig
        proof["proofValue"] = .string(Multibase.encodeBase58BTC(signature))
        var secured = document
        secured["proof"] = .object(proof)
        return .object(secured)
    }
}

/// The `eddsa-jcs-2022` cryptosuite.
public enum EddsaJcs2022 {
    /// Builds the proof configuration and hash data for `document`.
    ///
    /// - Throws: ``CredentialError/Code/invalidCredential`` if `document` is not an object or
    ///   already has a proof; ``CredentialError/Code/invalidProofOptions`` for bad dates; did:key
    ///   errors for a bad verification method.
    public static func prepare(document: JSONValue, options: ProofOptions) throws(CredentialError) -> PreparedProof {
        try prepare(document: document, options: options, parsedKey: nil)
    }

    /// ``prepare(document:options:)`` with the did:key of `options.verificationMethod` already
    /// parsed (a batch parses its signer's key once); `parsedKey` is used only when it is that key.
    static func prepare(document: JSONValue, options: ProofOptions, parsedKey: DIDKey?) throws(CredentialError) -> PreparedProof {
        guard let object = document.objectValue else {
            throw CredentialError(.invalidCredential, "a Data Integrity document is a JSON object")
        }
        guard !object.contains("proof") else {
            throw CredentialError(.invalidCredential, "the document already has a proof; proof sets are not supported")
        }
        let key: DIDKey
        if let parsedKey, scalarsEqual(parsedKey.verificationMethodID, options.verificationMethod) {
            key = parsedKey
        } else {
            key = try DIDKey(verificationMethod: options.verificationMethod)
        }
        try requireTimestamp(options.created, member: "created")
        var config: JSONObject = [:]
        config["type"] = .string(EddsaJcs2022Constants.proofType)
        config["cryptosuite"] = .string(EddsaJcs2022Constants.cryptosuite)
        config["created"] = .string(options.created)
        config["verificationMethod"] = .string(options.verificationMethod)
        config["proofPurpose"] = .string(EddsaJcs2022Constants.proofPurpose)
        if let expires = options.expires {
            try requireTimestamp(expires, member: "expires")
            config["expires"] = .string(expires)
        }
        // Proof Configuration step 4: proofConfig.@context = unsecuredDocument.@context.
        if let context = object["@context"] { config["@context"] = context }
        return PreparedProof(key: key, document: object, proofConfig: config,
                             hashData: try hashData(proofConfig: config, document: object))
    }

    /// Prepares, signs with `signer`, and assembles.
    public static func issue(document: JSONValue, signer: any CredentialSigner,
                             created: XSDDateTime) async throws(CredentialError) -> JSONValue {
        let prepared = try prepare(document: document,
                                   options: ProofOptions(verificationMethod: signer.verificationMethod, created: created))
        let signature: [UInt8]
        do {
            signature = try await signer.sign(prepared.hashData)
        } catch {
            throw CredentialError(.signerFailed, "signing failed", cause: error)
        }
        return try prepared.assemble(signature: signature)
    }

    /// SHA-256(JCS(proofConfig)) ‖ SHA-256(JCS(document)).
    static func hashData(proofConfig: JSONObject, document: JSONObject) throws(CredentialError) -> [UInt8] {
        SHA256.hash(try canonicalBytes(.object(proofConfig))) + SHA256.hash(try canonicalBytes(.object(document)))
    }

    static func requireTimestamp(_ text: String, member: String) throws(CredentialError) {
        let date: XSDDateTime
        do {
            date = try XSDDateTime(text)
        } catch {
            throw CredentialError(.invalidProofOptions, "proof \(member): \(error.message)", cause: error)
        }
        guard date.hasTimezone else {
            throw CredentialError(.invalidProofOptions, "proof \(member) must include a timezone (dateTimeStamp)")
        }
    }
}
