// AES-256-GCM beyond the Wycheproof vectors: random nonces, the combined layout, and every kind
// of tampering (ciphertext, tag, nonce, associated data, key) detected.

import Testing
import SoftCrypto

@Suite struct AESGCMTests {
    @Test func sealOpenAndTamper() throws {
        let key = try SecureRandom.bytes(32)
        let plaintext = Array("backup bundle payload".utf8)
        let aad = Array("bundle v1".utf8)
        let box = try AESGCM.seal(plaintext, key: key, associatedData: aad)
        #expect(box.nonce.count == 12 && box.tag.count == 16 && box.ciphertext.count == plaintext.count)
        #expect(try AESGCM.open(box, key: key, associatedData: aad) == plaintext)
        #expect(try AESGCM.open(AESGCM.SealedBox(combined: box.combined), key: key, associatedData: aad) == plaintext)
        #expect(try AESGCM.seal(plaintext, key: key).nonce != box.nonce)

        var badCiphertext = box; badCiphertext.ciphertext[0] ^= 1
        var badTag = box; badTag.tag[15] ^= 0x80
        var badNonce = box; badNonce.nonce[0] ^= 1
        for (tampered, aadUsed, keyUsed) in [(badCiphertext, aad, key), (badTag, aad, key), (badNonce, aad, key),
                                             (box, [], key), (box, aad, try SecureRandom.bytes(32))] {
            let error = #expect(throws: CryptoError.self) { try AESGCM.open(tampered, key: keyUsed, associatedData: aadUsed) }
            #expect(error?.code == .authenticationFailed)
        }
    }

    @Test func emptyPlaintextAndSizes() throws {
        let key = [UInt8](repeating: 7, count: 32)
        let box = try AESGCM.seal([], key: key, nonce: [UInt8](repeating: 1, count: 12))
        #expect(box.ciphertext.isEmpty)
        #expect(try AESGCM.open(box, key: key).isEmpty)
        #expect(throws: CryptoError.self) { try AESGCM.seal([1], key: [UInt8](repeating: 0, count: 16)) }
        #expect(throws: CryptoError.self) { try AESGCM.seal([1], key: key, nonce: [1, 2, 3]) }
        #expect(throws: CryptoError.self) { try AESGCM.SealedBox(combined: [UInt8](repeating: 0, count: 27)) }
        var shortTag = box; shortTag.tag.removeLast()
        let error = #expect(throws: CryptoError.self) { try AESGCM.open(shortTag, key: key) }
        #expect(error?.code == .invalidArgument)
    }
}
