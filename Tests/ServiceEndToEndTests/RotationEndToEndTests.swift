// Automatic rotation on a simulated clock, end to end: after 90 days the server's maintenance
// makes version 2 primary, new signatures say version 2, signatures made by version 1 still
// verify through Verify, and the Ed25519 version 1 (whose did:key cannot rotate) is verify-only.

import Credentials
import Foundation
import PersonaProtos
import RPCCore
import SoftCrypto
import Testing

@Suite("Rotation on a simulated clock")
struct RotationEndToEndTests {
    @Test("90 days later: version 2 signs, version 1 signatures still verify, v1 did:key is verify-only")
    func rotation() async throws {
        try await InProcessServer.with(tokenLabel: "e2e-rotation") { server in
            let admin = try server.connect(as: "admin")
            let issuer = try server.connect(as: "issuer")
            let created = try await admin.keys.createKey(CreateKeyRequest(name: "issuer-did", algorithm: .ed25519))
            _ = try await admin.keys.createKey(CreateKeyRequest(name: "issuer-p256", algorithm: .ecdsaP256Sha256))
            _ = try await admin.keys.createKey(CreateKeyRequest(name: "no-rotation", algorithm: .ed25519,
                                                                disableRotation: true))
            #expect(created.rotationPeriodSeconds == 90 * 86_400)
            let oldMessage = Array("signed before rotation".utf8)
            let old = try await issuer.signing.sign(SignRequest(keyName: "issuer-did", input: .data(oldMessage)))
            let oldP256 = try await issuer.signing.sign(SignRequest(keyName: "issuer-p256", input: .data(oldMessage)))
            #expect(old.version == 1 && oldP256.version == 1)
            let v1DID = try #require(created.versions.first?.didKey)

            server.clock.advance(days: 89)
            #expect(await server.server.runMaintenance().isEmpty, "nothing is due after 89 days")
            server.clock.advance(days: 1.01)
            let events = await server.server.runMaintenance()
            #expect(events.contains(.rotated(name: "issuer-did", version: 2)), "\(events)")
            #expect(events.contains(.rotated(name: "issuer-p256", version: 2)), "\(events)")
            #expect(!events.contains { if case .rotated(let name, _) = $0 { name == "no-rotation" } else { false } })
            #expect(!events.contains { if case .rotated(let name, _) = $0 { name == "audit-checkpoints" } else { false } },
                    "the audit key never rotates by itself")

            let key = try await admin.keys.getKey(GetKeyRequest(name: "issuer-did"))
            #expect(key.primaryVersion == 2)
            #expect(key.versions.map(\.state) == [.verifyOnly, .enabled])
            #expect(key.nextRotationUnixMillis == server.clock.now + 90 * 86_400_000)
            let v2DID = key.versions[1].didKey
            #expect(v2DID.hasPrefix("did:key:z6Mk") && v2DID != v1DID, "a new version is a new DID")
            #expect(key.versions[0].didKey == v1DID)

            let newMessage = Array("signed after rotation".utf8)
            let new = try await issuer.signing.sign(SignRequest(keyName: "issuer-did", input: .data(newMessage)))
            #expect(new.version == 2)
            #expect(new.verificationMethod == (try DIDKey(did: v2DID)).verificationMethodID)
            let v2Key = try DIDKey(did: v2DID).publicKey
            #expect(try v2Key.isValidSignature(new.signature, for: newMessage, algorithm: .ed25519))
            let newP256 = try await issuer.signing.sign(SignRequest(keyName: "issuer-p256", input: .data(newMessage)))
            #expect(newP256.version == 2)

            // Old signatures still verify, through Verify with version 0 (any version) and pinned to v1.
            let anyVersion = try await issuer.signing.verify(VerifyRequest(keyName: "issuer-did", input: .data(oldMessage),
                                                                           signature: old.signature))
            #expect(anyVersion.valid && anyVersion.version == 1)
            let pinned = try await issuer.signing.verify(VerifyRequest(keyName: "issuer-did", version: 1,
                                                                       input: .data(oldMessage), signature: old.signature))
            #expect(pinned.valid)
            let p256Old = try await issuer.signing.verify(VerifyRequest(keyName: "issuer-p256", input: .data(oldMessage),
                                                                        signature: oldP256.signature))
            #expect(p256Old.valid && p256Old.version == 1)
            #expect(try DIDKey(did: v1DID).publicKey.isValidSignature(old.signature, for: oldMessage, algorithm: .ed25519))

            // v1's did:key is verify-only: signing pinned to it fails, its public key is still served.
            let refused = await expectStatus(.failedPrecondition, reason: "KEY_VERIFY_ONLY", "signing with the verify-only v1") {
                try await issuer.signing.sign(SignRequest(keyName: "issuer-did", version: 1, input: .data(newMessage)))
            }
            #expect(refused?.message.contains("verify") == true, "\(String(describing: refused))")
            let v1Public = try await issuer.keys.getPublicKey(GetPublicKeyRequest(name: "issuer-did", version: 1,
                                                                                  format: .raw))
            #expect(try DIDKey(ed25519Raw: v1Public.data).did == v1DID)
            #expect(await server.server.runMaintenance().isEmpty, "nothing more is due right after rotating")
            let after = try await admin.keys.getKey(GetKeyRequest(name: "issuer-did"))
            #expect(after.versions.map(\.state) == [.verifyOnly, .enabled])
        }
    }
}
