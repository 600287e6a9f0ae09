// Every error path the acceptance criteria name, with its exact status code, over the wire:
// unknown key, wrong algorithm, disabled key, destroyed key, oversized and empty batches,
// malformed digest length and wrong role (whose denial must reach the audit log).

import Foundation
import PersonaProtos
import RPCCore
import SoftCrypto
import Testing

@Suite("Error paths end to end", .serialized)
struct ErrorPathEndToEndTests {
    static func withServer(_ body: (InProcessServer) async throws -> Void) async throws {
        try await InProcessServer.with(
            tokenLabel: "e2e-errors",
            keys: [("err-ed25519", .ed25519), ("err-p256", .ecdsaP256Sha256), ("err-rsa", .rsa2048Pkcs1Sha256),
                   ("err-aes", .aes256Gcm), ("err-disabled", .ed25519), ("err-destroyed", .ecdsaP256Sha256)],
            maxBatchRequest: batchLimit, body)
    }

    static let batchLimit = 8
    let message = Array("error paths".utf8)

    @Test("Unknown key: NOT_FOUND on every method that names a key")
    func unknownKey() async throws {
        try await Self.withServer { server in
            let admin = try server.connect(as: "admin")
            await expectStatus(.notFound) { try await admin.signing.sign(SignRequest(keyName: "nope", input: .data(message))) }
            await expectStatus(.notFound) {
                try await admin.signing.verify(VerifyRequest(keyName: "nope", input: .data(message), signature: [1]))
            }
            await expectStatus(.notFound) { try await admin.keys.getKey(GetKeyRequest(name: "nope")) }
            await expectStatus(.notFound) { try await admin.keys.getPublicKey(GetPublicKeyRequest(name: "nope")) }
            await expectStatus(.notFound) { try await admin.crypto.encrypt(EncryptRequest(keyName: "nope", plaintext: [1])) }
            await expectStatus(.notFound, "unknown version") {
                try await admin.signing.sign(SignRequest(keyName: "err-ed25519", version: 42, input: .data(message)))
            }
        }
    }

    @Test("Wrong algorithm: a key or encoding that cannot do the operation")
    func wrongAlgorithm() async throws {
        try await Self.withServer { server in
            let admin = try server.connect(as: "admin")
            let aes = await expectStatus(.failedPrecondition, reason: "WRONG_KEY_PURPOSE", "sign with an AES key") {
                try await admin.signing.sign(SignRequest(keyName: "err-aes", input: .data(message)))
            }
            #expect(aes?.message.contains("err-aes") == true)
            await expectStatus(.failedPrecondition, reason: "WRONG_KEY_PURPOSE", "verify with an AES key") {
                try await admin.signing.verify(VerifyRequest(keyName: "err-aes", input: .data(message), signature: [0]))
            }
            await expectStatus(.failedPrecondition, reason: "WRONG_KEY_PURPOSE", "encrypt with a signing key") {
                try await admin.crypto.encrypt(EncryptRequest(keyName: "err-ed25519", plaintext: message))
            }
            await expectStatus(.failedPrecondition, reason: "NO_PUBLIC_KEY", "public key of an AES key") {
                try await admin.keys.getPublicKey(GetPublicKeyRequest(name: "err-aes"))
            }
            await expectStatus(.invalidArgument, "DER encoding asked of an Ed25519 key") {
                try await admin.signing.sign(SignRequest(keyName: "err-ed25519", input: .data(message), encoding: .der))
            }
            await expectStatus(.invalidArgument, "RAW_R_S asked of an RSA key") {
                try await admin.signing.sign(SignRequest(keyName: "err-rsa", input: .data(message), encoding: .rawRS))
            }
            await expectStatus(.invalidArgument, "a digest for Ed25519, which signs the message itself") {
                try await admin.signing.sign(SignRequest(keyName: "err-ed25519", input: .digestSha256(SHA256.hash(message))))
            }
            await expectStatus(.invalidArgument, "unknown encoding value") {
                try await admin.signing.sign(SignRequest(keyName: "err-p256", input: .data(message),
                                                         encoding: SignatureEncoding(rawValue: 9)))
            }
            await expectStatus(.invalidArgument, "no input at all") {
                try await admin.signing.sign(SignRequest(keyName: "err-p256"))
            }
        }
    }

    @Test("Malformed digest length: INVALID_ARGUMENT with reason MALFORMED_DIGEST")
    func malformedDigest() async throws {
        try await Self.withServer { server in
            let admin = try server.connect(as: "admin")
            for length in [0, 20, 31, 33, 64] {
                await expectStatus(.invalidArgument, reason: "MALFORMED_DIGEST", "sign, \(length)-byte digest") {
                    try await admin.signing.sign(SignRequest(keyName: "err-p256",
                                                             input: .digestSha256([UInt8](repeating: 7, count: length))))
                }
                await expectStatus(.invalidArgument, reason: "MALFORMED_DIGEST", "verify, \(length)-byte digest") {
                    try await admin.signing.verify(VerifyRequest(keyName: "err-rsa",
                                                                 input: .digestSha256([UInt8](repeating: 7, count: length)),
                                                                 signature: [1, 2]))
                }
            }
        }
    }

    @Test("Disabled key: FAILED_PRECONDITION for signing, until it is enabled again")
    func disabledKey() async throws {
        try await Self.withServer { server in
            let admin = try server.connect(as: "admin")
            let signed = try await admin.signing.sign(SignRequest(keyName: "err-disabled", input: .data(message)))
            _ = try await admin.keys.disableKeyVersion(KeyVersionRef(name: "err-disabled", version: 1))
            let error = await expectStatus(.failedPrecondition, reason: "KEY_DISABLED") {
                try await admin.signing.sign(SignRequest(keyName: "err-disabled", input: .data(message)))
            }
            #expect(error?.message.contains("disabled") == true, "\(String(describing: error))")
            await expectStatus(.failedPrecondition, "a disabled version does not verify either") {
                try await admin.signing.verify(VerifyRequest(keyName: "err-disabled", version: 1, input: .data(message),
                                                             signature: signed.signature))
            }
            _ = try await admin.keys.enableKeyVersion(KeyVersionRef(name: "err-disabled", version: 1))
            let again = try await admin.signing.sign(SignRequest(keyName: "err-disabled", input: .data(message)))
            #expect(again.version == 1)
        }
    }

    @Test("Destroyed key: scheduled destruction, maintenance destroys it, every use fails")
    func destroyedKey() async throws {
        try await Self.withServer { server in
            let admin = try server.connect(as: "admin")
            let name = "err-destroyed"
            let signed = try await admin.signing.sign(SignRequest(keyName: name, input: .data(message)))
            _ = try await admin.keys.scheduleDestruction(ScheduleDestructionRequest(name: name, version: 1, waitSeconds: 1))
            await expectStatus(.failedPrecondition, reason: "KEY_DESTRUCTION_SCHEDULED", "scheduled for destruction: no signing") {
                try await admin.signing.sign(SignRequest(keyName: name, input: .data(message)))
            }
            // The wait runs on the registry's (simulated) clock: move it past the wait, then run the
            // maintenance the server would run on its next tick.
            server.clock.advance(days: 1)
            let events = await server.server.runMaintenance()
            #expect(events.contains(.destroyed(name: name, version: 1)), "\(events)")
            let key = try await admin.keys.getKey(GetKeyRequest(name: name))
            #expect(key.versions.first?.state == .destroyed)
            await expectStatus(.failedPrecondition, reason: "KEY_DESTROYED", "signing with a destroyed key") {
                try await admin.signing.sign(SignRequest(keyName: name, input: .data(message)))
            }
            await expectStatus(.failedPrecondition, "verifying with a destroyed key") {
                try await admin.signing.verify(VerifyRequest(keyName: name, version: 1, input: .data(message),
                                                             signature: signed.signature))
            }
            await expectStatus(.failedPrecondition, reason: "KEY_DESTROYED", "public key of a destroyed version") {
                try await admin.keys.getPublicKey(GetPublicKeyRequest(name: name, version: 1))
            }
            await expectStatus(.failedPrecondition, "a destroyed version cannot come back") {
                try await admin.keys.enableKeyVersion(KeyVersionRef(name: name, version: 1))
            }
        }
    }

    @Test("Oversized and empty batches: INVALID_ARGUMENT")
    func batchSizes() async throws {
        try await Self.withServer { server in
            let admin = try server.connect(as: "admin")
            let item = SignRequest(keyName: "err-ed25519", input: .data(message))
            await expectStatus(.invalidArgument, reason: "EMPTY_BATCH") {
                try await admin.signing.signBatch(SignBatchRequest(requests: []))
            }
            await expectStatus(.invalidArgument, reason: "BATCH_TOO_LARGE") {
                try await admin.signing.signBatch(SignBatchRequest(requests: Array(repeating: item, count: Self.batchLimit + 1)))
            }
            await expectStatus(.invalidArgument, reason: "EMPTY_BATCH") {
                try await admin.signing.verifyBatch(VerifyBatchRequest(requests: []))
            }
            let verify = VerifyRequest(keyName: "err-ed25519", input: .data(message), signature: [0])
            await expectStatus(.invalidArgument, reason: "BATCH_TOO_LARGE") {
                try await admin.signing.verifyBatch(VerifyBatchRequest(requests: Array(repeating: verify,
                                                                                       count: Self.batchLimit + 1)))
            }
            let full = try await admin.signing.signBatch(SignBatchRequest(requests: Array(repeating: item,
                                                                                          count: Self.batchLimit)))
            #expect(full.results.count == Self.batchLimit, "exactly the limit is accepted")
        }
    }

    @Test("Wrong role: PERMISSION_DENIED, and the denial is in the audit log")
    func wrongRole() async throws {
        try await Self.withServer { server in
            let verifier = try server.connect(as: "verifier")
            let auditor = try server.connect(as: "auditor")
            let issuer = try server.connect(as: "issuer")
            await expectStatus(.permissionDenied, "verifier signs") {
                try await verifier.signing.sign(SignRequest(keyName: "err-ed25519", input: .data(message)))
            }
            await expectStatus(.permissionDenied, "auditor creates a key") {
                try await auditor.keys.createKey(CreateKeyRequest(name: "auditor-key", algorithm: .ed25519))
            }
            await expectStatus(.permissionDenied, "issuer rotates") {
                try await issuer.keys.rotateKey(RotateKeyRequest(name: "err-ed25519"))
            }
            await expectStatus(.permissionDenied, "issuer asks for a checkpoint") {
                try await issuer.admin.checkpointAudit(AuditCheckpointRequest())
            }
            let denial = try await AuditFile.waitFor(path: server.auditPath) { record in
                record["identity"] as? String == InProcessServer.identity("verifier")
                    && (record["method"] as? String)?.hasSuffix("SigningService/Sign") == true
                    && record["outcome"] as? String == "PERMISSION_DENIED"
            }
            #expect(denial != nil, "the verifier's denied Sign is audited")
            let rotateDenial = try await AuditFile.waitFor(path: server.auditPath) { record in
                record["identity"] as? String == InProcessServer.identity("issuer")
                    && (record["method"] as? String)?.hasSuffix("KeyService/RotateKey") == true
                    && record["outcome"] as? String == "PERMISSION_DENIED"
            }
            #expect(rotateDenial != nil, "the issuer's denied RotateKey is audited")
        }
    }
}
