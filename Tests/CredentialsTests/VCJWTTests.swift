// VC-JWT issuance and strict verification: both data models round trip with the documented
// headers, and every rejection rule has a test that would pass a lax verifier.

import Testing
import Credentials
import SoftCrypto

@Suite struct VCJWTTests {
    let verifier = CredentialVerifier()

    @Test func v2RoundTripWithVCJOSECOSEHeader() async throws {
        let signer = try Fixtures.signer()
        let jwt = try await Fixtures.issueJWT(Fixtures.credential20(), signer)
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        #expect(parts.count == 3)
        let header = try JSONParser.parse(Base64URL.decode(String(parts[0])))
        #expect(header == .object(["alg": "EdDSA", "kid": .string(signer.verificationMethod), "typ": "vc+jwt", "cty": "vc"]))
        let payload = try JSONParser.parse(Base64URL.decode(String(parts[1])))
        #expect(payload["issuer"] == .string(signer.didKey.did))
        #expect(payload["validFrom"] == "2025-01-01T00:00:00Z")
        #expect(payload["vc"] == nil)

        let verified = try verifier.verifyJWT(jwt)
        #expect(verified.format == .vcJWT && verified.version == .v2_0)
        #expect(verified.issuer == signer.didKey.did && verified.key == signer.didKey)
        #expect(verified.credential == payload)
        // Unicode survives: the subject's name kept its escapes' characters.
        #expect(verified.credential["credentialSubject"]?["degree"]?["name"] == "Bachelor of Science and Arts é😀")
    }

    @Test func v11RoundTripWithJWTClaims() async throws {
        let signer = try Fixtures.signer()
        let jwt = try await Fixtures.issueJWT(Fixtures.credential11(), signer)
        let parts = jwt.split(separator: ".")
        let header = try JSONParser.parse(Base64URL.decode(String(parts[0])))
        #expect(header == .object(["alg": "EdDSA", "kid": .string(signer.verificationMethod), "typ": "JWT"]))
        let claims = try JSONParser.parse(Base64URL.decode(String(parts[1])))
        #expect(claims["iss"] == .string(signer.didKey.did))
        #expect(claims["nbf"] == .number(Double(Fixtures.issuanceTime.epochSeconds)))
        #expect(claims["exp"] == .number(Double(try XSDDateTime("2030-01-01T00:00:00Z").epochSeconds)))
        #expect(claims["jti"] == "http://example.edu/credentials/1872")
        #expect(claims["sub"] == "did:example:ebfeb1f712ebc6f1c276e12ec21")
        #expect(claims["vc"]?["issuanceDate"] == "2025-01-01T00:00:00Z")
        let verified = try verifier.verifyJWT(jwt)
        #expect(verified.format == .jwt11 && verified.version == .v1_1)
        #expect(verified.credential == claims["vc"])
    }

    @Test func deterministicSigningInput() throws {
        let signer = try Fixtures.signer()
        let credential = try Fixtures.prepared(Fixtures.credential20(), for: signer, format: .jwt)
        let a = try VCJWT.prepare(credential: credential, verificationMethod: signer.verificationMethod)
        let b = try VCJWT.prepare(credential: credential, verificationMethod: signer.verificationMethod)
        #expect(a.signingInput == b.signingInput)
        // Assembling with a wrong signature is caught before release.
        let wrong = #expect(throws: CredentialError.self) { try a.assemble(signature: [UInt8](repeating: 1, count: 64)) }
        #expect(wrong?.code == .invalidSignature)
        let short = #expect(throws: CredentialError.self) { try a.assemble(signature: [1, 2]) }
        #expect(short?.code == .wrongSignatureLength)
    }

    // MARK: - Rejections

    private func expectRejection(_ jwt: String, _ code: CredentialError.Code,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: CredentialError.self, sourceLocation: sourceLocation) { try verifier.verifyJWT(jwt) }
        #expect(error?.code == code, "\(String(describing: error))", sourceLocation: sourceLocation)
    }

    private func payload(_ signer: SoftwareCredentialSigner) throws -> String {
        try Fixtures.text(Fixtures.prepared(Fixtures.credential20(), for: signer, format: .jwt))
    }

    private func header(_ signer: SoftwareCredentialSigner, alg: String = "EdDSA", extra: String = "") -> String {
        #"{"alg":"\#(alg)","kid":"\#(signer.verificationMethod)","typ":"vc+jwt"\#(extra)}"#
    }

    @Test func rejectsAlgNone() throws {
        let signer = try Fixtures.signer()
        let unsigned = Base64URL.encode(Array(#"{"alg":"none","typ":"vc+jwt"}"#.utf8)) + "." +
            Base64URL.encode(Array(try payload(signer).utf8)) + "."
        expectRejection(unsigned, .malformedJWS)  // empty signature segment
        expectRejection(try Fixtures.signedJWS(header: header(signer, alg: "none"), payload: payload(signer), signer: signer), .algorithmNone)
        expectRejection(try Fixtures.signedJWS(header: header(signer, alg: "NONE"), payload: payload(signer), signer: signer), .algorithmNone)
    }

    @Test(arguments: ["ES256", "RS256", "HS256", "Ed25519", "eddsa", "EdDSA "])
    func rejectsOtherAlgorithms(alg: String) throws {
        let signer = try Fixtures.signer()
        expectRejection(try Fixtures.signedJWS(header: header(signer, alg: alg), payload: payload(signer), signer: signer),
                        .unsupportedAlgorithm)
    }

    @Test func rejectsHeaderProblems() throws {
        let signer = try Fixtures.signer()
        let body = try payload(signer)
        func jws(_ header: String) throws -> String { try Fixtures.signedJWS(header: header, payload: body, signer: signer) }
        expectRejection(try jws(#"{"kid":"\#(signer.verificationMethod)","typ":"vc+jwt"}"#), .unsupportedAlgorithm)
        expectRejection(try jws(#"{"alg":"EdDSA","typ":"vc+jwt"}"#), .missingKeyID)
        expectRejection(try jws(#"{"alg":"EdDSA","kid":7,"typ":"vc+jwt"}"#), .missingKeyID)
        expectRejection(try jws(header(signer, extra: #","crit":["exp"]"#)), .unsupportedHeader)
        expectRejection(try jws(header(signer, extra: #","b64":false"#)), .unsupportedHeader)
        expectRejection(try jws(header(signer, extra: #","jwk":{"kty":"OKP","crv":"Ed25519","x":"AA"}"#)), .unsupportedHeader)
        expectRejection(try jws(#"{"alg":"EdDSA","kid":"\#(signer.verificationMethod)"}"#), .wrongMediaType)
        expectRejection(try jws(#"{"alg":"EdDSA","kid":"\#(signer.verificationMethod)","typ":"vc+ld+jwt"}"#), .wrongMediaType)
        expectRejection(try jws(header(signer, extra: #","cty":"vc+ld+json""#)), .wrongMediaType)
        expectRejection(try jws(#"{"alg":"EdDSA","kid":"\#(signer.verificationMethod)","typ":"JWT"}"#), .claimMismatch)
        expectRejection(try jws(#"{"alg":"EdDSA","alg":"EdDSA","kid":"\#(signer.verificationMethod)","typ":"vc+jwt"}"#), .invalidJSON)
        expectRejection(try jws("[1]"), .malformedJWS)
    }

    @Test func rejectsKeyIDProblems() throws {
        let signer = try Fixtures.signer(), other = try Fixtures.signer()
        let body = try payload(signer)
        // A kid that is not a did:key, one whose fragment is not the key, one with a bad codec.
        expectRejection(try Fixtures.signedJWS(header: #"{"alg":"EdDSA","kid":"did:web:example.com#key-1","typ":"vc+jwt"}"#,
                                               payload: body, signer: signer), .notDIDKey)
        expectRejection(try Fixtures.signedJWS(header: #"{"alg":"EdDSA","kid":"\#(signer.didKey.did)#key-1","typ":"vc+jwt"}"#,
                                               payload: body, signer: signer), .invalidVerificationMethod)
        expectRejection(try Fixtures.signedJWS(header: #"{"alg":"EdDSA","kid":"did:key:zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169#zDnaerDaTF5BXEavCrfRZEk316dpbLsfPDZ3WJ5hRTPFU2169","typ":"vc+jwt"}"#,
                                               payload: body, signer: signer), .wrongCodec)
        // Signed by another key that names itself in kid: the signature verifies, but the
        // credential's issuer is the first DID.
        expectRejection(try Fixtures.signedJWS(header: header(other), payload: body, signer: other), .issuerMismatch)
        // kid names the issuer, but another key signed.
        expectRejection(try Fixtures.signedJWS(header: header(signer), payload: body, signer: other), .invalidSignature)
    }

    @Test func rejectsTampering() async throws {
        let signer = try Fixtures.signer()
        let jwt = try await Fixtures.issueJWT(Fixtures.credential20(), signer)
        let parts = jwt.split(separator: ".").map(String.init)
        // Payload: change one claim and re-encode.
        var credential = try JSONParser.parse(Base64URL.decode(parts[1])).objectValue!
        credential["credentialSubject"] = .object(["id": "did:example:mallory", "degree": "PhD"])
        let forgedPayload = Base64URL.encode(try JCS.canonicalize(.object(credential)))
        expectRejection([parts[0], forgedPayload, parts[2]].joined(separator: "."), .invalidSignature)
        // Header: same meaning, different bytes (member order) — the signature covers bytes.
        let reordered = Base64URL.encode(Array(#"{"typ":"vc+jwt","alg":"EdDSA","cty":"vc","kid":"\#(signer.verificationMethod)"}"#.utf8))
        expectRejection([reordered, parts[1], parts[2]].joined(separator: "."), .invalidSignature)
        // Signature: flip one bit.
        var signature = try Base64URL.decode(parts[2])
        signature[10] ^= 0x01
        expectRejection([parts[0], parts[1], Base64URL.encode(signature)].joined(separator: "."), .invalidSignature)
        // Truncated signature.
        expectRejection([parts[0], parts[1], Base64URL.encode(Array(signature.prefix(63)))].joined(separator: "."), .invalidSignature)
        #expect(try verifier.verifyJWT(jwt).issuer == signer.didKey.did)
    }

    @Test func rejectsNonCanonicalEncodings() async throws {
        let signer = try Fixtures.signer()
        let jwt = try await Fixtures.issueJWT(Fixtures.credential20(), signer)
        let parts = jwt.split(separator: ".").map(String.init)
        // 64 bytes → 86 characters whose last one carries 4 unused zero bits; setting one yields
        // the same bytes under a lax decoder.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        var sig = Array(parts[2])
        let last = alphabet.firstIndex(of: sig[sig.count - 1])!
        sig[sig.count - 1] = alphabet[last | 1]
        expectRejection([parts[0], parts[1], String(sig)].joined(separator: "."), .invalidBase64URL)
        expectRejection([parts[0], parts[1], parts[2] + "=="].joined(separator: "."), .invalidBase64URL)
        expectRejection([parts[0], parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "+",
                         parts[2]].joined(separator: "."), .invalidBase64URL)
        expectRejection([parts[0], parts[1]].joined(separator: "."), .malformedJWS)
        expectRejection(jwt + ".", .malformedJWS)
        expectRejection("." + parts[1] + "." + parts[2], .malformedJWS)
        expectRejection(" " + jwt, .invalidBase64URL)
    }

    @Test func rejectsPayloadProblemsEvenWhenSigned() throws {
        let signer = try Fixtures.signer()
        let good = try payload(signer)
        func jws(_ payload: String) throws -> String { try Fixtures.signedJWS(header: header(signer), payload: payload, signer: signer) }
        // Duplicate member: two parsers could read different credentials from the same signature.
        expectRejection(try jws(String(good.dropLast()) + #","id":"urn:x"}"#), .invalidJSON)
        // Lone surrogate.
        expectRejection(try jws(String(good.dropLast()) + #","note":"\ud800"}"#), .invalidJSON)
        // A vc claim inside a vc+jwt payload.
        expectRejection(try jws(String(good.dropLast()) + #","vc":{}}"#), .claimMismatch)
        // Not a credential.
        expectRejection(try jws(#"{"sub":"x"}"#), .invalidCredential)
        // A 1.1 credential under vc+jwt.
        var v11 = try Fixtures.prepared(Fixtures.credential11(), for: signer, format: .jwt).objectValue!
        v11["issuer"] = .string(signer.didKey.did)
        expectRejection(try jws(Fixtures.text(.object(v11))), .wrongMediaType)
        // iss contradicting issuer.
        expectRejection(try jws(String(good.dropLast()) + #","iss":"did:example:other"}"#), .claimMismatch)
    }

    @Test func rejects11ClaimMismatches() async throws {
        let signer = try Fixtures.signer()
        let jwt = try await Fixtures.issueJWT(Fixtures.credential11(), signer)
        let parts = jwt.split(separator: ".").map(String.init)
        let claims = try JSONParser.parse(Base64URL.decode(parts[1])).objectValue!
        let header11 = #"{"alg":"EdDSA","kid":"\#(signer.verificationMethod)","typ":"JWT"}"#
        for (name, value) in [("nbf", JSONValue.number(1)), ("exp", .number(2)), ("jti", "urn:other"), ("sub", "did:example:other"),
                              ("iss", "did:example:other"), ("nbf", .null)] {
            var changed = claims
            changed[name] = value
            expectRejection(try Fixtures.signedJWS(header: header11, payload: Fixtures.text(.object(changed)), signer: signer),
                            .claimMismatch)
        }
        var noVC = claims
        noVC["vc"] = nil
        expectRejection(try Fixtures.signedJWS(header: header11, payload: Fixtures.text(.object(noVC)), signer: signer), .claimMismatch)
    }
}
