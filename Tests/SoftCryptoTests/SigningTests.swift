// Software signing: RFC 8032 seeds reproduce the published signatures byte for byte (Ed25519 is
// deterministic), generated keys sign and verify in both ECDSA encodings, PKCS#8 round trips, and
// any change to message or signature makes verification fail.

import Testing
import SoftCrypto
import TestSupport

@Suite struct SigningTests {
    /// RFC 8032 §7.1 seeds for Wycheproof ed25519 tcIds 80–83 (see ../shared/testvectors/SOURCES.md).
    static let rfc8032Seeds: [Int: String] = [
        80: "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
        81: "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
        82: "c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7",
        83: "f5e5767cf153319517630f226876b86c8160cc583bc013744c6bf255f5cc0ee5",
    ]

    @Test func rfc8032KnownAnswers() throws {
        let file = try Wycheproof.load("ed25519_test.json", as: WycheproofSignatureGroup.self)
        var matched = 0
        for group in file.testGroups {
            for test in group.tests {
                guard let seedHex = Self.rfc8032Seeds[test.tcId] else { continue }
                let signer = try SoftwareSigningKey(ed25519Seed: try #require([UInt8](hexString: seedHex)))
                #expect(try signer.publicKey == PublicKey(spkiDER: group.spkiDER))
                #expect(try signer.sign(test.message) == test.signature)
                #expect(signer.ed25519Seed?.hexString == seedHex)
                matched += 1
            }
        }
        #expect(matched == 4)
    }

    @Test(arguments: [SoftwareSigningKey.Kind.ed25519, .p256])
    func signVerifyAndTamper(kind: SoftwareSigningKey.Kind) throws {
        let signer = try SoftwareSigningKey.generate(kind)
        let key = try signer.publicKey
        let message = Array("issue credential 42".utf8)
        let formats: [ECDSASignature.Format] = kind == .ed25519 ? [.raw] : [.raw, .der]
        for format in formats {
            let algorithm = signer.algorithm(ecdsaFormat: format)
            let signature = try signer.sign(message, ecdsaFormat: format)
            if kind == .ed25519 || format == .raw { #expect(signature.count == 64) }
            #expect(try key.isValidSignature(signature, for: message, algorithm: algorithm))
            var badMessage = message; badMessage[0] ^= 1
            #expect(try !key.isValidSignature(signature, for: badMessage, algorithm: algorithm))
            var badSignature = signature; badSignature[badSignature.count - 1] ^= 1
            #expect(try !key.isValidSignature(badSignature, for: message, algorithm: algorithm))
            #expect(try !key.isValidSignature(Array(signature.dropLast()), for: message, algorithm: algorithm))
            let otherKey = try SoftwareSigningKey.generate(kind).publicKey
            #expect(try !otherKey.isValidSignature(signature, for: message, algorithm: algorithm))
            if kind == .p256 {
                #expect(try key.isValidSignature(signature, forDigest: SHA256.hash(message), algorithm: algorithm))
            }
        }
    }

    @Test func misuseIsAnError() throws {
        let ed = try SoftwareSigningKey.generate(.ed25519).publicKey
        let p256 = try SoftwareSigningKey.generate(.p256).publicKey
        let mismatch = #expect(throws: CryptoError.self) {
            try ed.isValidSignature([UInt8](repeating: 0, count: 64), for: [], algorithm: .ecdsaP256SHA256(.raw))
        }
        #expect(mismatch?.code == .algorithmMismatch)
        let prehashed = #expect(throws: CryptoError.self) {
            try ed.isValidSignature([UInt8](repeating: 0, count: 64), forDigest: [UInt8](repeating: 0, count: 32), algorithm: .ed25519)
        }
        #expect(prehashed?.code == .algorithmMismatch)
        let digestLength = #expect(throws: CryptoError.self) {
            try p256.isValidSignature([UInt8](repeating: 0, count: 64), forDigest: [1, 2, 3], algorithm: .ecdsaP256SHA256(.raw))
        }
        #expect(digestLength?.code == .invalidArgument)
        #expect(throws: CryptoError.self) { try SoftwareSigningKey(ed25519Seed: [1, 2, 3]) }
    }

    @Test(arguments: [SoftwareSigningKey.Kind.ed25519, .p256])
    func pkcs8RoundTrip(kind: SoftwareSigningKey.Kind) throws {
        let signer = try SoftwareSigningKey.generate(kind)
        let fromDER = try SoftwareSigningKey(pkcs8DER: signer.pkcs8DER)
        let fromPEM = try SoftwareSigningKey(pem: signer.pemRepresentation)
        #expect(try signer.pemRepresentation.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        #expect(try fromDER.publicKey == signer.publicKey)
        #expect(try fromPEM.publicKey == signer.publicKey)
        let message: [UInt8] = [1, 2, 3]
        #expect(try signer.publicKey.isValidSignature(fromPEM.sign(message), for: message, algorithm: signer.algorithm()))
        #expect(throws: CryptoError.self) { try SoftwareSigningKey(pkcs8DER: signer.pkcs8DER + [0]) }
    }

    @Test func strictDERConversion() throws {
        let signer = try SoftwareSigningKey.generate(.p256)
        let der = try signer.sign([9], ecdsaFormat: .der)
        let parsed = try ECDSASignature(derRepresentation: der)
        #expect(parsed.derRepresentation == der)
        #expect(try ECDSASignature(rawRepresentation: parsed.rawRepresentation).derRepresentation == der)
        // Non-canonical encodings of the same integers must be refused.
        let r = Array(parsed.r.drop(while: { $0 == 0 })), s = Array(parsed.s.drop(while: { $0 == 0 }))
        func integer(_ v: [UInt8]) -> [UInt8] {
            let body = (v[0] & 0x80 != 0 ? [0] : []) + v
            return [0x02, UInt8(body.count)] + body
        }
        let rContent = Array(integer(r).dropFirst(2))
        let paddedR = [0x02, UInt8(rContent.count + 1), 0] + rContent + integer(s)
        let body = integer(r) + integer(s)
        var bad: [[UInt8]] = [
            der + [0],                                   // trailing byte
            [0x30, UInt8(paddedR.count)] + paddedR,      // integer with a superfluous leading zero
            [0x30, 0x81, UInt8(body.count)] + body,      // long-form length below 128
            [0x30, 0x80] + body + [0, 0],                // BER indefinite length
            [0x31] + der.dropFirst(),                    // SET instead of SEQUENCE
            [0x30, 0x03, 0x02, 0x01, 0x01],              // one integer only
            [0x30, 0x06, 0x02, 0x01, 0x00, 0x02, 0x01, 0x01], // r = 0
            [UInt8](repeating: 0, count: 64),            // raw bytes
        ]
        if r[0] & 0x80 != 0 {                            // r without its sign byte reads as negative
            let negative = [0x02, UInt8(r.count)] + r + integer(s)
            bad.append([0x30, UInt8(negative.count)] + negative)
        }
        for encoding in bad {
            let error = #expect(throws: CryptoError.self, "accepted \(encoding.hexString)") {
                try ECDSASignature(derRepresentation: encoding)
            }
            #expect(error?.code == .invalidSignatureEncoding)
        }
        #expect(throws: CryptoError.self) { try ECDSASignature(rawRepresentation: [UInt8](repeating: 1, count: 63)) }
    }

    @Test func randomBytes() throws {
        let a = try SecureRandom.bytes(32), b = try SecureRandom.bytes(32)
        #expect(a.count == 32 && a != b)
        #expect(try SecureRandom.bytes(0).isEmpty)
        #expect(throws: CryptoError.self) { try SecureRandom.bytes(-1) }
    }
}
