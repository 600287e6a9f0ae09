// The vault's part in moving wrapped keys between partitions. The vault holds an RSA-3072
// transport key pair: a backup wraps its one-time AES transport key under the vault's public key,
// and a restore into another partition has the vault unwrap that transport key (inside the vault,
// as a session object) and wrap it again under the receiving token's own transport public key. The
// transport key is never in the clear outside a token, and neither are the keys it wraps.

import KeyRegistry
import PKCS11

extension BackupVault {
    /// CKA_LABEL of the vault's transport key pair.
    public static let transportKeyLabel = "personahsm-backup-transport"

    /// The modulus and exponent of the vault's transport public key (the pair is created on first use).
    func transportPublicKey() async throws -> (modulus: [UInt8], exponent: [UInt8]) {
        do {
            return try await node.withSession { session in
                if try Self.transportKey(.publicKey, session) == nil {
                    _ = try session.generateTransportKeyPair(label: Self.transportKeyLabel,
                                                             id: try session.generateRandom(count: 16), persistent: true)
                }
                guard let publicKey = try Self.transportKey(.publicKey, session) else {
                    throw CustodyError(.internal, "the vault transport key vanished", reason: "VAULT_KEY_INVALID")
                }
                guard let modulus = try session.attribute(.modulus, of: publicKey),
                      let exponent = try session.attribute(.publicExponent, of: publicKey) else {
                    throw CustodyError(.internal, "the vault transport key has no modulus", reason: "VAULT_KEY_INVALID")
                }
                return (modulus, exponent)
            }
        } catch let error as CustodyError {
            throw error
        } catch {
            throw CustodyError(.unavailable, "the backup vault (\(node.name)) did not answer", reason: "VAULT_UNAVAILABLE",
                               cause: error)
        }
    }

    /// Unwraps `transportKey` (wrapped under the vault's transport public key) inside the vault
    /// and wraps it again under the RSA public key (`modulus`, `exponent`) of the receiving token.
    func rewrap(_ transportKey: [UInt8], modulus: [UInt8], exponent: [UInt8]) async throws -> [UInt8] {
        do {
            return try await node.withSession { session in
                guard let privateKey = try Self.transportKey(.privateKey, session) else {
                    throw CustodyError(.failedPrecondition, "the vault has no transport key: this bundle was made by "
                                       + "another vault", reason: "VAULT_KEY_MISSING")
                }
                let transport = try session.unwrapKey(transportKey, with: privateKey, mechanism: .rsaOAEP, template: [
                    .objectClass(.secretKey), .keyType(.aes), .bool(.token, false), .bool(.private, true),
                    .bool(.sensitive, true), .bool(.extractable, true), .bool(.wrap, true), .bool(.unwrap, true),
                ])
                let receiver = try session.importTransportPublicKey(modulus: modulus, exponent: exponent)
                return try session.wrapKey(transport, with: receiver, mechanism: .rsaOAEP)
            }
        } catch let error as CustodyError {
            throw error
        } catch {
            throw CustodyError(.dataLoss, "the vault could not open the bundle's transport key", reason: "BUNDLE_INTEGRITY",
                               cause: error)
        }
    }

    /// The `objectClass` half of the vault's transport pair; when instances raced to create it,
    /// the pair with the smallest CKA_ID, so that every instance uses the same one.
    static func transportKey(_ objectClass: ObjectClass, _ session: Session) throws -> ObjectHandle? {
        var best: (id: [UInt8], handle: ObjectHandle)?
        for handle in try session.findObjects([.objectClass(objectClass), .string(.label, transportKeyLabel)]) {
            let id = try session.attribute(.id, of: handle) ?? []
            if best == nil || id.lexicographicallyPrecedes(best!.id) { best = (id, handle) }
        }
        return best?.handle
    }
}
