// Where the registry keeps key material and its own metadata. The production store is the HSM
// (TokenKeyStore); the protocol keeps the registry's logic testable and leaves room for stores
// that replicate differently (issue: HA and key custody).

import PKCS11

/// A freshly generated key as the registry records it.
public struct GeneratedKeyMaterial: Sendable {
    /// SubjectPublicKeyInfo DER of key pairs; nil for secret keys.
    public var publicKeySPKI: [UInt8]?
    /// Raw Ed25519 public key, for did:key.
    public var ed25519Raw: [UInt8]?
    /// Backends that hold the material once the call returns.
    public var backends: [String]
}

/// Key material and registry metadata on the HSM nodes.
public protocol KeyMaterialStore: Sendable {
    /// Generates a key inside the HSM, non-extractable unless `allowBackup`.
    func generate(_ spec: KeySpec, id: [UInt8], label: String, allowBackup: Bool) async throws -> GeneratedKeyMaterial
    /// Generates a key whose AES role is `secretUsage` (a DERIVE master key may only derive).
    func generate(_ spec: KeySpec, id: [UInt8], label: String, allowBackup: Bool,
                  secretUsage: SecretKeyUsage) async throws -> GeneratedKeyMaterial
    /// Destroys every object with CKA_ID `id` on every node.
    func destroy(id: [UInt8]) async throws
    /// All stored metadata blobs by key name.
    func loadMetadata() async throws -> [String: [UInt8]]
    /// Stores (replaces) the metadata blob of `name` on every node.
    func storeMetadata(name: String, value: [UInt8]) async throws
}

extension KeyMaterialStore {
    /// Stores that know no AES roles generate every secret key as an encryption key.
    public func generate(_ spec: KeySpec, id: [UInt8], label: String, allowBackup: Bool,
                         secretUsage: SecretKeyUsage) async throws -> GeneratedKeyMaterial {
        try await generate(spec, id: id, label: label, allowBackup: allowBackup)
    }
}
