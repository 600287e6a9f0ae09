// Credentials as compact JWS. For VCDM 2.0 this is VC-JOSE-COSE §3.1.1 (W3C Rec.): the unsecured
// credential IS the JWS payload, protected header {"alg":"EdDSA","cty":"vc","kid":<did:key VM>,
// "typ":"vc+jwt"} — `typ` SHOULD be `vc+jwt`, and `cty`, when present, SHOULD be `vc`; we send it
// so the content type is explicit. VC-JOSE-COSE does not cover VCDM 1.1, whose own JWT encoding
// (VCDM 1.1 §6.3.1) we use for 1.1 credentials: header `typ` "JWT", claims iss/nbf/jti/sub/exp
// derived from the credential and the whole credential under `vc` (we keep the duplicated
// properties inside `vc` so nothing is lost). Header and payload are serialized with JCS, so the
// same credential always yields the same signing input.

import SoftCrypto

/// A VC-JWT whose signing input is fixed and whose signature is still to come.
public struct PreparedJWT: Sendable {
    /// The key that must sign.
    public let key: DIDKey
    /// The data model version, which decides the JWT layout.
    public let version: VCVersion
    /// The exact bytes to sign: ASCII `base64url(header) "." base64url(payload)`.
    public let signingInput: [UInt8]

    /// The compact JWS with `signature` appended.
    ///
    /// - Parameter verify: check the signature under ``key`` first (recommended: it catches a
    ///   faulty signer or a mixed-up batch before a bad credential leaves the service).
    /// - Throws: ``CredentialError/Code/wrongSignatureLength``, ``CredentialError/Code/invalidSignature``.
    public func assemble(signature: [UInt8], verify: Bool = true) throws(CredentialError) -> String {
        try checkedSignature(signature, message: signingInput, key: key, verify: verify)
        return String(decoding: signingInput + [UInt8(ascii: ".")] + Base64URL.encodeToBytes(signature), as: UTF8.self)
    }
}

/// Issues VC-JWTs.
public enum VCJWT {
    /// The `typ` of a VCDM 2.0 credential JWS (VC-JOSE-COSE).
    public static let mediaTypeV2 = "vc+jwt"
    /// The `cty` we send with it.
    public static let contentTypeV2 = "vc"
    /// The `typ` of a VCDM 1.1 JWT.
    public static let mediaTypeV1 = "JWT"

    /// Builds the signing input for a prepared credential (see ``CredentialPreparation``).
    ///
    /// - Throws: ``CredentialError/Code/invalidCredential`` if the credential is not acceptable
    ///   as issued, ``CredentialError/Code/issuerMismatch`` if its issuer is not the key's DID,
    ///   did:key errors for a bad `verificationMethod`.
    public static func prepare(credential: JSONValue, verificationMethod: String) throws(CredentialError) -> PreparedJWT {
        try prepare(credential: credential, key: DIDKey(verificationMethod: verificationMethod))
    }

    /// ``prepare(credential:verificationMethod:)`` for a key already parsed: a batch parses its
    /// signer's did:key once instead of once per credential.
    static func prepare(credential: JSONValue, key: DIDKey) throws(CredentialError) -> PreparedJWT {
        let verificationMethod = key.verificationMethodID
        let report = CredentialShape.check(credential, stage: .issued)
        guard report.isAcceptable, let version = report.version else {
            throw CredentialError(.invalidCredential, "not an acceptable credential: \(report)")
        }
        guard let issuer = CredentialPreparation.issuerID(of: credential), scalarsEqual(issuer, key.did) else {
            throw CredentialError(.issuerMismatch, "the credential's issuer is not \(key.did)")
        }
        let header: JSONObject
        let payload: JSONValue
        switch version {
        case .v2_0:
            header = ["alg": "EdDSA", "kid": .string(verificationMethod), "typ": .string(mediaTypeV2), "cty": .string(contentTypeV2)]
            payload = credential
        case .v1_1:
            header = ["alg": "EdDSA", "kid": .string(verificationMethod), "typ": .string(mediaTypeV1)]
            payload = .object(try claims11(for: credential, issuer: issuer))
        }
        var input = Base64URL.encodeToBytes(try canonicalBytes(.object(header)))
        input.append(UInt8(ascii: "."))
        input.append(contentsOf: Base64URL.encodeToBytes(try canonicalBytes(payload)))
        return PreparedJWT(key: key, version: version, signingInput: input)
    }

    /// Prepares, signs with `signer`, and assembles.
    public static func issue(credential: JSONValue, signer: any CredentialSigner) async throws(CredentialError) -> String {
        let prepared = try prepare(credential: credential, verificationMethod: signer.verificationMethod)
        let signature: [UInt8]
        do {
            signature = try await signer.sign(prepared.signingInput)
        } catch {
            throw CredentialError(.signerFailed, "signing failed", cause: error)
        }
        return try prepared.assemble(signature: signature)
    }

    /// The VCDM 1.1 §6.3.1 claim set for `credential`.
    static func claims11(for credential: JSONValue, issuer: String) throws(CredentialError) -> JSONObject {
        var claims: JSONObject = ["iss": .string(issuer)]
        if let text = credential["issuanceDate"]?.stringValue {
            claims["nbf"] = .number(Double(try XSDDateTime(text).epochSeconds))
        }
        if let text = credential["expirationDate"]?.stringValue {
            claims["exp"] = .number(Double(try XSDDateTime(text).epochSeconds))
        }
        if let id = credential["id"]?.stringValue { claims["jti"] = .string(id) }
        if let subject = credential["credentialSubject"]?.objectValue, let id = subject["id"]?.stringValue {
            claims["sub"] = .string(id)
        }
        claims["vc"] = credential
        return claims
    }
}
