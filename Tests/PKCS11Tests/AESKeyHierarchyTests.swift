// AES-256-GCM with HSM-side IVs, per-credential keys derived from a master key inside the token,
// and Python cryptography decrypting what the token encrypted with an imported key.

import Foundation
import PKCS11
import TestSupport
import Testing

@Suite("AES-256-GCM and key derivation")
struct AESKeyHierarchyTests {
    let token: Token
    init() throws { token = try TestHSM.token("aes") }

    @Test("the token picks a fresh 96-bit IV and round-trips with AAD")
    func hsmIV() throws {
        let session = try token.openSession()
        let key = try session.generateKey(.aes256, options: KeyOptions(id: TestHSM.newID(), label: "data")).privateKey
        let a = try session.encryptGCM(Array("hello".utf8), key: key, aad: [9, 9])
        let b = try session.encryptGCM(Array("hello".utf8), key: key, aad: [9, 9])
        #expect(a.iv.count == 12 && a.tag.count == 16)
        #expect(a.iv != b.iv && a.ciphertext != b.ciphertext)
        #expect(try session.decryptGCM(a, key: key, aad: [9, 9]) == Array("hello".utf8))
        #expect(throws: PKCS11Error.self) { _ = try session.decryptGCM(a, key: key, aad: [9, 8]) }
    }

    @Test("Python decrypts what the token encrypted")
    func pythonInterop() throws {
        let session = try token.openSession()
        let raw = (0..<32).map { UInt8($0 * 3) }
        let key = try session.importKey(.aes256(raw), options: KeyOptions(id: TestHSM.newID(), label: "py", persistent: false)).privateKey
        let box = try session.encryptGCM(Array("credential body".utf8), key: key, aad: Array("aad".utf8))
        let script = "import sys;from cryptography.hazmat.primitives.ciphers.aead import AESGCM;"
            + "k,iv,ct,aad=[bytes.fromhex(x) for x in sys.stdin.read().split()];print(AESGCM(k).decrypt(iv,ct,aad).decode())"
        let (status, output) = try PythonCheck.runPython(script: "Tests/interop/hsm_exec.py", arguments: [script],
            input: "\(raw.hexString) \(box.iv.hexString) \((box.ciphertext + box.tag).hexString) \(Array("aad".utf8).hexString)")
        #expect(status == 0, "\(output)")
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "credential body")
    }

    @Test("per-credential keys derive deterministically inside the token and stay non-extractable")
    func derivation() throws {
        let session = try token.openSession()
        let master = try session.generateKey(.aes256, options: KeyOptions(id: TestHSM.newID(), label: "master", secretUsage: .derive)).privateKey
        let options = KeyOptions(id: TestHSM.newID(), label: "cred", persistent: false)
        let k1 = try session.deriveAESKey(master: master, context: Array("credential-1".utf8), options: options)
        let k1again = try session.deriveAESKey(master: master, context: Array("credential-1".utf8), options: options)
        let k2 = try session.deriveAESKey(master: master, context: Array("credential-2".utf8), options: options)
        #expect(try session.boolAttribute(.extractable, of: k1) == false)
        #expect(try session.boolAttribute(.token, of: k1) == false)
        let box = try session.encryptGCM([1, 2, 3], key: k1)
        #expect(try session.decryptGCM(box, key: k1again) == [1, 2, 3])
        #expect(throws: PKCS11Error.self) { _ = try session.decryptGCM(box, key: k2) }
        // The master key itself cannot encrypt: it only derives.
        #expect(throws: PKCS11Error.self) { _ = try session.encryptGCM([1], key: master) }
    }
}
