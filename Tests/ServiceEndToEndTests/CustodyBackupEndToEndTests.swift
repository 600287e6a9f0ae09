// Backup and restore over the wire with real SoftHSM2 tokens: back up Ed25519, P-256 and AES
// keys, wipe the key token (every object destroyed, server restarted), check that a tampered
// bundle is refused with nothing restored, restore the real one, and check that every key signs
// (or decrypts) again and the signatures made before the wipe still verify. Escrow: a bundle of a
// per-credential master key restores only under an ESCROW_RECOVERY operation.

import Custody
import Foundation
import PKCS11
import PersonaClient
import PersonaProtos
import PersonaServer
import RPCCore
import SoftCrypto
import Testing
import TestSupport

@Suite("Custody: backup, restore and escrow end to end", .serialized)
struct CustodyBackupEndToEndTests {
    static let token = "e2e-backup"

    static func start() async throws -> InProcessServer {
        try await InProcessServer.start(tokenLabel: token, custody: try CustodyQuorumEndToEndTests.custody(vault: "e2e-backup-vault"))
    }

    /// Proposes `kind` for `request`, has admin and admin2 approve it, and returns the operation id.
    static func approved(_ server: InProcessServer, _ kind: QuorumOperation, _ request: [UInt8]) async throws -> String {
        let admin = try server.connect(as: "admin")
        let op = try await admin.admin.proposeOperation(ProposeOperationRequest(operation: kind, request: request))
        for who in ["admin", "admin2"] {
            _ = try await server.connect(as: who).admin.approve(ApproveRequest(operationId: op.operationId,
                                                                               requestSha256: op.requestSha256))
        }
        return op.operationId
    }

    static func backup(_ server: InProcessServer, _ names: [String]) async throws -> BackupResponse {
        let request = BackupRequest(keyNames: names)
        let id = try await approved(server, .backup, request.serializedBytes())
        return try await server.connect(as: "admin").admin.backup(BackupRequest(keyNames: names, operationId: id))
    }

    /// Destroys every object on the key token (the wipe of the acceptance test).
    static func wipeToken() throws {
        let session = try TestHSM.token(token).openSession()
        for object in try session.findObjects([], limit: 1_000_000) { try session.destroyObject(object) }
        #expect(try session.findObjects([], limit: 10).isEmpty)
    }

    @Test("backup, wipe the token, restore: every key signs again and old signatures verify; tampering is refused")
    func roundTrip() async throws {
        let message = Array("credential subject: did:example:123".utf8)
        let signers: [(String, PersonaProtos.Algorithm)] = [("backup-ed", .ed25519), ("backup-p256", .ecdsaP256Sha256)]
        var oldSignatures: [String: [UInt8]] = [:]
        var publicKeys: [String: [UInt8]] = [:]
        var sealed: EncryptResponse?
        var bundle: BackupResponse?
        var unbackedID = ""

        var server = try await Self.start()
        do {
            let admin = try server.connect(as: "admin")
            for (name, algorithm) in signers + [("backup-aes", .aes256Gcm)] {
                _ = try await admin.keys.createKey(CreateKeyRequest(name: name, algorithm: algorithm, allowBackup: true))
            }
            _ = try await admin.keys.createKey(CreateKeyRequest(name: "backup-never", algorithm: .ed25519))
            unbackedID = try server.server.registry.key("backup-never").versions[0].hsmID
            for (name, _) in signers {
                oldSignatures[name] = try await admin.signing.sign(SignRequest(keyName: name, input: .data(message))).signature
                publicKeys[name] = try await admin.keys.getPublicKey(GetPublicKeyRequest(name: name)).data
            }
            sealed = try await admin.crypto.encrypt(EncryptRequest(keyName: "backup-aes", plaintext: message))
            await expectStatus(.failedPrecondition, reason: "BACKUP_NOT_ALLOWED", "key without allow_backup") {
                try await admin.admin.backup(BackupRequest(keyNames: ["backup-never"], operationId: "op-x"))
            }
            bundle = try await Self.backup(server, [])
            await server.shutdown()
        } catch {
            await server.shutdown()
            throw error
        }
        let response = try #require(bundle)
        #expect(response.keyNames == ["backup-aes", "backup-ed", "backup-p256"])
        #expect(response.bundleSha256 == SHA256.hash(response.bundle))
        let header = try BackupBundle(serialized: response.bundle).header
        #expect(header.kind == "backup" && header.sealKeyLabel == BackupVault.backupKeyLabel)
        // The payload is sealed: none of its structure (nor the registry metadata) reads in the bundle.
        #expect(response.bundle.firstRange(of: Array("partitionFiles".utf8)) == nil)
        #expect(response.bundle.firstRange(of: Array("hsmID".utf8)) == nil)

        try Self.wipeToken()
        server = try await Self.start()
        do {
            let admin = try server.connect(as: "admin")
            let names = try await admin.keys.listKeys(ListKeysRequest()).keys.map(\.name)
            #expect(!names.contains("backup-ed") && !names.contains("backup-aes"), "wipe left keys: \(names)")

            // A tampered bundle (one bit of the ciphertext) fails its GCM tag: nothing is restored.
            var tampered = response.bundle
            tampered[tampered.count - 5] ^= 0x01
            let tamperedID = try await Self.approved(server, .restore, RestoreRequest(bundle: tampered).serializedBytes())
            await expectStatus(.dataLoss, reason: "BUNDLE_INTEGRITY", "tampered bundle") {
                try await admin.admin.restore(RestoreRequest(bundle: tampered, operationId: tamperedID))
            }
            // A changed header is caught the same way (it is the GCM associated data).
            var relabelled = response.bundle
            let at = try #require(relabelled.firstRange(of: Array("backup-ed".utf8))).lowerBound
            relabelled[at] = UInt8(ascii: "B")
            let relabelledID = try await Self.approved(server, .restore, RestoreRequest(bundle: relabelled).serializedBytes())
            await expectStatus(.dataLoss, reason: "BUNDLE_INTEGRITY", "tampered header") {
                try await admin.admin.restore(RestoreRequest(bundle: relabelled, operationId: relabelledID))
            }
            let afterTamper = try await admin.keys.listKeys(ListKeysRequest()).keys.map(\.name)
            #expect(!afterTamper.contains("backup-ed"), "a tampered bundle restored something: \(afterTamper)")

            let id = try await Self.approved(server, .restore, RestoreRequest(bundle: response.bundle).serializedBytes())
            let restored = try await admin.admin.restore(RestoreRequest(bundle: response.bundle, operationId: id))
            #expect(restored.restoredKeys.sorted() == ["backup-aes", "backup-ed", "backup-p256"])
            #expect(restored.skippedKeys.isEmpty)

            for (name, _) in signers {
                let key = try await admin.keys.getPublicKey(GetPublicKeyRequest(name: name))
                #expect(key.data == publicKeys[name], "\(name) came back with another public key")
                let old = try await admin.signing.verify(VerifyRequest(keyName: name, input: .data(message),
                                                                       signature: oldSignatures[name]!))
                #expect(old.valid, "old signature of \(name) no longer verifies")
                let fresh = try await admin.signing.sign(SignRequest(keyName: name, input: .data(message)))
                let check = try await admin.signing.verify(VerifyRequest(keyName: name, input: .data(message),
                                                                         signature: fresh.signature))
                #expect(check.valid, "\(name) does not sign after restore")
                let parsed = try SoftCrypto.PublicKey(spkiDER: publicKeys[name]!)
                let algorithm: SignatureAlgorithm = name == "backup-ed" ? .ed25519 : .ecdsaP256SHA256(.raw)
                #expect(try parsed.isValidSignature(fresh.signature, for: message, algorithm: algorithm),
                        "\(name): the new signature does not verify under the pre-wipe public key")
            }
            let box = try #require(sealed)
            let opened = try await admin.crypto.decrypt(DecryptRequest(keyName: "backup-aes", version: box.version,
                                                                       iv: box.iv, ciphertext: box.ciphertext))
            #expect(opened.plaintext == message)

            // The key without allow_backup stays gone, and its objects were not revived.
            #expect(try await admin.keys.listKeys(ListKeysRequest()).keys.contains { $0.name == "backup-never" } == false)
            let session = try TestHSM.token(Self.token).openSession()
            #expect(try session.findObjects([.bytes(.id, [UInt8](hexString: unbackedID)!)]).isEmpty)

            // The approval was used up: the same operation cannot restore twice.
            await expectStatus(.failedPrecondition, reason: "ALREADY_EXECUTED", "second restore, same approval") {
                try await admin.admin.restore(RestoreRequest(bundle: response.bundle, operationId: id))
            }
            await server.shutdown()
        } catch {
            await server.shutdown()
            throw error
        }
    }

    @Test("escrow of a per-credential master key: recovery needs an ESCROW_RECOVERY quorum")
    func escrowRecovery() async throws {
        let server = try await Self.start()
        do {
            let admin = try server.connect(as: "admin")
            if (try? server.server.registry.key("escrow-master")) == nil {
                _ = try await admin.keys.createKey(CreateKeyRequest(name: "escrow-master", purpose: .derive,
                                                                    algorithm: .aes256Gcm, allowBackup: true))
            }
            let escrow = try await Self.backup(server, ["escrow-master"])
            let header = try BackupBundle(serialized: escrow.bundle).header
            #expect(header.kind == "escrow" && header.sealKeyLabel == BackupVault.escrowKeyLabel)

            // Lose the master's material on the token (the registry still names it).
            let id = try #require([UInt8](hexString: try server.server.registry.key("escrow-master").versions[0].hsmID))
            let session = try TestHSM.token(Self.token).openSession()
            for object in try session.findObjects([.bytes(.id, id)]) { try session.destroyObject(object) }
            #expect(try session.findKey(id: id, objectClass: .secretKey) == nil)

            let request = RestoreRequest(bundle: escrow.bundle)
            let asRestore = try await Self.approved(server, .restore, request.serializedBytes())
            await expectStatus(.failedPrecondition, reason: "WRONG_OPERATION", "escrow under a RESTORE approval") {
                try await admin.admin.restore(RestoreRequest(bundle: escrow.bundle, operationId: asRestore))
            }
            let recovery = try await Self.approved(server, .escrowRecovery, request.serializedBytes())
            let outcome = try await admin.admin.restore(RestoreRequest(bundle: escrow.bundle, operationId: recovery))
            #expect(outcome.restoredKeys == ["escrow-master"])
            #expect(try session.findKey(id: id, objectClass: .secretKey) != nil)
            await server.shutdown()
        } catch {
            await server.shutdown()
            throw error
        }
    }
}
