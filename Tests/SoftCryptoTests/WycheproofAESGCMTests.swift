// Wycheproof AES-GCM: every AES-256 / 96-bit-nonce / 128-bit-tag case must agree with the
// expected verdict in both directions (seal reproduces ct‖tag for valid cases; open accepts
// exactly the valid ones). Groups with other key or nonce sizes must be refused by our API,
// which only supports the design's parameters.

import Testing
import SoftCrypto
import TestSupport

@Suite struct WycheproofAESGCMTests {
    @Test func aes256Nonce96() throws {
        let file = try Wycheproof.load("aes_gcm_test.json", as: WycheproofAEADGroup.self)
        #expect(file.count(\.tests) == file.numberOfTests)
        var checked = 0
        var mismatches: [String] = []
        for group in file.testGroups where group.keySize == 256 && group.ivSize == 96 && group.tagSize == 128 {
            for test in group.tests {
                checked += 1
                let box = AESGCM.SealedBox(nonce: test.nonce, ciphertext: test.ciphertext, tag: test.tagBytes)
                let opened = try? AESGCM.open(box, key: test.keyBytes, associatedData: test.associatedData)
                switch test.result {
                case .valid:
                    if opened != test.plaintext { mismatches.append("open \(test.tcId)") }
                    let sealed = try AESGCM.seal(test.plaintext, key: test.keyBytes, nonce: test.nonce,
                                                 associatedData: test.associatedData)
                    if sealed.ciphertext != test.ciphertext || sealed.tag != test.tagBytes {
                        mismatches.append("seal \(test.tcId)")
                    }
                case .invalid, .acceptable:
                    if opened != nil { mismatches.append("accepted invalid \(test.tcId): \(test.comment)") }
                }
            }
        }
        #expect(checked == 66)
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    @Test func otherParametersAreRefused() throws {
        let file = try Wycheproof.load("aes_gcm_test.json", as: WycheproofAEADGroup.self)
        var refused = 0
        for group in file.testGroups where !(group.keySize == 256 && group.ivSize == 96) {
            for test in group.tests {
                do {
                    _ = try AESGCM.seal(test.plaintext, key: test.keyBytes, nonce: test.nonce)
                    Issue.record("tcId \(test.tcId) (\(group.keySize)/\(group.ivSize)) was not refused")
                } catch {
                    #expect(error.code == .invalidArgument)
                    refused += 1
                }
            }
        }
        #expect(refused == file.numberOfTests - 66)
    }
}
