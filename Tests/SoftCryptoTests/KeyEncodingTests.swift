// Public-key encodings round trip (raw, SPKI DER, PEM, JWK) for every key kind, and malformed or
// unsupported inputs fail with the right code instead of crashing or being accepted.

import Testing
import SoftCrypto
import TestSupport

@Suite struct KeyEncodingTests {
    static func wycheproofRSAKey() throws -> PublicKey {
        let file = try Wycheproof.load("rsa_signature_2048_sha256_test.json", as: WycheproofSignatureGroup.self)
        return try PublicKey(spkiDER: file.testGroups[0].spkiDER)
    }

    static func sampleKeys() throws -> [PublicKey] {
        [try SoftwareSigningKey.generate(.ed25519).publicKey, try SoftwareSigningKey.generate(.p256).publicKey,
         try wycheproofRSAKey()]
    }

    @Test func roundTrips() throws {
        for key in try Self.sampleKeys() {
            #expect(try PublicKey(spkiDER: key.spkiDER) == key)
            #expect(try PublicKey(pem: key.pemRepresentation) == key)
            #expect(key.pemRepresentation.hasPrefix("-----BEGIN PUBLIC KEY-----\n"))
            #expect(try PublicKey(jwk: Array(key.jwk.utf8)) == key)
            switch key.kind {
            case .ed25519:
                let raw = try #require(key.rawRepresentation)
                #expect(raw.count == 32)
                #expect(try PublicKey(ed25519Raw: raw) == key)
            case .p256:
                let raw = try #require(key.rawRepresentation)
                #expect(raw.count == 65 && raw[0] == 4)
                #expect(try PublicKey(p256Point: raw) == key)
                let (x, y) = try #require(key.p256Coordinates)
                #expect([0x04] + x + y == raw)
            case .rsa(let bits):
                #expect(bits == 2048)
                #expect(key.rawRepresentation == nil)
                let (n, e) = try #require(key.rsaComponents)
                #expect(n.count == 256 && e == [1, 0, 1])
                #expect(try PublicKey(rsaModulus: [0, 0] + n, exponent: e) == key)
            }
        }
    }

    @Test func jwkShapeAndThumbprint() throws {
        // RFC 8037 appendix A.2/A.3: the Ed25519 example key and its thumbprint.
        let rfcKey = try PublicKey(jwk: Array(#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#.utf8))
        #expect(rfcKey.jwk == #"{"crv":"Ed25519","kty":"OKP","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#)
        #expect(Base64URL.encode(rfcKey.jwkThumbprint) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k")
        #expect(rfcKey.rawRepresentation == [UInt8](hexString: "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"))
    }

    @Test func malformedRawKeysAreRejected() throws {
        #expect(throws: CryptoError.self) { try PublicKey(ed25519Raw: [UInt8](repeating: 1, count: 31)) }
        let p256 = try #require(try SoftwareSigningKey.generate(.p256).publicKey.rawRepresentation)
        // Compressed form, wrong prefix, truncated, and a point off the curve.
        var compressed = [UInt8](p256[0..<33]); compressed[0] = 0x02 | (p256[64] & 1)
        var offCurve = p256; offCurve[64] ^= 1
        var wrongPrefix = p256; wrongPrefix[0] = 0x05
        for bad in [compressed, wrongPrefix, Array(p256.dropLast()), offCurve] {
            let error = #expect(throws: CryptoError.self) { try PublicKey(p256Point: bad) }
            #expect(error?.code == .invalidKey)
        }
    }

    @Test func pkcs11ECPointForms() throws {
        let ed = try SoftwareSigningKey.generate(.ed25519).publicKey
        let p256 = try SoftwareSigningKey.generate(.p256).publicKey
        let edRaw = try #require(ed.rawRepresentation), pRaw = try #require(p256.rawRepresentation)
        #expect(try PublicKey(ecPoint: edRaw, kind: .ed25519) == ed)
        #expect(try PublicKey(ecPoint: [0x04, 0x20] + edRaw, kind: .ed25519) == ed)
        #expect(try PublicKey(ecPoint: pRaw, kind: .p256) == p256)
        #expect(try PublicKey(ecPoint: [0x04, 0x41] + pRaw, kind: .p256) == p256)
        for (bytes, kind) in [([0x04, 0x21] + edRaw + [0], PublicKey.Kind.ed25519), ([0x03, 0x20] + edRaw, .ed25519),
                              (Array(pRaw.dropFirst()), .p256), ([0x04, 0x40] + pRaw, .p256), (edRaw, .p256)] {
            let error = #expect(throws: CryptoError.self) { try PublicKey(ecPoint: bytes, kind: kind) }
            #expect(error?.code == .invalidKey)
        }
        #expect(throws: CryptoError.self) { try PublicKey(ecPoint: edRaw, kind: .rsa(bits: 2048)) }
    }

    @Test func rsaLimits() throws {
        var modulus1024 = try SecureRandom.bytes(128)
        modulus1024[0] |= 0x80; modulus1024[127] |= 1
        let small = #expect(throws: CryptoError.self) { try PublicKey(rsaModulus: modulus1024, exponent: [1, 0, 1]) }
        #expect(small?.code == .unsupportedKey)
        let (n, _) = try #require(try Self.wycheproofRSAKey().rsaComponents)
        for exponent: [UInt8] in [[], [1], [2], [0, 0]] {
            let error = #expect(throws: CryptoError.self) { try PublicKey(rsaModulus: n, exponent: exponent) }
            #expect(error?.code == .invalidKey)
        }
    }

    @Test func malformedSPKIIsRejectedWithOpenSSLReasons() throws {
        let key = try SoftwareSigningKey.generate(.ed25519).publicKey
        let trailing = #expect(throws: CryptoError.self) { try PublicKey(spkiDER: key.spkiDER + [0]) }
        #expect(trailing?.code == .invalidKey)
        let garbage = #expect(throws: CryptoError.self) { try PublicKey(spkiDER: [0x30, 0x03, 0x02, 0x01, 0x01]) }
        #expect(garbage?.code == .invalidKey)
        #expect(garbage?.openSSLErrors.isEmpty == false)
        #expect(throws: CryptoError.self) { try PublicKey(spkiDER: []) }
        #expect(throws: CryptoError.self) { try PublicKey(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n") }
    }

    @Test func unsupportedCurvesAreRejected() throws {
        // secp384r1 SPKI (a fixed valid public key generated with openssl for this test).
        let p384 = try #require([UInt8](hexString:
            "3076301006072a8648ce3d020106052b8104002203620004" +
            "e45c85195ffbc16578cfb893de6729fe37ca936813ac0a4222f26357b5378b5613fad963fabd8da51d135129bd80620e" +
            "d203413fb82688757ef24c0bfc2f8ced4c9af0aedbd3a9928646d0b00b867ede31e445a23c2f1fa2dad82bc05579de90"))
        let error = #expect(throws: CryptoError.self) { try PublicKey(spkiDER: p384) }
        #expect(error?.code == .unsupportedKey)
    }

    @Test(arguments: [
        (#"{"kty":"OKP","crv":"Ed25519"}"#, "invalidKey"),
        (#"{"kty":"OKP","crv":"X25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}"#, "unsupportedKey"),
        (#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHUQ"}"#, "invalidKey"),
        (#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo="}"#, "invalidKey"),
        (#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","d":"nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A"}"#, "invalidKey"),
        (#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","use":"enc"}"#, "invalidKey"),
        (#"{"kty":"OKP","crv":"Ed25519","x":"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo","alg":"ES256"}"#, "invalidKey"),
        (#"{"kty":"EC","crv":"P-384","x":"AA","y":"AA"}"#, "unsupportedKey"),
        (#"{"kty":"EC","crv":"P-256","x":"KSexBRK64-3c_kZ4KBKLrSkDJpkZ9whgacjE32xzKA","y":"x3h5ZOqsAOWSH7FJimD0YGdms9loUAFVjRqXTnNBUT4"}"#, "invalidKey"),
        (#"{"kty":"oct","k":"AAAA"}"#, "invalidKey"),
        (#"{"kty":"RSA","n":"AKK0","e":"AQAB"}"#, "invalidKey"),
        (#"{"kty":"OKP","crv":"Ed25519","x":11}"#, "invalidKey"),
        (#"[1,2]"#, "invalidKey"),
        (#"{"kty":"OKP","#, "invalidKey"),
    ])
    func malformedJWKs(json: String, code: String) throws {
        let error = #expect(throws: CryptoError.self) { try PublicKey(jwk: Array(json.utf8)) }
        #expect(error?.code.name == code, "\(json) → \(String(describing: error))")
    }

    @Test func jwkExportIsVerifiedByJwcrypto() throws {
        var items: [String] = []
        let message = Array("PersonaHSM JWK interop".utf8)
        for kind in [SoftwareSigningKey.Kind.ed25519, .p256] {
            let signer = try SoftwareSigningKey.generate(kind)
            let key = try signer.publicKey
            let signature = try signer.sign(message, ecdsaFormat: .der)
            items.append(Self.interopItem(key, alg: kind == .ed25519 ? "Ed25519" : "ES256-DER", message: message, signature: signature))
        }
        items.append(Self.interopItem(try Self.wycheproofRSAKey(), alg: nil, message: [], signature: []))
        let input = Array(("[" + items.joined(separator: ",") + "]").utf8)
        let result = try Subprocess.python("creds_jwk_check.py", input: input)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "ok 3")
    }

    private static func interopItem(_ key: PublicKey, alg: String?, message: [UInt8], signature: [UInt8]) -> String {
        // The JWK text is itself JSON; embed it as a JSON string (it contains only quotes to escape).
        let jwk = key.jwk.replacingOccurrences(of: "\"", with: "\\\"")
        var item = #"{"jwk":"\#(jwk)","spki_hex":"\#(key.spkiDER.hexString)","thumbprint":"\#(Base64URL.encode(key.jwkThumbprint))""#
        if let alg { item += #","alg":"\#(alg)","msg_hex":"\#(message.hexString)","sig_hex":"\#(signature.hexString)""# }
        return item + "}"
    }
}
