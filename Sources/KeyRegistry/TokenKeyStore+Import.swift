// Key import on the HSM nodes. The import key pair lives on the first primary node (CKA_ID
// `personahsm/import-key`), created on first use; wrapped keys are unwrapped there, so an imported
// key is held by that node (plus any node that shares or clones its partition, which `holders`
// reports). The public half of an unwrapped key is read back from the token: RSA private-key
// objects carry the modulus and exponent; SoftHSM2's EC private keys carry no point and its
// Ed25519 keys cannot be unwrapped at all, so wrapped import takes RSA keys.

import PKCS11

extension TokenKeyStore: KeyImportingStore {
    /// CKA_ID of the import key pair.
    public static let importKeyID = Array("personahsm/import-key".utf8)
    /// CKA_LABEL of the import key pair.
    public static let importKeyLabel = "personahsm-import-key"

    private var importNode: TokenNode {
        nodes.first { $0.cluster == "primary" } ?? nodes[0]
    }

    public func importPublicKeySPKI() async throws -> [UInt8] {
        try await importNode.withSession { session in
            if let existing = try session.findKey(id: Self.importKeyID, objectClass: .publicKey) {
                return try session.publicKey(of: existing).spkiDER
            }
            let handles = try session.generateImportKeyPair(id: Self.importKeyID, label: Self.importKeyLabel)
            return try session.publicKey(of: handles.publicKey!).spkiDER
        }
    }

    public func importKey(_ material: KeyMaterial, publicKey: PKCS11.PublicKey, id: [UInt8], label: String) async throws
        -> GeneratedKeyMaterial
    {
        try await importNode.withSession { session in
            let options = KeyOptions(id: id, label: label, persistent: true, allowWrapping: false)
            var publicHalf: PKCS11.PublicKey? = publicKey
            if case .rsa = material { publicHalf = nil }  // built from the material by importKey
            _ = try session.importKey(material, options: options, publicKey: publicHalf)
        }
        let holders = await holders(of: id, objectClass: .privateKey)
        return GeneratedKeyMaterial(publicKeySPKI: publicKey.spkiDER, ed25519Raw: publicKey.rawEd25519, backends: holders)
    }

    public func importWrapped(_ wrapped: [UInt8], keyType: KeyType, id: [UInt8], label: String) async throws
        -> GeneratedKeyMaterial
    {
        guard keyType == .rsa else {
            throw KeyRegistryError(.failedPrecondition, "wrapped import takes RSA keys on this HSM: SoftHSM2 cannot "
                                   + "unwrap Ed25519 keys and its unwrapped EC keys carry no public point; import "
                                   + "Ed25519/P-256 keys in dev mode or generate them inside the HSM",
                                   reason: "IMPORT_ALGORITHM_NOT_SUPPORTED")
        }
        let spki = try await importNode.withSession { session -> [UInt8] in
            guard let importKey = try session.findKey(id: Self.importKeyID, objectClass: .privateKey),
                  let importPublic = try session.findKey(id: Self.importKeyID, objectClass: .publicKey) else {
                throw KeyRegistryError(.failedPrecondition, "the server has no import key yet: fetch its public key "
                                       + "(GetPublicKey \(Self.importKeyLabel)) and wrap under it",
                                       reason: "NO_IMPORT_KEY")
            }
            guard case .rsa(let modulus, _) = try session.publicKey(of: importPublic) else {
                throw KeyRegistryError(.internal, "the import key is not an RSA key")
            }
            let options = KeyOptions(id: id, label: label, persistent: true, allowWrapping: false)
            let key: ObjectHandle
            do {
                key = try session.unwrapPrivateKey(wrapped, importKey: importKey,
                                                   modulusBytes: modulus.drop(while: { $0 == 0 }).count,
                                                   keyType: keyType, options: options)
            } catch {
                throw KeyRegistryError(.invalidArgument, "the token could not unwrap the key: wrong import key, "
                                       + "not CKM_RSA_AES_KEY_WRAP (RSA-OAEP + AES-KWP), or not a PKCS#8 RSA key; "
                                       + "note that some HSMs (SoftHSM2) do RSA-OAEP with SHA-1 only (\(error))",
                                       reason: "UNWRAP_FAILED")
            }
            let publicKey = try session.publicKey(of: key)
            _ = try session.createPublicKey(publicKey, options: options)
            return publicKey.spkiDER
        }
        let holders = await holders(of: id, objectClass: .privateKey)
        return GeneratedKeyMaterial(publicKeySPKI: spki, ed25519Raw: nil, backends: holders)
    }
}
