// Pure tests of the vendor-quirk decoding (EC points, EC params), DER conversions, URIs and CKR
// names: no token involved.

import PKCS11
import Testing

@Suite("Encodings, URIs and error names")
struct EncodingTests {
    static let ed = [UInt8](repeating: 0xAB, count: 32)
    static let p256 = [0x04] + [UInt8](repeating: 0x11, count: 64)

    @Test("EC points are accepted raw or DER-wrapped and anything else is rejected")
    func ecPoints() throws {
        #expect(try PublicKeyDecoding.decode(ecParams: [0x06, 0x03, 0x2B, 0x65, 0x70], ecPoint: Self.ed) == .ed25519(Self.ed))
        #expect(try PublicKeyDecoding.decode(ecParams: [0x06, 0x03, 0x2B, 0x65, 0x70], ecPoint: [0x04, 0x20] + Self.ed) == .ed25519(Self.ed))
        let printable: [UInt8] = [0x13, 0x0C] + Array("edwards25519".utf8)
        #expect(try PublicKeyDecoding.decode(ecParams: printable, ecPoint: Self.ed) == .ed25519(Self.ed))
        let p256Params: [UInt8] = [0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07]
        #expect(try PublicKeyDecoding.decode(ecParams: p256Params, ecPoint: Self.p256) == .p256(Self.p256))
        #expect(try PublicKeyDecoding.decode(ecParams: p256Params, ecPoint: [0x04, 0x41] + Self.p256) == .p256(Self.p256))
        for bad in [[0x04, 0x21] + Self.ed + [0], Array(Self.ed.dropLast()), [0x03, 0x20] + Self.ed] {
            #expect(throws: PKCS11Error.self) {
                _ = try PublicKeyDecoding.decode(ecParams: [0x06, 0x03, 0x2B, 0x65, 0x70], ecPoint: bad)
            }
        }
        #expect(throws: PKCS11Error.self) { _ = try PublicKeyDecoding.decode(ecParams: p256Params, ecPoint: [0x02] + Self.p256.dropFirst()) }
        #expect(throws: PKCS11Error.self) { _ = try PublicKeyDecoding.decode(ecParams: [0x13, 0x04] + Array("ed44".utf8), ecPoint: Self.ed) }
        #expect(throws: PKCS11Error.self) { _ = try PublicKeyDecoding.decode(ecParams: [0x06, 0x03, 0x2B, 0x65, 0x71], ecPoint: Self.ed) }
    }

    @Test("ECDSA raw and DER conversions are inverse and strip/pad leading zeros")
    func ecdsaDER() throws {
        let raw = [0x00, 0x80] + [UInt8](repeating: 1, count: 30) + [0xFF] + [UInt8](repeating: 2, count: 31)
        let der = try ECDSASignatureEncoding.der(fromRaw: raw)
        // r = 0x0080... drops one leading zero, keeps one for the sign bit; s gets a 0x00 pad.
        #expect(der[0] == 0x30 && der[2] == 0x02 && der[3] == 32 && der[4] == 0x00 && der[5] == 0x80)
        #expect(try ECDSASignatureEncoding.raw(fromDER: der) == raw)
        #expect(throws: PKCS11Error.self) { _ = try ECDSASignatureEncoding.raw(fromDER: der + [0]) }
        #expect(throws: PKCS11Error.self) { _ = try ECDSASignatureEncoding.der(fromRaw: [1, 2, 3]) }
    }

    @Test("Ed25519 SPKI and JWK have the RFC 8410 / 8037 shapes")
    func ed25519Forms() {
        let key = PublicKey.ed25519(Self.ed)
        #expect(key.spkiDER.prefix(12) == [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00])
        #expect(key.jwk == "{\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"q6urq6urq6urq6urq6urq6urq6urq6urq6urq6urq6s\"}")
        #expect(key.pem.hasPrefix("-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEA"))
    }

    @Test("RFC 7512 URIs parse, percent-decode and refuse PIN values")
    func uris() throws {
        let uri = try PKCS11URI("pkcs11:token=Persona%20Dev;id=%01%02%ff;type=private;object=did?pin-source=/run/pin&x=1")
        #expect(uri.token == "Persona Dev")
        #expect(uri.id == [1, 2, 255])
        #expect(uri.type == "private" && uri.object == "did")
        #expect(uri.pinSource == "/run/pin")
        #expect(try PKCS11URI(uri.description) == uri)
        for bad in ["pkcs12:token=x", "pkcs11:tokn=x", "pkcs11:token=a;token=b", "pkcs11:id=%zz",
                    "pkcs11:token=x?pin-value=1234", "pkcs11:type=weird", "pkcs11:slot-id=abc"] {
            #expect(throws: PKCS11Error.self, "\(bad)") { _ = try PKCS11URI(bad) }
        }
    }

    @Test("CKR values print with their names")
    func names() {
        #expect(PKCS11Error.name(of: 0xB3) == "CKR_SESSION_HANDLE_INVALID")
        #expect(PKCS11Error.name(of: 0x32) == "CKR_DEVICE_REMOVED")
        #expect(PKCS11Error.name(of: 0x8000_0001) == "CKR_VENDOR_DEFINED+0x1")
        let e = PKCS11Error(returnValue: 0xB3, function: "C_Sign")
        #expect(e.description == "C_Sign: CKR_SESSION_HANDLE_INVALID")
        #expect(e.invalidatesSession && !e.requiresReinitialization)
        #expect(PKCS11Error(returnValue: 0x190, function: "C_Sign").requiresReinitialization)
    }
}
