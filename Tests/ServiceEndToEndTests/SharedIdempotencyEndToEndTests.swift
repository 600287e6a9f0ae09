// A shared idempotency record is input from the shared-state token, not trusted output: an
// in-process server with `shared_state` honours a record another instance wrote only when its
// signature verifies for the request under the key's public key. A forged record (as written by
// anyone with access to the token) is ignored and the call is signed anew; a genuine one is
// replayed and audited as a replay.

import Foundation
import KeyRegistry
import PKCS11
import PersonaClient
import PersonaProtos
import PersonaServer
import PersonaServices
import RPCCore
import SoftCrypto
import Testing
import TestSupport

@Suite("Shared idempotency records end to end")
struct SharedIdempotencyEndToEndTests {
    @Test("a forged record is ignored and signed anew; a genuine one is replayed")
    func forgedRecordIsNotReturned() async throws {
        let stateToken = try TestHSM.token("e2e-idem-state")
        let server = try await InProcessServer.start(
            tokenLabel: "e2e-idem",
            sharedState: SharedStateConfig(module: DevToken.defaultModulePath, token: "e2e-idem-state",
                                           pinFile: TestHSM.folder + "/user.pin", pinEnv: nil))
        do {
            let admin = try server.connect(as: "admin")
            _ = try await admin.keys.createKey(CreateKeyRequest(name: "idem-e2e", algorithm: .ecdsaP256Sha256))
            let issuer = try server.connect(as: "issuer")
            let publicKey = try SoftCrypto.PublicKey(
                spkiDER: try await issuer.keys.getPublicKey(GetPublicKeyRequest(name: "idem-e2e")).data)
            // "Another instance": a record log of its own on the same state token.
            let other = SharedRecordLog(token: stateToken, pin: try TestHSM.pin(), instance: "other")
            func plant(_ idempotencyKey: String, _ request: SignRequest, signature: [UInt8]) async throws {
                let response = SignResponse(keyName: "idem-e2e", version: 1, signature: signature)
                let record = SharedIdempotencyRecord(
                    key: "\(InProcessServer.identity("issuer"))|idem-e2e|\(idempotencyKey)",
                    digest: SHA256.hash(request.serializedBytes()), response: response.serializedBytes(),
                    expires: Date().timeIntervalSince1970 + 60)
                try await other.append(SharedIdempotencyRecord.encode([record]), expires: record.expires)
            }

            let forgedRequest = SignRequest(keyName: "idem-e2e", input: .data(Array("forged".utf8)))
            try await plant("k-forged", forgedRequest, signature: [UInt8](repeating: 7, count: 64))
            let signed = try await issuer.signing.sign(forgedRequest, options: CallOptions(idempotencyKey: "k-forged"))
            #expect(signed.signature != [UInt8](repeating: 7, count: 64), "the forged signature was not returned")
            #expect(try publicKey.isValidSignature(signed.signature, for: Array("forged".utf8),
                                                   algorithm: SignatureAlgorithm.ecdsaP256SHA256(.raw)))

            // A valid signature of another message under the same key is no better.
            let otherMessage = SignRequest(keyName: "idem-e2e", input: .data(Array("something else".utf8)))
            let foreign = try await issuer.signing.sign(otherMessage).signature
            let wantedRequest = SignRequest(keyName: "idem-e2e", input: .data(Array("wanted".utf8)))
            try await plant("k-foreign", wantedRequest, signature: foreign)
            let wanted = try await issuer.signing.sign(wantedRequest, options: CallOptions(idempotencyKey: "k-foreign"))
            #expect(wanted.signature != foreign)

            // A genuine first result of another instance is replayed byte for byte.
            let genuineRequest = SignRequest(keyName: "idem-e2e", input: .data(Array("genuine".utf8)))
            let genuine = try await issuer.signing.sign(genuineRequest).signature
            try await plant("k-genuine", genuineRequest, signature: genuine)
            let replayed = try await issuer.signing.sign(genuineRequest, options: CallOptions(idempotencyKey: "k-genuine"))
            #expect(replayed.signature == genuine)
            let metrics = server.server.metrics.render()
            #expect(metrics.contains("personahsm_shared_idempotency_rejected_total 2"), "\(metrics.count)")
            #expect(metrics.contains("personahsm_shared_idempotency_replays_total 1"))
        } catch {
            await server.shutdown()
            throw error
        }
        await server.shutdown()
        let audit = (try? String(contentsOfFile: server.auditPath, encoding: .utf8)) ?? ""
        let replays = audit.split(separator: "\n").filter { $0.contains("\"idempotent_replay\":\"shared\"") }
        #expect(replays.count == 1)
    }
}
