// ImportKey over the wire. A Python client (pyca/cryptography, Tests/interop/import_wrap.py) wraps
// fresh RSA and P-256 keys under the import key the server publishes, as CKM_RSA_AES_KEY_WRAP defines; the
// token unwraps it and the imported key's signatures verify in Python against the public key the
// client kept. Dev-mode plaintext PKCS#8 import is checked byte for byte with Ed25519 (deterministic
// signatures), and a non-dev server refuses it. Every refusal has its status code and reason.

import Foundation
import KeyRegistry
import PKCS11
import PersonaClient
import PersonaProtos
import PersonaServices
import RPCCore
import SoftCrypto
import TestSupport
import Testing

@Suite("ImportKey end to end", .serialized)
struct ImportKeyEndToEndTests {
    static let tokenLabel = "e2e-import"

    /// Runs import_wrap.py for `kind`; returns (wrapped, public SPKI DER, PKCS#8 DER).
    static func wrapWithPython(importKeyPEM: [UInt8], kind: String, bits: Int = 2048, oaepHash: String = "sha1") throws
        -> (wrapped: [UInt8], spki: [UInt8], pkcs8: [UInt8])
    {
        let folder = NSTemporaryDirectory() + "personahsm-import-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try Data(importKeyPEM).write(to: URL(fileURLWithPath: folder + "/import.pem"))
        let (status, output) = try PythonCheck.runPython(script: "Tests/interop/import_wrap.py",
                                                         arguments: ["wrap", folder + "/import.pem", folder, kind, "\(bits)",
                                                                     oaepHash],
                                                         input: "")
        guard status == 0 else { throw RPCError(.internal, "import_wrap.py failed: \(output)") }
        func read(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name))) }
        return (try read("wrapped.bin"), try read("public.der"), try read("key.pkcs8"))
    }

    static func pythonVerifies(alg: String, spki: [UInt8], message: [UInt8], signature: [UInt8]) throws -> (Int32, String) {
        try PythonCheck.runPython(script: "Tests/interop/hsm_verify.py", input: "{\"alg\":\"\(alg)\",\"spki\":\""
                                  + "\(spki.hexString)\",\"msg\":\"\(message.hexString)\",\"sig\":\"\(signature.hexString)\"}\n")
    }

    /// Reads CKA_SENSITIVE, CKA_EXTRACTABLE and CKA_DERIVE of the private key behind `name` v1 on the token.
    static func protection(of name: String, server: InProcessServer) throws
        -> (sensitive: Bool, extractable: Bool, derive: Bool)
    {
        let id = try KeyRegistry.id(fromHex: try server.server.registry.key(name).versions[0].hsmID)
        let session = try TestHSM.token(tokenLabel).openSession()
        let key = try #require(try session.findKey(id: id, objectClass: .privateKey))
        let sensitive = try session.attribute(.sensitive, of: key)
        let extractable = try session.attribute(.extractable, of: key)
        let derive = try session.attribute(.derive, of: key)
        return (sensitive == [1], extractable == [1], derive == [1])
    }

    @Test("Wrapped RSA and P-256 import: unwrapped in the token, signatures verify in Python; refusals")
    func wrappedImport() async throws {
        try await InProcessServer.with(tokenLabel: Self.tokenLabel) { server in
            let admin = try server.connect(as: "admin")
            let issuer = try server.connect(as: "issuer")
            let importKey = try await issuer.keys.getPublicKey(GetPublicKeyRequest(name: KeyService.importKeyName,
                                                                                 format: .spkiPem))
            #expect(importKey.version == 1 && importKey.name == KeyService.importKeyName)
            let parsed = try SoftCrypto.PublicKey(pem: String(decoding: importKey.data, as: UTF8.self))
            #expect(parsed.kind == .rsa(bits: 3072))
            let again = try await issuer.keys.getPublicKey(GetPublicKeyRequest(name: KeyService.importKeyName))
            #expect(again.data == parsed.spkiDER, "the import key is created once and then kept")

            let suffix = UInt32.random(in: 0...UInt32.max)
            for (kind, algorithm, alg) in [("rsa", PersonaProtos.Algorithm.rsa2048Pkcs1Sha256, "rsaPKCS1SHA256"),
                                           ("rsa", .rsa2048PssSha256, "rsaPSSSHA256"),
                                           ("p256", .ecdsaP256Sha256, "ecdsaP256SHA256")] {
                let client = try Self.wrapWithPython(importKeyPEM: importKey.data, kind: kind)
                let name = "imported-\(alg.lowercased())-\(suffix)"
                let key = try await admin.keys.importKey(ImportKeyRequest(name: name, purpose: .signVerify, algorithm: algorithm,
                                                                          material: .wrappedPkcs8(client.wrapped),
                                                                          labels: ["origin": "byok"]))
                #expect(key.primaryVersion == 1 && key.versions.count == 1 && key.versions[0].state == .enabled)
                #expect(key.rotationPeriodSeconds == 0 && key.labels["origin"] == "byok")
                #expect(key.versions[0].backends == ["softhsm-test"])
                let marks = try Self.protection(of: name, server: server)
                #expect(marks.sensitive && !marks.extractable, "imported keys are sensitive and never extractable")
                #expect(!marks.derive, "CKA_DERIVE (needed to find a P-256 point) is off again")
                let served = try await issuer.keys.getPublicKey(GetPublicKeyRequest(name: name))
                #expect(served.data == client.spki, "the token holds the key the client wrapped")
                let message = Array("imported key signs \(name)".utf8)
                let signed = try await issuer.signing.sign(SignRequest(keyName: name, input: .data(message)))
                let (status, output) = try Self.pythonVerifies(alg: alg, spki: client.spki, message: message,
                                                               signature: signed.signature)
                #expect(status == 0, "\(output)")
                // And the digest form with the same key.
                let digestSigned = try await issuer.signing.sign(SignRequest(keyName: name,
                                                                             input: .digestSha256(SHA256.hash(message))))
                let (digestStatus, digestOutput) = try Self.pythonVerifies(alg: alg, spki: client.spki, message: message,
                                                                           signature: digestSigned.signature)
                #expect(digestStatus == 0, "\(digestOutput)")
            }

            let rsa = try Self.wrapWithPython(importKeyPEM: importKey.data, kind: "rsa")
            await expectStatus(.invalidArgument, reason: "UNWRAP_FAILED", "an RSA key announced as P-256") {
                try await admin.keys.importKey(ImportKeyRequest(name: "rsa-as-ec-\(suffix)", algorithm: .ecdsaP256Sha256,
                                                                material: .wrappedPkcs8(rsa.wrapped)))
            }
            await expectStatus(.permissionDenied, "issuer may not import") {
                try await issuer.keys.importKey(ImportKeyRequest(name: "by-issuer-\(suffix)", algorithm: .rsa2048Pkcs1Sha256,
                                                                 material: .wrappedPkcs8(rsa.wrapped)))
            }
            await expectStatus(.invalidArgument, reason: "IMPORT_ALGORITHM_MISMATCH", "RSA-2048 imported as RSA-3072") {
                try await admin.keys.importKey(ImportKeyRequest(name: "wrong-size-\(suffix)", algorithm: .rsa3072Pkcs1Sha256,
                                                                material: .wrappedPkcs8(rsa.wrapped)))
            }
            #expect(server.server.registry.list().contains { $0.name == "wrong-size-\(suffix)" } == false)
            var tampered = rsa.wrapped
            tampered[tampered.count - 5] ^= 0x01
            await expectStatus(.invalidArgument, reason: "UNWRAP_FAILED", "tampered AES-KWP part") {
                try await admin.keys.importKey(ImportKeyRequest(name: "tampered-\(suffix)", algorithm: .rsa2048Pkcs1Sha256,
                                                                material: .wrappedPkcs8(tampered)))
            }
            await expectStatus(.invalidArgument, reason: "UNWRAP_FAILED", "bytes not wrapped under the import key") {
                try await admin.keys.importKey(ImportKeyRequest(name: "garbage-\(suffix)", algorithm: .rsa2048Pkcs1Sha256,
                                                                material: .wrappedPkcs8(try SecureRandom.bytes(700))))
            }
            // SoftHSM2 2.6.1 does RSA-OAEP with SHA-1 only: a SHA-256 wrapping cannot be opened there,
            // and the refusal says why.
            let sha256 = try Self.wrapWithPython(importKeyPEM: importKey.data, kind: "rsa", oaepHash: "sha256")
            let refused = await expectStatus(.invalidArgument, reason: "UNWRAP_FAILED", "OAEP-SHA256 on SoftHSM2") {
                try await admin.keys.importKey(ImportKeyRequest(name: "oaep-sha256-\(suffix)", algorithm: .rsa2048Pkcs1Sha256,
                                                                material: .wrappedPkcs8(sha256.wrapped)))
            }
            #expect(refused?.message.contains("SHA-1") == true)
            let ed = try Self.wrapWithPython(importKeyPEM: importKey.data, kind: "ed25519")
            await expectStatus(.failedPrecondition, reason: "IMPORT_ALGORITHM_NOT_SUPPORTED", "wrapped Ed25519") {
                try await admin.keys.importKey(ImportKeyRequest(name: "wrapped-ed-\(suffix)", algorithm: .ed25519,
                                                                material: .wrappedPkcs8(ed.wrapped)))
            }
            await expectStatus(.invalidArgument, reason: "NO_KEY_MATERIAL") {
                try await admin.keys.importKey(ImportKeyRequest(name: "empty-\(suffix)", algorithm: .ed25519))
            }
            await expectStatus(.invalidArgument, reason: "IMPORT_PURPOSE_NOT_SUPPORTED") {
                try await admin.keys.importKey(ImportKeyRequest(name: "aes-\(suffix)", purpose: .encryptDecrypt,
                                                                algorithm: .aes256Gcm, material: .wrappedPkcs8(rsa.wrapped)))
            }
            await expectStatus(.invalidArgument, reason: "RESERVED_KEY_NAME") {
                try await admin.keys.importKey(ImportKeyRequest(name: KeyService.importKeyName, algorithm: .rsa2048Pkcs1Sha256,
                                                                material: .wrappedPkcs8(rsa.wrapped)))
            }
            await expectStatus(.invalidArgument, reason: "RESERVED_KEY_NAME", "CreateKey may not take the import key's name") {
                try await admin.keys.createKey(CreateKeyRequest(name: KeyService.importKeyName, algorithm: .ed25519))
            }
            await expectStatus(.alreadyExists, "a second import under an existing name") {
                try await admin.keys.importKey(ImportKeyRequest(name: "imported-rsapkcs1sha256-\(suffix)",
                                                                algorithm: .rsa2048Pkcs1Sha256,
                                                                material: .wrappedPkcs8(rsa.wrapped)))
            }
        }
    }

    @Test("Dev-mode plaintext PKCS#8: Ed25519 signs byte for byte like the software key; P-256; refusals")
    func plaintextImportInDevMode() async throws {
        try await InProcessServer.with(tokenLabel: Self.tokenLabel) { server in
            let admin = try server.connect(as: "admin")
            let suffix = UInt32.random(in: 0...UInt32.max)
            let software = try SoftwareSigningKey.generate(.ed25519)
            let name = "kat-ed25519-\(suffix)"
            let key = try await admin.keys.importKey(ImportKeyRequest(name: name, algorithm: .ed25519,
                                                                      material: .plaintextPkcs8(software.pkcs8DER)))
            #expect(key.purpose == .signVerify && key.versions.first?.didKey.hasPrefix("did:key:z6Mk") == true)
            let marks = try Self.protection(of: name, server: server)
            #expect(marks.sensitive && !marks.extractable)
            let message = Array("known answer \(suffix)".utf8)
            let signed = try await admin.signing.sign(SignRequest(keyName: name, input: .data(message)))
            #expect(signed.signature == (try software.sign(message)), "pure Ed25519 is deterministic: same key, same bytes")
            #expect(signed.verificationMethod.hasPrefix(key.versions[0].didKey + "#"))

            let p256 = try SoftwareSigningKey.generate(.p256)
            let p256Name = "kat-p256-\(suffix)"
            _ = try await admin.keys.importKey(ImportKeyRequest(name: p256Name, algorithm: .ecdsaP256Sha256,
                                                                material: .plaintextPkcs8(p256.pkcs8DER)))
            let served = try await admin.keys.getPublicKey(GetPublicKeyRequest(name: p256Name))
            let p256Public = try p256.publicKey
            #expect(served.data == p256Public.spkiDER)
            let p256Signed = try await admin.signing.sign(SignRequest(keyName: p256Name, input: .data(message)))
            #expect(try p256Public.isValidSignature(p256Signed.signature, for: message, algorithm: .ecdsaP256SHA256(.raw)))

            await expectStatus(.invalidArgument, reason: "IMPORT_ALGORITHM_MISMATCH", "Ed25519 PKCS#8 as P-256") {
                try await admin.keys.importKey(ImportKeyRequest(name: "mismatch-\(suffix)", algorithm: .ecdsaP256Sha256,
                                                                material: .plaintextPkcs8(software.pkcs8DER)))
            }
            await expectStatus(.invalidArgument, reason: "INVALID_PKCS8") {
                try await admin.keys.importKey(ImportKeyRequest(name: "junk-\(suffix)", algorithm: .ed25519,
                                                                material: .plaintextPkcs8([0x30, 0x03, 0x02, 0x01, 0x00])))
            }
        }
    }

    @Test("A server outside dev mode refuses plaintext PKCS#8 with FAILED_PRECONDITION")
    func plaintextRefusedOutsideDevMode() async throws {
        try await InProcessServer.with(tokenLabel: Self.tokenLabel, dev: false) { server in
            let admin = try server.connect(as: "admin")
            let software = try SoftwareSigningKey.generate(.ed25519)
            let error = await expectStatus(.failedPrecondition, reason: "PLAINTEXT_IMPORT_DISABLED") {
                try await admin.keys.importKey(ImportKeyRequest(name: "not-in-prod", algorithm: .ed25519,
                                                                material: .plaintextPkcs8(software.pkcs8DER)))
            }
            #expect(error?.message.contains("dev-mode") == true)
            #expect(server.server.registry.list().contains { $0.name == "not-in-prod" } == false)
        }
    }
}
