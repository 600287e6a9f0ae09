// eddsa-jcs-2022: the W3C vc-di-eddsa test vector reproduced byte for byte and verified, round
// trips for both data models, and each rejection rule.

import Testing
import Credentials
import SoftCrypto
import TestSupport

@Suite struct DataIntegrityTests {
    let verifier = CredentialVerifier()

    static func vector(_ name: String) throws -> JSONValue {
        try JSONParser.parse(SharedTestData.bytes("credentials/w3c-vc-di-eddsa/\(name)"))
    }

    /// Signing `unsigned.json` with the published key and `proofConfigJCS.json` reproduces
    /// `signedJCS.json` exactly (Ed25519 is deterministic).
    @Test func w3cVectorIsReproduced() throws {
        let (signer, _) = try DIDKeyTests.w3cTestKey()
        let config = try Self.vector("eddsa-jcs-2022/proofConfigJCS.json")
        let options = ProofOptions(verificationMethod: try #require(config["verificationMethod"]?.stringValue),
                                   created: try #require(config["created"]?.stringValue))
        let prepared = try EddsaJcs2022.prepare(document: Self.vector("unsigned.json"), options: options)
        #expect(JSONValue.object(prepared.proofConfig) == config)
        let signature = try signer.key.sign(prepared.hashData)
        let signed = try prepared.assemble(signature: signature)
        let expected = try Self.vector("eddsa-jcs-2022/signedJCS.json")
        #expect(signed["proof"]?["proofValue"] == expected["proof"]?["proofValue"])
        #expect(signed == expected)
        // Member order of the proof follows the vector too (type, cryptosuite, created, ...).
        #expect(signed["proof"]?.objectValue?.keys == expected["proof"]?.objectValue?.keys)
    }

    @Test func w3cVectorVerifies() throws {
        let signed = try Self.vector("eddsa-jcs-2022/signedJCS.json")
        // Its issuer is an https URL, not the did:key that signed: strict mode refuses that binding...
        let strict = #expect(throws: CredentialError.self) { try verifier.verifyDataIntegrity(signed) }
        #expect(strict?.code == .issuerMismatch)
        // ...and the signature itself verifies.
        let lenient = CredentialVerifier(options: .init(requireIssuerMatchesKey: false))
        let verified = try lenient.verifyDataIntegrity(signed)
        #expect(verified.key.did == "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2")
        #expect(verified.credential == (try Self.vector("unsigned.json")))
        // One changed character of the document breaks it.
        var tampered = signed.objectValue!
        tampered["name"] = "Alumni Credential!"
        let error = #expect(throws: CredentialError.self) { try lenient.verifyDataIntegrity(.object(tampered)) }
        #expect(error?.code == .invalidSignature)
    }

    @Test func roundTripsBothDataModels() async throws {
        let signer = try Fixtures.signer()
        let v2 = try await Fixtures.issueDI(Fixtures.credential20(), signer)
        let verified2 = try verifier.verifyDataIntegrity(v2)
        #expect(verified2.format == .dataIntegrity && verified2.version == .v2_0)
        #expect(v2["proof"]?["@context"] == v2["@context"])
        #expect(v2["proof"]?["created"] == "2025-01-01T00:00:00Z")
        #expect(v2["proof"]?["proofValue"]?.stringValue?.hasPrefix("z") == true)

        let v11 = try await Fixtures.issueDI(Fixtures.credential11(), signer)
        // The Data Integrity context is added for 1.1 documents.
        #expect(v11["@context"]?.arrayValue?.last == .string(dataIntegrityContextV2))
        #expect(v11["issuanceDate"] == "2025-01-01T00:00:00Z")
        let verified11 = try verifier.verifyDataIntegrity(v11.compactBytes())
        #expect(verified11.version == .v1_1 && verified11.issuer == signer.didKey.did)
    }

    // MARK: - Rejections

    private func expectRejection(_ document: JSONValue, _ code: CredentialError.Code,
                                 sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: CredentialError.self, sourceLocation: sourceLocation) { try verifier.verifyDataIntegrity(document) }
        #expect(error?.code == code, "\(String(describing: error))", sourceLocation: sourceLocation)
    }

    private func withProof(_ document: JSONValue, _ change: (inout JSONObject) -> Void) -> JSONValue {
        var object = document.objectValue!
        var proof = object["proof"]!.objectValue!
        change(&proof)
        object["proof"] = .object(proof)
        return .object(object)
    }

    @Test func rejectsProofMemberProblems() async throws {
        let signer = try Fixtures.signer()
        let signed = try await Fixtures.issueDI(Fixtures.credential20(), signer)
        expectRejection(withProof(signed) { $0["cryptosuite"] = "eddsa-rdfc-2022" }, .wrongCryptosuite)
        expectRejection(withProof(signed) { $0["cryptosuite"] = "ecdsa-jcs-2019" }, .wrongCryptosuite)
        expectRejection(withProof(signed) { $0["type"] = "Ed25519Signature2020" }, .wrongProofType)
        expectRejection(withProof(signed) { $0["proofPurpose"] = "authentication" }, .wrongProofPurpose)
        expectRejection(withProof(signed) { $0["cryptosuite"] = nil }, .invalidProofOptions)
        expectRejection(withProof(signed) { $0["created"] = "yesterday" }, .invalidProofOptions)
        expectRejection(withProof(signed) { $0["created"] = "2025-01-01T00:00:00" }, .invalidProofOptions)
        expectRejection(withProof(signed) { $0["previousProof"] = "urn:uuid:1" }, .proofSetUnsupported)
        expectRejection(withProof(signed) { $0["verificationMethod"] = "did:web:example.com#key-1" }, .notDIDKey)
        expectRejection(withProof(signed) { $0["verificationMethod"] = .string(signer.didKey.did) }, .invalidVerificationMethod)
        expectRejection(withProof(signed) { $0["proofValue"] = nil }, .invalidProofOptions)
        expectRejection(withProof(signed) { $0["proofValue"] = 12 }, .invalidProofOptions)
    }

    @Test func rejectsProofValueEncodings() async throws {
        let signer = try Fixtures.signer()
        let signed = try await Fixtures.issueDI(Fixtures.credential20(), signer)
        let value = signed["proof"]!["proofValue"]!.stringValue!
        let signature = try Multibase.decodeBase58BTC(value)
        // Same signature as base64url multibase ('u'): not base58btc.
        expectRejection(withProof(signed) { $0["proofValue"] = .string("u" + Base64URL.encode(signature)) }, .invalidProofValue)
        // Missing prefix, a character outside the alphabet, wrong length.
        expectRejection(withProof(signed) { $0["proofValue"] = .string(String(value.dropFirst())) }, .invalidProofValue)
        expectRejection(withProof(signed) { $0["proofValue"] = .string(String(value.dropLast()) + "0") }, .invalidProofValue)
        expectRejection(withProof(signed) { $0["proofValue"] = .string(Multibase.encodeBase58BTC(Array(signature.dropLast()))) },
                        .invalidProofValue)
        var flipped = signature
        flipped[0] ^= 1
        expectRejection(withProof(signed) { $0["proofValue"] = .string(Multibase.encodeBase58BTC(flipped)) }, .invalidSignature)
    }

    @Test func rejectsDocumentTampering() async throws {
        let signer = try Fixtures.signer(), other = try Fixtures.signer()
        let signed = try await Fixtures.issueDI(Fixtures.credential20(), signer)
        var object = signed.objectValue!
        object["credentialSubject"] = .object(["id": "did:example:mallory", "gpa": 4.0])
        expectRejection(.object(object), .invalidSignature)
        // Proof options are covered too.
        expectRejection(withProof(signed) { $0["created"] = "2025-01-01T00:00:01Z" }, .invalidSignature)
        // A number written differently but equal in value still verifies (JCS), a different value does not.
        var gpa = signed.objectValue!
        var subject = gpa["credentialSubject"]!.objectValue!
        subject["gpa"] = .number(3.8500000000000001)  // the same double as 3.85
        gpa["credentialSubject"] = .object(subject)
        #expect(try verifier.verifyDataIntegrity(.object(gpa)).issuer == signer.didKey.did)
        subject["gpa"] = .number(3.86)
        gpa["credentialSubject"] = .object(subject)
        expectRejection(.object(gpa), .invalidSignature)
        // Removing or doubling the proof.
        var noProof = signed.objectValue!
        noProof["proof"] = nil
        expectRejection(.object(noProof), .missingProof)
        var proofSet = signed.objectValue!
        proofSet["proof"] = .array([signed["proof"]!, signed["proof"]!])
        expectRejection(.object(proofSet), .proofSetUnsupported)
        // Signed by another key that names itself: the credential's issuer is the first DID.
        let prepared = try EddsaJcs2022.prepare(document: .object(noProof),
                                                options: ProofOptions(verificationMethod: other.verificationMethod, created: Fixtures.issuanceTime))
        let forged = try prepared.assemble(signature: other.key.sign(prepared.hashData))
        expectRejection(forged, .issuerMismatch)
    }

    @Test func contextRules() async throws {
        let signer = try Fixtures.signer()
        let signed = try await Fixtures.issueDI(Fixtures.credential20(), signer)
        // Replacing a context the proof covers is refused...
        var swapped = signed.objectValue!
        swapped["@context"] = ["https://www.w3.org/ns/credentials/v2", "https://example.com/other/v1"]
        expectRejection(.object(swapped), .contextMismatch)
        // ...and so is dropping one.
        var dropped = signed.objectValue!
        dropped["@context"] = ["https://www.w3.org/ns/credentials/v2"]
        expectRejection(.object(dropped), .contextMismatch)
        // Appending one after signing is allowed by vc-di-eddsa §3.3.2 step 4 (the prefix rule);
        // the appended context is not covered by the proof.
        var appended = signed.objectValue!
        appended["@context"] = .array(signed["@context"]!.arrayValue! + ["https://example.com/extra/v1"])
        #expect(try verifier.verifyDataIntegrity(.object(appended)).issuer == signer.didKey.did)
        // A document that is not a credential is refused even with a valid proof.
        let prepared = try EddsaJcs2022.prepare(document: ["@context": ["https://www.w3.org/ns/credentials/v2"], "note": "hi"],
                                                options: ProofOptions(verificationMethod: signer.verificationMethod, created: Fixtures.issuanceTime))
        expectRejection(try prepared.assemble(signature: signer.key.sign(prepared.hashData)), .invalidCredential)
    }

    @Test func prepareRefusesBadInput() throws {
        let signer = try Fixtures.signer()
        let options = ProofOptions(verificationMethod: signer.verificationMethod, created: Fixtures.issuanceTime)
        for document: JSONValue in [[1, 2], ["proof": ["type": "DataIntegrityProof"]]] {
            let error = #expect(throws: CredentialError.self) { try EddsaJcs2022.prepare(document: document, options: options) }
            #expect(error?.code == .invalidCredential)
        }
        let badDate = #expect(throws: CredentialError.self) {
            try EddsaJcs2022.prepare(document: ["a": 1], options: ProofOptions(verificationMethod: signer.verificationMethod, created: "2025-01-01"))
        }
        #expect(badDate?.code == .invalidProofOptions)
    }
}

@Suite struct ValidityTimeTests {
    @Test func validityWindowIsEnforcedOnlyWhenAsked() async throws {
        let signer = try Fixtures.signer()
        // validFrom = 2025-01-01 (issuance time); the 1.1 fixture expires 2030-01-01.
        let v2 = try await Fixtures.issueDI(Fixtures.credential20(), signer)
        let v11jwt = try await Fixtures.issueJWT(Fixtures.credential11(), signer)
        let before = CredentialVerifier(options: .init(validAt: try XSDDateTime("2024-06-01T00:00:00Z")))
        let during = CredentialVerifier(options: .init(validAt: try XSDDateTime("2026-06-01T00:00:00Z")))
        let after = CredentialVerifier(options: .init(validAt: try XSDDateTime("2031-01-01T00:00:00Z")))
        #expect(try during.verifyDataIntegrity(v2).version == .v2_0)
        #expect(try during.verifyJWT(v11jwt).version == .v1_1)
        #expect(try CredentialVerifier().verifyJWT(v11jwt).version == .v1_1)
        let early = #expect(throws: CredentialError.self) { try before.verifyDataIntegrity(v2) }
        #expect(early?.code == .notYetValid)
        let late = #expect(throws: CredentialError.self) { try after.verifyJWT(v11jwt) }
        #expect(late?.code == .expired)
        // A proof with `expires` in the past.
        let prepared = try EddsaJcs2022.prepare(
            document: Fixtures.prepared(Fixtures.credential20(), for: signer, format: .dataIntegrity),
            options: ProofOptions(verificationMethod: signer.verificationMethod, created: "2025-01-01T00:00:00Z",
                                  expires: "2026-01-01T00:00:00Z"))
        let expiring = try prepared.assemble(signature: signer.key.sign(prepared.hashData))
        #expect(try CredentialVerifier().verifyDataIntegrity(expiring).version == .v2_0)
        let proofExpired = #expect(throws: CredentialError.self) { try during.verifyDataIntegrity(expiring) }
        #expect(proofExpired?.code == .expired)
    }
}
