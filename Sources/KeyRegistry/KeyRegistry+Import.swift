// ImportKey in the registry: the imported key becomes version 1 of a new key, recorded exactly
// like a created one (metadata on the token, cached), with the material sensitive and never
// extractable. Plaintext PKCS#8 is checked here against the requested algorithm before the token
// sees it; wrapped PKCS#8 is checked by the token when it unwraps.

import Credentials
import PKCS11
import SoftCrypto

extension KeyRegistry {
    /// SubjectPublicKeyInfo DER of the server's import key (RSA-3072, OAEP-SHA256 + AES-KWP).
    public func importPublicKeySPKI() async throws -> [UInt8] {
        guard let store = store as? any KeyImportingStore else {
            throw KeyRegistryError(.failedPrecondition, "this key store cannot import keys", reason: "IMPORT_NOT_SUPPORTED")
        }
        return try await store.importPublicKeySPKI()
    }

    /// Imports a private key as version 1 of the new key `name`.
    public func importKey(name: String, purpose: KeyRecord.Purpose, algorithm: KeyAlgorithm,
                          material: ImportedKeyMaterial, labels: [String: String] = [:]) async throws -> KeyRecord {
        try KeyRecord.validateName(name)
        guard purpose == .signVerify, algorithm.isSigning else {
            throw KeyRegistryError(.invalidArgument, "only signing keys (SIGN_VERIFY) can be imported as PKCS#8",
                                   reason: "IMPORT_PURPOSE_NOT_SUPPORTED")
        }
        guard let store = store as? any KeyImportingStore else {
            throw KeyRegistryError(.failedPrecondition, "this key store cannot import keys", reason: "IMPORT_NOT_SUPPORTED")
        }
        let plaintext: (KeyMaterial, PKCS11.PublicKey)?
        if case .plaintextPKCS8(let der) = material {
            plaintext = try Self.material(fromPKCS8: der, algorithm: algorithm)
        } else {
            plaintext = nil
        }
        return try await writer.serialize {
            guard self.cache.withLock({ $0[name] }) == nil else {
                throw KeyRegistryError(.alreadyExists, "key \(name) already exists", reason: "KEY_EXISTS")
            }
            // Imported keys do not rotate by themselves: a new version would be generated, not
            // the key its owner brought.
            var record = KeyRecord(name: name, purpose: purpose, algorithm: algorithm, rotationPeriodSeconds: 0,
                                   labels: labels, createdMillis: self.now(), allowBackup: false)
            let id = try SecureRandom.bytes(16)
            let label = "\(name)/v1"
            let generated: GeneratedKeyMaterial
            switch (material, plaintext) {
            case (_, .some(let (keyMaterial, publicKey))):
                generated = try await store.importKey(keyMaterial, publicKey: publicKey, id: id, label: label)
            case (.wrappedPKCS8(let wrapped), nil):
                generated = try await store.importWrapped(wrapped, keyType: algorithm.keySpec.keyType, id: id, label: label)
                do { try Self.checkSize(of: generated, algorithm: algorithm) } catch {
                    try? await self.store.destroy(id: id)
                    throw error
                }
            case (.plaintextPKCS8, nil):
                throw KeyRegistryError(.internal, "plaintext material was not parsed")
            }
            let version = KeyVersionRecord(version: 1, state: .enabled, createdMillis: self.now(), hsmID: id.hexString,
                                           publicKeySPKI: generated.publicKeySPKI,
                                           didKey: generated.ed25519Raw.flatMap { try? DIDKey(ed25519Raw: $0).did },
                                           backends: generated.backends)
            record.addPrimaryVersion(version, nowMillis: self.now())
            try await self.persist(record)
            return record
        }
    }

    /// The token material and public key of a plaintext PKCS#8 key; INVALID_ARGUMENT when it is
    /// malformed or not a key of `algorithm`.
    static func material(fromPKCS8 der: [UInt8], algorithm: KeyAlgorithm) throws -> (KeyMaterial, PKCS11.PublicKey) {
        let components: PrivateKeyComponents
        do { components = try PrivateKeyComponents(pkcs8DER: der) } catch {
            throw KeyRegistryError(.invalidArgument, "plaintext_pkcs8 is not a usable PKCS#8 private key: \(error)",
                                   reason: "INVALID_PKCS8")
        }
        switch (components, algorithm.keySpec) {
        case (.ed25519(let seed, let publicKey), .ed25519):
            return (.ed25519(seed: seed), .ed25519(publicKey))
        case (.p256(let scalar, let point), .ecdsaP256):
            return (.p256(scalar: scalar), .p256(point))
        case (.rsa(let n, let e, let d, let p, let q, let dp, let dq, let qInv), .rsa2048),
             (.rsa(let n, let e, let d, let p, let q, let dp, let dq, let qInv), .rsa3072):
            let bits = algorithm.keySpec == .rsa2048 ? 2048 : 3072
            guard n.count * 8 == bits else {
                throw KeyRegistryError(.invalidArgument, "the RSA key has \(n.count * 8) bits; \(algorithm.rawValue) "
                                       + "needs \(bits)", reason: "IMPORT_ALGORITHM_MISMATCH")
            }
            return (.rsa(RSAPrivateKey(modulus: n, publicExponent: e, privateExponent: d,
                                       crt: .init(p: p, q: q, dp: dp, dq: dq, qInv: qInv))),
                    .rsa(modulus: n, exponent: e))
        default:
            throw KeyRegistryError(.invalidArgument, "the PKCS#8 key does not match algorithm \(algorithm.rawValue)",
                                   reason: "IMPORT_ALGORITHM_MISMATCH")
        }
    }

    /// An unwrapped key must be of the kind (and RSA size) its algorithm names.
    static func checkSize(of generated: GeneratedKeyMaterial, algorithm: KeyAlgorithm) throws {
        let expected: SoftCrypto.PublicKey.Kind = switch algorithm.keySpec {
        case .rsa2048: .rsa(bits: 2048)
        case .rsa3072: .rsa(bits: 3072)
        case .ecdsaP256: .p256
        default: .ed25519
        }
        guard let spki = generated.publicKeySPKI, let key = try? SoftCrypto.PublicKey(spkiDER: spki),
              key.kind == expected else {
            throw KeyRegistryError(.invalidArgument, "the unwrapped key is not a \(expected) key",
                                   reason: "IMPORT_ALGORITHM_MISMATCH")
        }
    }
}

extension KeySpec {
    /// The CKA_KEY_TYPE of keys of this spec.
    var keyType: KeyType {
        switch self {
        case .ed25519: .ecEdwards
        case .ecdsaP256: .ec
        case .rsa2048, .rsa3072: .rsa
        case .aes256: .aes
        }
    }
}
