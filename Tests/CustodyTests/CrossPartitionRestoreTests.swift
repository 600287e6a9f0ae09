// Restore into another partition with wrapped key material: P-256 and AES keys backed up from one
// SoftHSM2 token restore into a different, empty token through the vault (transport key re-wrapped
// inside the vault), sign and decrypt there exactly as on the source, and stay sensitive; an
// Ed25519 key (which SoftHSM2 cannot wrap) is refused for another partition before anything is
// written, and a bundle changed by one byte is refused by the vault.

import Custody
import Foundation
import KeyRegistry
import PKCS11
import SoftCrypto
import Testing
import TestSupport

@Suite("Custody: restore into another partition", .serialized)
struct CrossPartitionRestoreTests {
    static func node(_ label: String) throws -> TokenNode {
        TokenNode(name: label, cluster: "primary", token: try TestHSM.token(label), pin: try TestHSM.pin())
    }

    static func custodian(_ registry: KeyRegistry, _ node: TokenNode) throws -> KeyCustodian {
        KeyCustodian(registry: registry, nodes: [node], vault: BackupVault(node: try Self.node("custody-x-vault")),
                     softHSMConfig: getenv("SOFTHSM2_CONF").map { String(cString: $0) }, now: { 1000 })
    }

    @Test("wrapped P-256 and AES keys restore into an empty token and work there; Ed25519 is refused")
    func wrappedRestore() async throws {
        let source = try Self.node("custody-x-src")
        let target = try Self.node("custody-x-dst")
        let sourceRegistry = try await KeyRegistry.open(store: TokenKeyStore(nodes: [source]), options: KeyRegistryOptions())
        let p256 = try await sourceRegistry.create(name: "x-p256", purpose: .signVerify, algorithm: .ecdsaP256SHA256,
                                                   allowBackup: true)
        let aes = try await sourceRegistry.create(name: "x-aes", purpose: .encryptDecrypt, algorithm: .aes256GCM,
                                                  allowBackup: true)
        _ = try await sourceRegistry.create(name: "x-ed", purpose: .signVerify, algorithm: .ed25519, allowBackup: true)
        let aesID = try #require([UInt8](hexString: aes.versions[0].hsmID))
        let p256ID = try #require([UInt8](hexString: p256.versions[0].hsmID))
        let message = Array("moved between partitions".utf8)
        let sealed = try await source.withSession { session in
            try session.encryptGCM(message, key: try #require(try session.findKey(id: aesID, objectClass: .secretKey)))
        }

        let bundle = try await Self.custodian(sourceRegistry, source).backup(keyNames: ["x-aes", "x-p256"])
        let targetRegistry = try await KeyRegistry.open(store: TokenKeyStore(nodes: [target]), options: KeyRegistryOptions())
        let targetCustodian = try Self.custodian(targetRegistry, target)

        var tampered = bundle.serialized
        tampered[tampered.count / 2] ^= 0x40
        await #expect { _ = try await targetCustodian.restore(try BackupBundle(serialized: tampered), backend: nil) }
            throws: { ($0 as? CustodyError)?.reason == "BUNDLE_INTEGRITY" }
        #expect(try await target.withSession { try $0.findKey(id: aesID, objectClass: .secretKey) } == nil)

        let outcome = try await targetCustodian.restore(try BackupBundle(serialized: bundle.serialized), backend: nil)
        #expect(outcome.restored.sorted() == ["x-aes", "x-p256"])
        #expect(targetRegistry.list().map(\.name) == ["x-aes", "x-p256"])

        let (opened, signature, sensitive) = try await target.withSession { session in
            let key = try #require(try session.findKey(id: aesID, objectClass: .secretKey))
            let signer = try #require(try session.findKey(id: p256ID, objectClass: .privateKey))
            return (try session.decryptGCM(sealed, key: key),
                    try session.sign(message, key: signer, mechanism: .ecdsaP256SHA256),
                    try session.attribute(.value, of: signer) == nil && session.boolAttribute(.sensitive, of: key) == true)
        }
        #expect(opened == message, "the restored AES key does not decrypt what the source encrypted")
        let publicKey = try SoftCrypto.PublicKey(spkiDER: try #require(p256.versions[0].publicKeySPKI))
        #expect(try publicKey.isValidSignature(signature, for: message, algorithm: .ecdsaP256SHA256(.raw)),
                "the restored P-256 key signs under another public key")
        #expect(sensitive, "restored keys must stay sensitive")
        // No transport key is left behind on the target.
        let leftovers = try await target.withSession { session in
            try session.findObjects([.objectClass(.privateKey), .keyType(.rsa)]).count
        }
        #expect(leftovers == 0, "a restore transport key was left on the target")

        let edBundle = try await Self.custodian(sourceRegistry, source).backup(keyNames: ["x-ed"])
        await #expect { _ = try await targetCustodian.restore(edBundle, backend: nil) }
            throws: { ($0 as? CustodyError)?.reason == "WRONG_PARTITION" }
        #expect(!targetRegistry.list().contains { $0.name == "x-ed" })
    }
}
