// Known-answer tests through the token: Wycheproof RSA PKCS#1 v1.5 signature-generation vectors
// (imported private keys must produce the vector's signature byte for byte; v1.5 is deterministic)
// and the AES-256-GCM vectors with 96-bit IVs (keys imported as session objects, IV from the vector).

import Foundation
import PKCS11
import TestSupport
import Testing

@Suite("Wycheproof vectors through the token")
struct WycheproofVectorTests {
    let token: Token
    init() throws { token = try TestHSM.token("vectors") }

    @Test("RSA PKCS#1 v1.5 SHA-256 signatures equal the vectors byte for byte")
    func rsaSignatureGeneration() throws {
        let file = try Wycheproof.load("rsa_pkcs1_2048_sig_gen_test.json")
        let session = try token.openSession()
        var checked = 0
        var cases: [SignatureCase] = []
        for group in Wycheproof.groups(file) where group["sha"] as? String == "SHA-256" {
            let pk = try #require(group["privateKey"] as? [String: String])
            let rsa = RSAPrivateKey(modulus: [UInt8](hex: pk["modulus"]!), publicExponent: [UInt8](hex: pk["publicExponent"]!),
                                    privateExponent: [UInt8](hex: pk["privateExponent"]!))
            let keys = try session.importKey(.rsa(rsa), options: KeyOptions(id: TestHSM.newID(), label: "wp-rsa", persistent: false))
            #expect(try session.boolAttribute(.sensitive, of: keys.privateKey) == true)
            let publicKey = try session.publicKey(of: keys.publicKey!)
            for test in Wycheproof.tests(group) {
                let message = [UInt8](hex: test["msg"] as! String)
                let expected = [UInt8](hex: test["sig"] as! String)
                let signature = try session.sign(message, key: keys.privateKey, mechanism: .rsaPKCS1SHA256)
                #expect(signature == expected, "tcId \(test["tcId"]!)")
                cases.append(SignatureCase(key: publicKey, mechanism: .rsaPKCS1SHA256, message: message, signature: signature))
                checked += 1
            }
        }
        #expect(checked == 10)
        #expect(cases.allSatisfy(OpenSSLCheck.verify))
        let (status, output) = try PythonCheck.verify(cases)
        #expect(status == 0, "\(output)")
    }

    @Test("AES-256-GCM vectors with 96-bit IVs pass through the token")
    func aesGCM() throws {
        let file = try Wycheproof.load("aes_gcm_test.json")
        let session = try token.openSession()
        var valid = 0, invalid = 0
        for group in Wycheproof.groups(file) where group["keySize"] as? Int == 256 && group["ivSize"] as? Int == 96
            && group["tagSize"] as? Int == 128 {
            for test in Wycheproof.tests(group) {
                let key = [UInt8](hex: test["key"] as! String)
                let handles = try session.importKey(.aes256(key), options: KeyOptions(id: TestHSM.newID(), label: "wp-gcm", persistent: false))
                defer { try? session.destroyObject(handles.privateKey) }
                let iv = [UInt8](hex: test["iv"] as! String), aad = [UInt8](hex: test["aad"] as! String)
                let msg = [UInt8](hex: test["msg"] as! String), ct = [UInt8](hex: test["ct"] as! String)
                let tag = [UInt8](hex: test["tag"] as! String)
                let box = GCMSealedBox(iv: iv, ciphertext: ct, tag: tag)
                if test["result"] as? String == "valid" {
                    let sealed = try session.encryptGCM(msg, key: handles.privateKey, aad: aad, iv: iv)
                    #expect(sealed.ciphertext == ct && sealed.tag == tag, "tcId \(test["tcId"]!) encrypt")
                    #expect(try session.decryptGCM(box, key: handles.privateKey, aad: aad) == msg, "tcId \(test["tcId"]!)")
                    valid += 1
                } else {
                    #expect(throws: PKCS11Error.self, "tcId \(test["tcId"]!) must not decrypt") {
                        _ = try session.decryptGCM(box, key: handles.privateKey, aad: aad)
                    }
                    invalid += 1
                }
            }
        }
        #expect(valid > 20 && invalid > 10, "valid \(valid) invalid \(invalid)")
    }
}
