// The HSM that seals backup and escrow bundles. Its AES-256 keys never leave it: a bundle's
// payload goes in and comes out as AES-256-GCM computed inside the token, with the bundle header
// as associated data, so changing any byte of the bundle makes opening it fail. The vault is a
// token apart from the nodes it protects (a separate vault token, or a DR-cluster node), so that
// wiping a node does not destroy the key needed to restore it.

import KeyRegistry
import PKCS11

/// Seals and opens bundles with keys held in the vault token.
public final class BackupVault: Sendable {
    /// CKA_LABEL of the key that seals backup bundles.
    public static let backupKeyLabel = "personahsm-backup-seal"
    /// CKA_LABEL of the key that seals escrow bundles (so escrow can be held apart from backups).
    public static let escrowKeyLabel = "personahsm-escrow-seal"

    let node: TokenNode

    public init(node: TokenNode) {
        self.node = node
    }

    /// Encrypts `payload` under the vault key `keyLabel` (created on first use), authenticating `aad`.
    func seal(_ payload: [UInt8], aad: [UInt8], keyLabel: String) async throws -> GCMSealedBox {
        do {
            return try await node.withSession { session in
                let key = try Self.findKey(keyLabel, session) ?? Self.createKey(keyLabel, session)
                return try session.encryptGCM(payload, key: key, aad: aad)
            }
        } catch {
            throw CustodyError(.unavailable, "the backup vault (\(node.name)) could not seal the bundle",
                               reason: "VAULT_UNAVAILABLE", cause: error)
        }
    }

    /// Decrypts and authenticates a sealed payload.
    /// - Throws: DATA_LOSS (`BUNDLE_INTEGRITY`) when the tag does not verify: the bundle was changed.
    func open(_ box: GCMSealedBox, aad: [UInt8], keyLabel: String) async throws -> [UInt8] {
        let result: Result<[UInt8], PKCS11Error>
        do {
            result = try await node.withSession { session -> Result<[UInt8], PKCS11Error> in
                guard let key = try Self.findKey(keyLabel, session) else {
                    throw CustodyError(.failedPrecondition, "the vault token has no key \(keyLabel): this bundle was "
                                       + "sealed by another vault", reason: "VAULT_KEY_MISSING")
                }
                do throws(PKCS11Error) { return .success(try session.decryptGCM(box, key: key, aad: aad)) } catch {
                    return .failure(error)
                }
            }
        } catch let error as CustodyError {
            throw error
        } catch {
            throw CustodyError(.unavailable, "the backup vault (\(node.name)) did not answer", reason: "VAULT_UNAVAILABLE",
                               cause: error)
        }
        switch result {
        case .success(let payload): return payload
        case .failure(let error):
            throw CustodyError(.dataLoss, "bundle integrity check failed (AES-GCM tag does not verify): the bundle was "
                               + "altered or truncated; nothing was restored", reason: "BUNDLE_INTEGRITY", cause: error)
        }
    }

    /// The key labelled `label`; when instances raced to create it, the one with the smallest
    /// CKA_ID, so that every instance seals and opens with the same key.
    static func findKey(_ label: String, _ session: Session) throws -> ObjectHandle? {
        var best: (id: [UInt8], handle: ObjectHandle)?
        for handle in try session.findObjects([.objectClass(.secretKey), .string(.label, label)]) {
            let id = try session.attribute(.id, of: handle) ?? []
            if best == nil || id.lexicographicallyPrecedes(best!.id) { best = (id, handle) }
        }
        return best?.handle
    }

    static func createKey(_ label: String, _ session: Session) throws -> ObjectHandle {
        let id = try session.generateRandom(count: 16)
        let created = try session.generateKey(.aes256, options: KeyOptions(
            id: id, label: label, persistent: true, allowWrapping: false, secretUsage: .encryptDecrypt)).privateKey
        return try findKey(label, session) ?? created
    }
}
