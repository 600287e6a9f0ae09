// Verifying compact JWS credentials (see VCJWT.swift for the layouts). The protected header is
// checked before the signature so that `alg: none`, foreign algorithms, key sources other than
// did:key, and extensions we do not implement (`crit`, `b64`) are refused with a precise reason;
// the signature covers the exact received bytes of header and payload.

import SoftCrypto

extension CredentialVerifier {
    /// Header parameters that would make us take a key or a processing rule from the token itself.
    static let refusedHeaderParameters = ["crit", "b64", "jwk", "jku", "x5c", "x5u", "x5t", "x5t#S256"]

    /// Verifies a compact JWS credential (VC-JOSE-COSE `vc+jwt` or VCDM 1.1 `JWT`).
    ///
    /// - Throws: a ``CredentialError`` whose code names the rule broken.
    public func verifyJWT(_ compact: String) throws(CredentialError) -> VerifiedCredential {
        let bytes = Array(compact.utf8)
        guard bytes.count <= options.maxJWSBytes else {
            throw CredentialError(.malformedJWS, "JWS of \(bytes.count) bytes exceeds \(options.maxJWSBytes)")
        }
        let dots = bytes.indices.filter { bytes[$0] == UInt8(ascii: ".") }
        guard dots.count == 2 else {
            throw CredentialError(.malformedJWS, "a compact JWS has three segments, found \(dots.count + 1)")
        }
        let segments = [Array(bytes[..<dots[0]]), Array(bytes[(dots[0] + 1)..<dots[1]]), Array(bytes[(dots[1] + 1)...])]
        let names = ["header", "payload", "signature"]
        for (segment, name) in zip(segments, names) where segment.isEmpty {
            throw CredentialError(.malformedJWS, "the \(name) segment is empty")
        }
        var decoded: [[UInt8]] = []
        for (segment, name) in zip(segments, names) {
            do {
                decoded.append(try Base64URL.decode(segment))
            } catch {
                throw CredentialError(.invalidBase64URL, "the \(name) segment: \(error.message)", cause: error)
            }
        }
        let header = try parse(decoded[0], what: "the JWS header")
        guard let headerObject = header.objectValue else { throw CredentialError(.malformedJWS, "the JWS header is not an object") }
        let (key, version) = try checkHeader(headerObject)
        try verifySignature(decoded[2], message: Array(bytes[..<dots[1]]), key: key)

        let payload = try parse(decoded[1], what: "the JWS payload")
        guard let claims = payload.objectValue else { throw CredentialError(.malformedJWS, "the JWS payload is not an object") }
        switch version {
        case .v2_0:
            if claims.contains("vc") || claims.contains("vp") {
                throw CredentialError(.claimMismatch, "a vc+jwt payload must not contain vc or vp claims")
            }
            let (_, issuer) = try checkCredential(payload, expected: .v2_0, key: key)
            if let iss = claims["iss"], !(iss.stringValue.map { scalarsEqual($0, issuer) } ?? false) {
                throw CredentialError(.claimMismatch, "iss does not match the credential's issuer")
            }
            return VerifiedCredential(format: .vcJWT, version: .v2_0, credential: payload, issuer: issuer, key: key)
        case .v1_1:
            guard let credential = claims["vc"], credential.objectValue != nil else {
                throw CredentialError(.claimMismatch, "a VCDM 1.1 JWT needs a vc claim object")
            }
            let (_, issuer) = try checkCredential(credential, expected: .v1_1, key: key)
            try checkClaims11(claims, credential: credential, issuer: issuer)
            return VerifiedCredential(format: .jwt11, version: .v1_1, credential: credential, issuer: issuer, key: key)
        }
    }

    private func checkHeader(_ header: JSONObject) throws(CredentialError) -> (DIDKey, VCVersion) {
        guard let alg = header["alg"]?.stringValue else {
            throw CredentialError(.unsupportedAlgorithm, "the header has no alg string")
        }
        if alg.lowercased() == "none" { throw CredentialError(.algorithmNone, "unsecured JWS (alg none) refused") }
        guard scalarsEqual(alg, "EdDSA") else {
            throw CredentialError(.unsupportedAlgorithm, "alg \(alg) refused; Ed25519 did:key credentials use EdDSA")
        }
        for name in Self.refusedHeaderParameters where header.contains(name) {
            throw CredentialError(.unsupportedHeader, "header parameter \(name) is not accepted")
        }
        guard let kid = header["kid"] else { throw CredentialError(.missingKeyID, "the header has no kid") }
        guard let kidText = kid.stringValue else { throw CredentialError(.missingKeyID, "kid must be a string") }
        let key = try resolvedKeys.key(verificationMethod: kidText)
        let version: VCVersion
        switch header["typ"]?.stringValue {
        case let typ? where scalarsEqual(typ, VCJWT.mediaTypeV2):
            version = .v2_0
            if let cty = header["cty"], !(cty.stringValue.map { scalarsEqual($0, VCJWT.contentTypeV2) } ?? false) {
                throw CredentialError(.wrongMediaType, "cty must be \"vc\" for vc+jwt")
            }
        case let typ? where scalarsEqual(typ, VCJWT.mediaTypeV1):
            version = .v1_1
            if header.contains("cty") { throw CredentialError(.wrongMediaType, "a VCDM 1.1 JWT has no cty") }
        default:
            throw CredentialError(.wrongMediaType, "typ must be vc+jwt (VCDM 2.0) or JWT (VCDM 1.1)")
        }
        return (key, version)
    }

    /// VCDM 1.1 §6.3.1: registered claims must agree with the credential they duplicate.
    private func checkClaims11(_ claims: JSONObject, credential: JSONValue, issuer: String) throws(CredentialError) {
        func mismatch(_ what: String) -> CredentialError { CredentialError(.claimMismatch, what) }
        guard let iss = claims["iss"]?.stringValue, scalarsEqual(iss, issuer) else {
            throw mismatch("iss must equal the credential's issuer")
        }
        for (claim, member, required) in [("nbf", "issuanceDate", true), ("exp", "expirationDate", false)] {
            let date = credential[member]?.stringValue
            guard let claimValue = claims[claim] else {
                if required || date != nil { throw mismatch("\(claim) is required when \(member) is present") }
                continue
            }
            guard let seconds = claimValue.numberValue, let date, let parsed = try? XSDDateTime(date),
                  seconds == Double(parsed.epochSeconds) else {
                throw mismatch("\(claim) does not match \(member)")
            }
        }
        if let jti = claims["jti"] {
            guard let id = credential["id"]?.stringValue, jti.stringValue.map({ scalarsEqual($0, id) }) == true else {
                throw mismatch("jti does not match the credential id")
            }
        }
        if let sub = claims["sub"] {
            guard let id = credential["credentialSubject"]?["id"]?.stringValue, sub.stringValue.map({ scalarsEqual($0, id) }) == true else {
                throw mismatch("sub does not match credentialSubject.id")
            }
        }
    }
}
