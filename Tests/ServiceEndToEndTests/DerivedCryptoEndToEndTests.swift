// Per-credential keys: Encrypt/Decrypt/GenerateDataKey with a DERIVE master key and credential_id.
// The AES-256 key is derived inside the token from the credential id (CKM_AES_CBC_ENCRYPT_DATA),
// so the same id gives the same key on every session (many calls spread over both workers all
// decrypt) and another id cannot open the box. Misused purposes and missing ids have their codes.

import Foundation
import PersonaClient
import PersonaProtos
import RPCCore
import SoftCrypto
import Testing

@Suite("Per-credential derived keys end to end", .serialized)
struct DerivedCryptoEndToEndTests {
    @Test("Encrypt/Decrypt/GenerateDataKey with credential_id under a DERIVE key; error paths")
    func derivedKeys() async throws {
        try await InProcessServer.with(tokenLabel: "e2e-derive", keys: [("plain-aes", .aes256Gcm), ("derive-sign", .ed25519)]) { server in
            let admin = try server.connect(as: "admin")
            let issuer = try server.connect(as: "issuer")
            let master = "master-\(UInt32.random(in: 0...UInt32.max))"
            let created = try await admin.keys.createKey(CreateKeyRequest(name: master, purpose: .derive, algorithm: .aes256Gcm))
            #expect(created.purpose == .derive)
            let aad = Array("credential header".utf8)

            // Many concurrent calls so both workers derive the key for the same credential.
            let boxes = try await withThrowingTaskGroup(of: (Int, EncryptResponse).self) { group in
                for index in 0..<16 {
                    group.addTask {
                        (index, try await issuer.crypto.encrypt(EncryptRequest(
                            keyName: master, plaintext: Array("secret \(index)".utf8), associatedData: aad,
                            credentialId: "cred-\(index % 2)")))
                    }
                }
                var all: [(Int, EncryptResponse)] = []
                for try await item in group { all.append(item) }
                return all
            }
            for (index, box) in boxes {
                #expect(box.iv.count == 12 && box.ciphertext.count == "secret \(index)".utf8.count + 16)
                let opened = try await issuer.crypto.decrypt(DecryptRequest(keyName: master, version: box.version, iv: box.iv,
                                                                            ciphertext: box.ciphertext, associatedData: aad,
                                                                            credentialId: "cred-\(index % 2)"))
                #expect(opened.plaintext == Array("secret \(index)".utf8))
                #expect(opened.plaintextCrc32c == CRC32C.checksum(opened.plaintext))
            }
            let (_, first) = try #require(boxes.first { $0.0 == 0 })
            await expectStatus(.invalidArgument, "another credential's key cannot open the box") {
                try await issuer.crypto.decrypt(DecryptRequest(keyName: master, iv: first.iv, ciphertext: first.ciphertext,
                                                               associatedData: aad, credentialId: "cred-1"))
            }
            await expectStatus(.invalidArgument, "wrong AAD") {
                try await issuer.crypto.decrypt(DecryptRequest(keyName: master, iv: first.iv, ciphertext: first.ciphertext,
                                                               associatedData: [], credentialId: "cred-0"))
            }
            await expectStatus(.invalidArgument, reason: "CREDENTIAL_ID_REQUIRED") {
                try await issuer.crypto.encrypt(EncryptRequest(keyName: master, plaintext: [1]))
            }
            await expectStatus(.invalidArgument, reason: "CREDENTIAL_ID_REQUIRED") {
                try await issuer.crypto.decrypt(DecryptRequest(keyName: master, iv: first.iv, ciphertext: first.ciphertext))
            }
            await expectStatus(.invalidArgument, reason: "CREDENTIAL_ID_TOO_LONG") {
                try await issuer.crypto.encrypt(EncryptRequest(keyName: master, plaintext: [1],
                                                               credentialId: String(repeating: "x", count: 257)))
            }
            await expectStatus(.invalidArgument, reason: "CREDENTIAL_ID_NOT_APPLICABLE") {
                try await issuer.crypto.encrypt(EncryptRequest(keyName: "plain-aes", plaintext: [1], credentialId: "cred-0"))
            }
            await expectStatus(.failedPrecondition, reason: "WRONG_KEY_PURPOSE") {
                try await issuer.crypto.encrypt(EncryptRequest(keyName: "derive-sign", plaintext: [1], credentialId: "cred-0"))
            }
            await expectStatus(.notFound) {
                try await issuer.crypto.encrypt(EncryptRequest(keyName: "no-such-master", plaintext: [1], credentialId: "c"))
            }
            await expectStatus(.permissionDenied, "verifier may not encrypt") {
                let verifier = try server.connect(as: "verifier")
                return try await verifier.crypto.encrypt(EncryptRequest(keyName: master, plaintext: [1], credentialId: "c"))
            }

            let dataKey = try await issuer.crypto.generateDataKey(GenerateDataKeyRequest(keyName: master, credentialId: "cred-7",
                                                                                        associatedData: aad))
            let wrapped = try #require(dataKey.wrappedKey)
            #expect(dataKey.plaintextKey.count == 32 && wrapped.ciphertext.count == 48)
            let unwrapped = try await issuer.crypto.decrypt(DecryptRequest(keyName: master, version: wrapped.version, iv: wrapped.iv,
                                                                           ciphertext: wrapped.ciphertext, associatedData: aad,
                                                                           credentialId: "cred-7"))
            #expect(unwrapped.plaintext == dataKey.plaintextKey)
            let box = try AESGCM.seal(Array("envelope".utf8), key: dataKey.plaintextKey)
            #expect(try AESGCM.open(box, key: unwrapped.plaintext) == Array("envelope".utf8))

            // Disabled master: no new encryptions.
            _ = try await admin.keys.disableKeyVersion(KeyVersionRef(name: master, version: 1))
            await expectStatus(.failedPrecondition, "disabled master key") {
                try await issuer.crypto.encrypt(EncryptRequest(keyName: master, plaintext: [1], credentialId: "cred-0"))
            }
            #expect(server.server.metrics.render().contains("operation=\"encrypt_derived\",outcome=\"ok\""))
        }
    }
}
