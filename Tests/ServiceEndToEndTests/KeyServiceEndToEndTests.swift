// KeyService over the wire against a real server and token: every RPC, public keys in every format
// checked independently (SoftCrypto parses SPKI, PEM and JWK; the raw Ed25519 key must give the
// did:key the server reports), life-cycle changes and their error codes.

import Credentials
import Foundation
import PersonaProtos
import RPCCore
import SoftCrypto
import Testing

@Suite("KeyService end to end", .serialized)
struct KeyServiceEndToEndTests {
    static func withServer(_ body: (InProcessServer) async throws -> Void) async throws {
        try await InProcessServer.with(tokenLabel: "e2e-keys", body)
    }

    @Test("GetPublicKey in every format, checked independently", arguments: [
        (PersonaProtos.Algorithm.ed25519, "pub-ed25519"), (.ecdsaP256Sha256, "pub-p256"), (.rsa2048PssSha256, "pub-rsa"),
    ])
    func publicKeyFormats(algorithm: PersonaProtos.Algorithm, name: String) async throws {
        try await Self.withServer { server in
            let admin = try server.connect(as: "admin")
            let verifier = try server.connect(as: "verifier")
            _ = try await admin.keys.createKey(CreateKeyRequest(name: name, algorithm: algorithm))
            func fetch(_ format: PublicKeyFormat) async throws -> PersonaProtos.PublicKey {
                try await verifier.keys.getPublicKey(GetPublicKeyRequest(name: name, format: format))
            }
            let der = try await fetch(.spkiDer)
            #expect(der.version == 1 && der.algorithm == algorithm && der.format == .spkiDer)
            let key = try SoftCrypto.PublicKey(spkiDER: der.data)
            let defaulted = try await fetch(.unspecified)
            #expect(defaulted.data == der.data, "UNSPECIFIED means SPKI DER")
            let pem = try await fetch(.spkiPem)
            #expect(try SoftCrypto.PublicKey(pem: String(decoding: pem.data, as: UTF8.self)).spkiDER == der.data)
            let jwk = try await fetch(.jwk)
            #expect(try SoftCrypto.PublicKey(jwk: jwk.data).spkiDER == der.data)

            // A signature from the server verifies under the exported key.
            let issuer = try server.connect(as: "issuer")
            let message = Array("exported keys verify".utf8)
            let signed = try await issuer.signing.sign(SignRequest(keyName: name, input: .data(message)))
            #expect(try key.isValidSignature(signed.signature, for: message, algorithm: Self.scheme(algorithm)))

            switch algorithm {
            case .ed25519:
                let raw = try await fetch(.raw)
                #expect(raw.data.count == 32)
                let did = try DIDKey(ed25519Raw: raw.data)
                #expect(did.did == raw.didKey, "raw key and did:key agree")
                #expect(did.did == der.didKey)
                #expect(signed.verificationMethod == did.verificationMethodID)
            case .ecdsaP256Sha256:
                let raw = try await fetch(.raw)
                #expect(raw.data.count == 65 && raw.data.first == 0x04)
                #expect(try SoftCrypto.PublicKey(p256Point: raw.data).spkiDER == der.data)
                #expect(der.didKey.isEmpty)
            default:
                await expectStatus(.invalidArgument, "RAW is not defined for RSA") { try await fetch(.raw) }
            }
            await expectStatus(.notFound) {
                try await verifier.keys.getPublicKey(GetPublicKeyRequest(name: name, version: 9))
            }
        }
    }

    @Test("RotateKey, Disable/EnableKeyVersion, ScheduleDestruction, CancelDestruction, ImportKey")
    func lifeCycle() async throws {
        try await Self.withServer { server in
            let admin = try server.connect(as: "admin")
            let name = "life-p256"
            _ = try await admin.keys.createKey(CreateKeyRequest(name: name, algorithm: .ecdsaP256Sha256))
            let rotated = try await admin.keys.rotateKey(RotateKeyRequest(name: name))
            #expect(rotated.primaryVersion == 2)
            #expect(rotated.versions.map(\.state) == [.enabled, .enabled], "ECDSA versions stay enabled after rotation")

            let disabled = try await admin.keys.disableKeyVersion(KeyVersionRef(name: name, version: 1))
            #expect(disabled.versions.first { $0.version == 1 }?.state == .disabled)
            let enabled = try await admin.keys.enableKeyVersion(KeyVersionRef(name: name, version: 1))
            #expect(enabled.versions.first { $0.version == 1 }?.state == .enabled)

            let scheduled = try await admin.keys.scheduleDestruction(ScheduleDestructionRequest(name: name, version: 1,
                                                                                               waitSeconds: 3600))
            let v1 = try #require(scheduled.versions.first { $0.version == 1 })
            #expect(v1.state == .destructionScheduled)
            #expect(v1.destroyAfterUnixMillis - server.clock.now == 3_600_000)
            let cancelled = try await admin.keys.cancelDestruction(KeyVersionRef(name: name, version: 1))
            #expect(cancelled.versions.first { $0.version == 1 }?.state == .disabled,
                    "a cancelled destruction leaves the version disabled until someone enables it")
            #expect(cancelled.versions.first { $0.version == 1 }?.destroyAfterUnixMillis == 0)
            await expectStatus(.failedPrecondition, "cancelling what is not scheduled") {
                try await admin.keys.cancelDestruction(KeyVersionRef(name: name, version: 2))
            }
            await expectStatus(.notFound) { try await admin.keys.rotateKey(RotateKeyRequest(name: "no-such-key")) }
            await expectStatus(.notFound) {
                try await admin.keys.disableKeyVersion(KeyVersionRef(name: name, version: 7))
            }

            // ImportKey's success paths live in ImportKeyEndToEndTests; here the malformed-input one.
            let error = await expectStatus(.invalidArgument, reason: "INVALID_PKCS8") {
                try await admin.keys.importKey(ImportKeyRequest(name: "imported", purpose: .signVerify, algorithm: .ed25519,
                                                                material: .plaintextPkcs8([0x30, 0x00])))
            }
            #expect(error?.message.contains("PKCS#8") == true)
        }
    }

    static func scheme(_ algorithm: PersonaProtos.Algorithm) -> SignatureAlgorithm {
        switch algorithm {
        case .ed25519: .ed25519
        case .ecdsaP256Sha256: .ecdsaP256SHA256(.raw)
        case .rsa2048Pkcs1Sha256, .rsa3072Pkcs1Sha256: .rsaPKCS1v15SHA256
        default: .rsaPSSSHA256(saltLength: 32)
        }
    }
}
