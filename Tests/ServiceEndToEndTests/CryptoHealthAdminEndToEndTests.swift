// CryptoService, HealthService and AdminService over the wire: AES-GCM round trips inside the HSM
// (a wrong AAD or a flipped bit must fail), data keys, health check and the first Watch message,
// and audit checkpoints whose signature verifies under the exported audit key, recomputing the
// signed message from docs/AUDIT.md §4 independently of the AuditLog module.

import Foundation
import PersonaProtos
import RPCCore
import SoftCrypto
import Testing

@Suite("Crypto, health and admin end to end", .serialized)
struct CryptoHealthAdminEndToEndTests {
    static func withServer(_ body: (InProcessServer) async throws -> Void) async throws {
        try await InProcessServer.with(tokenLabel: "e2e-crypto", keys: [("data-aes", .aes256Gcm)], body)
    }

    @Test("Encrypt/Decrypt round trip; wrong AAD or tampered ciphertext fails; GenerateDataKey")
    func encryptDecrypt() async throws {
        try await Self.withServer { server in
            let issuer = try server.connect(as: "issuer")
            let plaintext = Array("subject: did:key:z6Mk… claims".utf8)
            let aad = Array("credential-7".utf8)
            let sealed = try await issuer.crypto.encrypt(EncryptRequest(keyName: "data-aes", plaintext: plaintext,
                                                                        associatedData: aad,
                                                                        plaintextChecksum: .plaintextCrc32c(CRC32C.checksum(plaintext))))
            #expect(sealed.iv.count == 12 && sealed.version == 1)
            #expect(sealed.ciphertext.count == plaintext.count + 16)
            #expect(sealed.ciphertextCrc32c == CRC32C.checksum(sealed.ciphertext))
            let opened = try await issuer.crypto.decrypt(DecryptRequest(keyName: "data-aes", version: sealed.version,
                                                                        iv: sealed.iv, ciphertext: sealed.ciphertext,
                                                                        associatedData: aad))
            #expect(opened.plaintext == plaintext)
            #expect(opened.plaintextCrc32c == CRC32C.checksum(plaintext))
            let wrongAAD = await expectStatus(.invalidArgument, reason: "DECRYPTION_FAILED", "wrong AAD") {
                try await issuer.crypto.decrypt(DecryptRequest(keyName: "data-aes", iv: sealed.iv,
                                                               ciphertext: sealed.ciphertext,
                                                               associatedData: Array("credential-8".utf8)))
            }
            #expect(wrongAAD?.message.contains("wrong associated data") == true, "\(String(describing: wrongAAD))")
            var flipped = sealed.ciphertext
            flipped[0] ^= 0x80
            await expectStatus(.invalidArgument, reason: "DECRYPTION_FAILED", "tampered ciphertext") {
                try await issuer.crypto.decrypt(DecryptRequest(keyName: "data-aes", iv: sealed.iv, ciphertext: flipped,
                                                               associatedData: aad))
            }
            await expectStatus(.invalidArgument, "short IV") {
                try await issuer.crypto.decrypt(DecryptRequest(keyName: "data-aes", iv: [1, 2, 3],
                                                               ciphertext: sealed.ciphertext))
            }
            await expectStatus(.dataLoss, "plaintext checksum mismatch") {
                try await issuer.crypto.encrypt(EncryptRequest(keyName: "data-aes", plaintext: plaintext,
                                                               plaintextChecksum: .plaintextCrc32c(0)))
            }

            let dataKey = try await issuer.crypto.generateDataKey(GenerateDataKeyRequest(keyName: "data-aes",
                                                                                        associatedData: aad))
            #expect(dataKey.plaintextKey.count == 32)
            let wrapped = try #require(dataKey.wrappedKey)
            let unwrapped = try await issuer.crypto.decrypt(DecryptRequest(keyName: "data-aes", version: wrapped.version,
                                                                           iv: wrapped.iv, ciphertext: wrapped.ciphertext,
                                                                           associatedData: aad))
            #expect(unwrapped.plaintext == dataKey.plaintextKey)
            // The data key works as a software AES-256-GCM key.
            let box = try AESGCM.seal(Array("local".utf8), key: dataKey.plaintextKey)
            #expect(try AESGCM.open(box, key: dataKey.plaintextKey) == Array("local".utf8))
            let hidden = try await issuer.crypto.generateDataKey(GenerateDataKeyRequest(keyName: "data-aes",
                                                                                       withoutPlaintext: true))
            #expect(hidden.plaintextKey.isEmpty && hidden.wrappedKey?.ciphertext.count == 48)
        }
    }

    @Test("Health Check and the first Watch message")
    func health() async throws {
        try await Self.withServer { server in
            let verifier = try server.connect(as: "verifier")
            let check = try await verifier.health.check(HealthCheckRequest())
            #expect(check.status == .serving, "\(check.reason)")
            #expect(check.backends.map(\.name) == ["softhsm-test"])
            #expect(check.backends.first?.healthy == true && check.backends.first?.cluster == "primary")
            let signing = try await verifier.health.check(HealthCheckRequest(service: "persona.hsm.v1.SigningService"))
            #expect(signing.status == .serving)
            await expectStatus(.notFound) { try await verifier.health.check(HealthCheckRequest(service: "nope.Service")) }

            var first: HealthCheckResponse?
            for try await message in try await verifier.health.watch(HealthCheckRequest(),
                                                                     options: CallOptions(timeout: .seconds(5))) {
                first = message
                break
            }
            #expect(first?.status == .serving)
            #expect(first?.backends.first?.name == "softhsm-test")
        }
    }

    @Test("CheckpointAudit: the signature verifies under the audit key; quorum calls need a custody config")
    func admin() async throws {
        try await Self.withServer { server in
            let auditor = try server.connect(as: "auditor")
            let admin = try server.connect(as: "admin")
            // Encrypt answers only once its audit record is durable, so the checkpoint has a record
            // to cover (a read's record is written detached and, under load, can still be in flight).
            _ = try await admin.crypto.encrypt(EncryptRequest(keyName: "data-aes", plaintext: [1, 2, 3]))
            let checkpoint = try await auditor.admin.checkpointAudit(AuditCheckpointRequest())
            #expect(checkpoint.sequence > 0)
            #expect(checkpoint.chainHash.count == 32)
            #expect(checkpoint.auditKeyName == "audit-checkpoints" && checkpoint.auditKeyVersion == 1)
            let keyPEM = try String(contentsOfFile: URL(fileURLWithPath: server.auditPath).deletingLastPathComponent().path
                                    + "/keys/audit-checkpoints-v1.pem", encoding: .utf8)
            let exported = try SoftCrypto.PublicKey(pem: keyPEM)
            let served = try await auditor.keys.getPublicKey(GetPublicKeyRequest(name: "audit-checkpoints"))
            #expect(exported.spkiDER == served.data, "the exported PEM is the HSM key")
            let message = Self.checkpointMessage(seq: checkpoint.sequence, hash: checkpoint.chainHash,
                                                 millis: checkpoint.unixMillis)
            #expect(try exported.isValidSignature(checkpoint.signature, for: message, algorithm: .ed25519))
            var other = message
            other[38] ^= 1
            #expect(try !exported.isValidSignature(checkpoint.signature, for: other, algorithm: .ed25519))
            // The chain hash is the hash of the record at that seq in the file.
            let record = try #require(try AuditFile(path: server.auditPath).records.first {
                ($0["seq"] as? NSNumber)?.uint64Value == checkpoint.sequence
            })
            #expect(record["hash"] as? String == checkpoint.chainHash.map { String(format: "%02x", $0) }.joined())

            let pending = try await admin.admin.listPending(ListPendingRequest())
            #expect(pending.operations.isEmpty)
            let calls: [(String, () async throws -> Void)] = [
                ("Backup", { _ = try await admin.admin.backup(BackupRequest(keyNames: ["data-aes"])) }),
                ("Restore", { _ = try await admin.admin.restore(RestoreRequest(bundle: [1])) }),
                ("ProposeOperation", { _ = try await admin.admin.proposeOperation(ProposeOperationRequest(operation: .backup)) }),
                ("Approve", { _ = try await admin.admin.approve(ApproveRequest(operationId: "x")) }),
            ]
            // This server has no custody section: quorum operations are refused with a reason that says so.
            let reasons = ["Backup": "VAULT_NOT_CONFIGURED", "Restore": "VAULT_NOT_CONFIGURED",
                           "ProposeOperation": "QUORUM_NOT_CONFIGURED", "Approve": "QUORUM_NOT_CONFIGURED"]
            for (method, call) in calls {
                await expectStatus(.failedPrecondition, reason: reasons[method], "\(method)") { try await call() }
            }
        }
    }

    /// docs/AUDIT.md §4: domain string, 0x00, covers_seq (BE u64), covers_hash, time (BE i64 ms).
    static func checkpointMessage(seq: UInt64, hash: [UInt8], millis: Int64) -> [UInt8] {
        var bytes = Array("PersonaHSM audit checkpoint v1".utf8) + [0]
        bytes += (0..<8).map { UInt8(truncatingIfNeeded: seq >> (56 - 8 * UInt64($0))) }
        bytes += hash
        bytes += (0..<8).map { UInt8(truncatingIfNeeded: UInt64(bitPattern: millis) >> (56 - 8 * UInt64($0))) }
        return bytes
    }
}
