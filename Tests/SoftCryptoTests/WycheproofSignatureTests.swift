// Runs every Wycheproof signature-verification vector we carry through PublicKey's verifier and
// requires our verdict to equal Wycheproof's for every valid and invalid case. "acceptable" cases
// (only RSA PKCS#1 tcId 8, a DigestInfo without the NULL parameter) must be REJECTED: RFC 8017
// §9.2 makes the NULL-parameter encoding the one to generate and compare, and a strict verifier
// gains nothing from accepting a second encoding.

import Testing
@testable import SoftCrypto
import TestSupport

@Suite struct WycheproofSignatureTests {
    /// Verdict mismatches, as "tcId: comment" strings.
    private static func check(_ file: WycheproofFile<WycheproofSignatureGroup>, algorithm: (WycheproofSignatureGroup) -> SignatureAlgorithm,
                              acceptableMeans accepted: Bool = false,
                              verify: (PublicKey, WycheproofSignatureTest, SignatureAlgorithm) throws -> Bool) throws -> [String] {
        var mismatches: [String] = []
        var seen = 0
        for group in file.testGroups {
            let key = try PublicKey(spkiDER: group.spkiDER)
            for test in group.tests {
                seen += 1
                let verdict = try verify(key, test, algorithm(group))
                let expected: Bool
                switch test.result {
                case .valid: expected = true
                case .invalid: expected = false
                case .acceptable: expected = accepted
                }
                if verdict != expected { mismatches.append("\(test.tcId): \(test.comment) \(test.flags)") }
            }
        }
        #expect(seen == file.numberOfTests)
        return mismatches
    }

    private static func message(_ key: PublicKey, _ test: WycheproofSignatureTest, _ algorithm: SignatureAlgorithm) throws -> Bool {
        try key.isValidSignature(test.signature, for: test.message, algorithm: algorithm)
    }

    private static func digest(_ key: PublicKey, _ test: WycheproofSignatureTest, _ algorithm: SignatureAlgorithm) throws -> Bool {
        try key.isValidSignature(test.signature, forDigest: SHA256.hash(test.message), algorithm: algorithm)
    }

    @Test func ed25519() throws {
        let file = try Wycheproof.load("ed25519_test.json", as: WycheproofSignatureGroup.self)
        #expect(file.numberOfTests == 151)
        let mismatches = try Self.check(file, algorithm: { _ in .ed25519 }, verify: Self.message)
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    /// The libsodium fast path alone: it must accept every valid vector (or the fast path would
    /// never be taken) and no invalid one (its acceptance is final, with no OpenSSL second look).
    @Test func ed25519FastPathIsASubsetOfTheVerdicts() throws {
        let file = try Wycheproof.load("ed25519_test.json", as: WycheproofSignatureGroup.self)
        var acceptedValid = 0, valid = 0
        var wronglyAccepted: [Int] = []
        for group in file.testGroups {
            let raw = try #require(try PublicKey(spkiDER: group.spkiDER).rawRepresentation)
            for test in group.tests {
                let accepted = Ed25519FastVerification.accepts(test.signature, message: test.message, publicKey: raw)
                if test.result == .valid {
                    valid += 1
                    if accepted { acceptedValid += 1 }
                } else if accepted {
                    wronglyAccepted.append(test.tcId)
                }
            }
        }
        #expect(wronglyAccepted.isEmpty, "libsodium accepted invalid vectors \(wronglyAccepted)")
        #expect(valid > 50 && acceptedValid == valid, "fast path accepted \(acceptedValid) of \(valid) valid vectors")
    }

    @Test(arguments: [false, true]) func ecdsaDER(prehashed: Bool) throws {
        let file = try Wycheproof.load("ecdsa_secp256r1_sha256_test.json", as: WycheproofSignatureGroup.self)
        #expect(file.numberOfTests == 484)
        let mismatches = try Self.check(file, algorithm: { _ in .ecdsaP256SHA256(.der) },
                                        verify: prehashed ? Self.digest : Self.message)
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test(arguments: [false, true]) func ecdsaP1363(prehashed: Bool) throws {
        let file = try Wycheproof.load("ecdsa_secp256r1_sha256_p1363_test.json", as: WycheproofSignatureGroup.self)
        #expect(file.numberOfTests == 262)
        let mismatches = try Self.check(file, algorithm: { _ in .ecdsaP256SHA256(.raw) },
                                        verify: prehashed ? Self.digest : Self.message)
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test(arguments: [false, true]) func rsaPKCS1(prehashed: Bool) throws {
        let file = try Wycheproof.load("rsa_signature_2048_sha256_test.json", as: WycheproofSignatureGroup.self)
        #expect(file.numberOfTests == 259)
        let mismatches = try Self.check(file, algorithm: { _ in .rsaPKCS1v15SHA256 }, acceptableMeans: false,
                                        verify: prehashed ? Self.digest : Self.message)
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test(arguments: ["rsa_pss_2048_sha256_mgf1_32_test.json", "rsa_pss_2048_sha256_mgf1_0_test.json"], [false, true])
    func rsaPSS(fileName: String, prehashed: Bool) throws {
        let file = try Wycheproof.load(fileName, as: WycheproofSignatureGroup.self)
        var salts: Set<Int> = []
        let mismatches = try Self.check(file, algorithm: { group in
            salts.insert(group.sLen ?? -1)
            return .rsaPSSSHA256(saltLength: group.sLen ?? -1)
        }, verify: prehashed ? Self.digest : Self.message)
        #expect(mismatches.isEmpty, "\(mismatches)")
        #expect(salts == [fileName.contains("mgf1_32") ? 32 : 0])
    }

    /// DER vectors that verify convert to raw and back to the identical DER, and the raw form
    /// verifies as P1363; the P1363 vectors that verify do so through DER as well.
    @Test func ecdsaEncodingConversion() throws {
        let der = try Wycheproof.load("ecdsa_secp256r1_sha256_test.json", as: WycheproofSignatureGroup.self)
        var converted = 0
        for group in der.testGroups {
            let key = try PublicKey(spkiDER: group.spkiDER)
            for test in group.tests where test.result == .valid {
                let parsed = try ECDSASignature(derRepresentation: test.signature)
                #expect(parsed.derRepresentation == test.signature, "tcId \(test.tcId)")
                #expect(try ECDSASignature(rawRepresentation: parsed.rawRepresentation) == parsed)
                #expect(try key.isValidSignature(parsed.rawRepresentation, for: test.message, algorithm: .ecdsaP256SHA256(.raw)))
                converted += 1
            }
        }
        #expect(converted == 174)
        let raw = try Wycheproof.load("ecdsa_secp256r1_sha256_p1363_test.json", as: WycheproofSignatureGroup.self)
        for group in raw.testGroups {
            let key = try PublicKey(spkiDER: group.spkiDER)
            for test in group.tests where test.result == .valid {
                let asDER = try ECDSASignature(rawRepresentation: test.signature).derRepresentation
                #expect(try key.isValidSignature(asDER, for: test.message, algorithm: .ecdsaP256SHA256(.der)))
            }
        }
    }

    /// Every group key parses the same from SPKI DER, PEM, the raw form and (where given) the JWK.
    @Test(arguments: ["ed25519_test.json", "ecdsa_secp256r1_sha256_p1363_test.json", "rsa_signature_2048_sha256_test.json",
                      "rsa_pss_2048_sha256_mgf1_32_test.json"])
    func groupKeysAgreeAcrossEncodings(fileName: String) throws {
        let file = try Wycheproof.load(fileName, as: WycheproofSignatureGroup.self)
        var jwkCount = 0
        for group in file.testGroups {
            let fromDER = try PublicKey(spkiDER: group.spkiDER)
            #expect(try PublicKey(pem: group.publicKeyPem) == fromDER)
            #expect(fromDER.spkiDER == group.spkiDER)
            let raw = group.publicKey
            switch fromDER.kind {
            case .ed25519:
                #expect(try PublicKey(ed25519Raw: [UInt8](hexString: raw.pk ?? "") ?? []) == fromDER)
            case .p256:
                let point = [UInt8](hexString: raw.uncompressed ?? "") ?? []
                #expect(try PublicKey(p256Point: point) == fromDER)
                #expect(fromDER.rawRepresentation == point)
            case .rsa(let bits):
                #expect(bits == 2048)
                let fromParts = try PublicKey(rsaModulus: [UInt8](hexString: raw.modulus ?? "") ?? [],
                                              exponent: [UInt8](hexString: raw.publicExponent ?? "") ?? [])
                #expect(fromParts == fromDER)
            }
            if let jwk = group.jwk {
                var members = jwk
                members["kid"] = nil
                #expect(try PublicKey(jwkMembers: members) == fromDER)
                jwkCount += 1
            }
        }
        // Each of these files carries JWKs for (most of) its groups.
        #expect(jwkCount > 0)
    }
}
