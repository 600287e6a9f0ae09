// Keys generated inside a real SoftHSM2 token: protection attributes, public-key export in every
// form, and signatures checked by OpenSSL in-process and by Python cryptography.

import Foundation
import PKCS11
import TestSupport
import Testing

@Suite("Key generation and signing")
struct KeyGenerationTests {
    let token: Token
    init() throws { token = try TestHSM.token("keygen") }

    static let pairs: [(KeySpec, SignatureMechanism)] = [
        (.ed25519, .ed25519), (.ecdsaP256, .ecdsaP256SHA256), (.rsa2048, .rsaPKCS1SHA256),
        (.rsa2048, .rsaPSSSHA256), (.rsa3072, .rsaPKCS1SHA256), (.rsa3072, .rsaPSSSHA256),
    ]

    @Test("generated private keys are sensitive and not extractable", arguments: KeySpec.allCases)
    func protection(spec: KeySpec) throws {
        let session = try token.openSession()
        let keys = try session.generateKey(spec, options: KeyOptions(id: TestHSM.newID(), label: "prot-\(spec)"))
        #expect(try session.boolAttribute(.sensitive, of: keys.privateKey) == true)
        #expect(try session.boolAttribute(.extractable, of: keys.privateKey) == false)
        #expect(try session.boolAttribute(.neverExtractable, of: keys.privateKey) == true)
        #expect(try session.attribute(.value, of: keys.privateKey) == nil)
        #expect((keys.publicKey == nil) == (spec == .aes256))
    }

    @Test("a backup policy makes keys wrappable but still sensitive")
    func wrappable() throws {
        let session = try token.openSession()
        let keys = try session.generateKey(.ecdsaP256, options: KeyOptions(id: TestHSM.newID(), label: "wrap", allowWrapping: true))
        #expect(try session.boolAttribute(.extractable, of: keys.privateKey) == true)
        #expect(try session.boolAttribute(.sensitive, of: keys.privateKey) == true)
    }

    @Test("ephemeral keys are session objects and vanish with their session")
    func ephemeral() throws {
        let id = TestHSM.newID()
        do {
            let session = try token.openSession()
            let keys = try session.generateKey(.ed25519, options: KeyOptions(id: id, label: "eph", persistent: false))
            #expect(try session.boolAttribute(.token, of: keys.privateKey) == false)
            #expect(try session.findKey(id: id, objectClass: .privateKey) == keys.privateKey)
        }
        let other = try token.openSession()
        #expect(try other.findKey(id: id, objectClass: .privateKey) == nil)
    }

    @Test("signatures verify with OpenSSL and Python cryptography", arguments: pairs)
    func signAndVerify(spec: KeySpec, mechanism: SignatureMechanism) throws {
        let session = try token.openSession()
        let id = TestHSM.newID()
        let keys = try session.generateKey(spec, options: KeyOptions(id: id, label: "sig-\(spec)"))
        let publicKey = try session.publicKey(of: keys.publicKey!)
        // Found again by CKA_ID, as the key registry does after a restart.
        let found = try #require(try session.findKey(id: id, objectClass: .privateKey))
        var cases: [SignatureCase] = []
        for length in [0, 1, 32, 1000] {
            let message = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ length) }
            let signature = try session.sign(message, key: found, mechanism: mechanism)
            let c = SignatureCase(key: publicKey, mechanism: mechanism, message: message, signature: signature)
            #expect(OpenSSLCheck.verify(c), "OpenSSL rejected a \(mechanism) signature of \(length) bytes")
            cases.append(c)
            var tampered = c
            tampered.message.append(1)
            #expect(!OpenSSLCheck.verify(tampered))
        }
        if mechanism == .ecdsaP256SHA256 {
            let der = try session.sign([1, 2, 3], key: found, mechanism: mechanism, ecdsaFormat: .der)
            #expect(der.first == 0x30)
            let c = SignatureCase(key: publicKey, mechanism: mechanism, message: [1, 2, 3], signature: der, derECDSA: true)
            #expect(OpenSSLCheck.verify(c))
            cases.append(c)
        }
        let (status, output) = try PythonCheck.verify(cases)
        #expect(status == 0, "\(output)")
        #expect(output.contains("verified \(cases.count)"))
    }

    @Test("public keys export as raw, SPKI, PEM and JWK that Python reads back")
    func exportForms() throws {
        let session = try token.openSession()
        let ed = try session.generateKey(.ed25519, options: KeyOptions(id: TestHSM.newID(), label: "exp-ed"))
        let ec = try session.generateKey(.ecdsaP256, options: KeyOptions(id: TestHSM.newID(), label: "exp-ec"))
        let rsa = try session.generateKey(.rsa2048, options: KeyOptions(id: TestHSM.newID(), label: "exp-rsa"))
        let keys = try [ed, ec, rsa].map { try session.publicKey(of: $0.publicKey!) }
        #expect(keys[0].rawEd25519?.count == 32)
        // The public key can also be read from the private-key object for EC keys in SoftHSM2.
        #expect(try session.publicKey(of: rsa.privateKey) == keys[2])
        var input = ""
        for key in keys { input += "\(key.spkiDER.hexString) \(Data(key.pem.utf8).base64EncodedString()) \(key.jwk)\n" }
        let (status, output) = try PythonCheck.runPython(script: "Tests/interop/hsm_keyforms.py", input: input)
        #expect(status == 0, "\(output)")
        #expect(output.contains("keys 3"))
    }

    @Test("signing with a key that may not sign fails with the CKR name and the function")
    func wrongKey() throws {
        let session = try token.openSession()
        let keys = try session.generateKey(.ed25519, options: KeyOptions(id: TestHSM.newID(), label: "wrong"))
        let error = #expect(throws: PKCS11Error.self) {
            _ = try session.sign([1], key: keys.publicKey!, mechanism: .ed25519)
        }
        #expect(error?.function == "C_SignInit")
        #expect(error?.returnValueName?.hasPrefix("CKR_KEY_") == true, "\(String(describing: error))")
        #expect(error?.isInputRejected == true)
        #expect("\(error!)".contains("C_SignInit: CKR_KEY_"))
    }
}
