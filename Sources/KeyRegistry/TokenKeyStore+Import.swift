// Key import on the HSM nodes. The import key pair lives on the first primary node (CKA_ID
// `personahsm/import-key`), created on first use; wrapped keys are unwrapped there, so an imported
// key is held by that node (plus any node that shares or clones its partition, which `holders`
// reports). The public half of an unwrapped key is read back from the token: RSA private-key
// objects carry the modulus and exponent; SoftHSM2's EC private keys carry no point, so the token
// computes it (ECDH with the base point gives x; a signature picks y), with CKA_DERIVE allowed
// only for that and turned off before the key is used. SoftHSM2 cannot unwrap Ed25519 keys at all.

import PKCS11
import SoftCrypto

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
        try requireReachable()
        try await importNode.withSession { session in
            let options = KeyOptions(id: id, label: label, persistent: true, allowWrapping: false)
            var publicHalf: PKCS11.PublicKey? = publicKey
            if case .rsa = material { publicHalf = nil }  // built from the material by importKey
            _ = try session.importKey(material, options: options, publicKey: publicHalf)
        }
        let holders = try await replicateNewKey(id: id, objectClass: .privateKey)
        return GeneratedKeyMaterial(publicKeySPKI: publicKey.spkiDER, ed25519Raw: publicKey.rawEd25519, backends: holders)
    }

    public func importWrapped(_ wrapped: [UInt8], keyType: KeyType, id: [UInt8], label: String) async throws
        -> GeneratedKeyMaterial
    {
        guard keyType == .rsa || keyType == .ec else {
            throw KeyRegistryError(.failedPrecondition, "wrapped import takes RSA and P-256 keys: SoftHSM2 cannot "
                                   + "unwrap Ed25519 keys; import Ed25519 keys in dev mode or generate them inside the HSM",
                                   reason: "IMPORT_ALGORITHM_NOT_SUPPORTED")
        }
        try requireReachable()
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
                                                   keyType: keyType, options: options,
                                                   extra: keyType == .ec ? [.bool(.derive, true)] : [])
            } catch {
                throw KeyRegistryError(.invalidArgument, "the token could not unwrap the key: wrong import key, "
                                       + "not CKM_RSA_AES_KEY_WRAP (RSA-OAEP + AES-KWP), or not a PKCS#8 RSA key; "
                                       + "note that some HSMs (SoftHSM2) do RSA-OAEP with SHA-1 only (\(error))",
                                       reason: "UNWRAP_FAILED")
            }
            do {
                let publicKey = keyType == .ec ? try Self.recoverP256PublicKey(of: key, session: session)
                    : try session.publicKey(of: key)
                if keyType == .rsa { try Self.checkPairwise(key, publicKey: publicKey, session: session) }
                _ = try session.createPublicKey(publicKey, options: options)
                return publicKey.spkiDER
            } catch {
                try? session.destroyObject(key)
                throw error
            }
        }
        let holders = try await replicateNewKey(id: id, objectClass: .privateKey)
        return GeneratedKeyMaterial(publicKeySPKI: spki, ed25519Raw: nil, backends: holders)
    }

    /// The public key of an unwrapped P-256 key (which must allow CKA_DERIVE on entry; it does not
    /// on return): x from ECDH with the base point, y chosen by a test signature.
    static func recoverP256PublicKey(of key: ObjectHandle, session: Session) throws -> PKCS11.PublicKey {
        let x: [UInt8]
        do {
            x = try session.p256PublicX(of: key)
        } catch {
            guard error.code == .invalidArgument else { throw error }
            throw KeyRegistryError(.invalidArgument, "the unwrapped EC key is not a P-256 key: \(error)",
                                   reason: "IMPORT_ALGORITHM_MISMATCH")
        }
        try session.setAttributes([.bool(.derive, false)], of: key)
        let digest = try SecureRandom.bytes(32)
        let signature = try session.signDigest(digest, key: key, mechanism: .ecdsaP256SHA256)
        for candidate in try P256PointDecompression.candidates(x: x)
        where (try? candidate.isValidSignature(signature, forDigest: digest, algorithm: .ecdsaP256SHA256(.raw))) == true {
            guard let (cx, cy) = candidate.p256Coordinates else { continue }
            return .p256([0x04] + cx + cy)
        }
        throw KeyRegistryError(.internal, "no P-256 point fits the unwrapped key")
    }

    /// A pairwise-consistency test (as FIPS 140 asks of imported keys): the token unwraps an RSA
    /// key whose `d` or CRT values do not belong to its modulus without complaint, and every
    /// signature it then made would fail verification.
    static func checkPairwise(_ key: ObjectHandle, publicKey: PKCS11.PublicKey, session: Session) throws {
        let digest = try SecureRandom.bytes(32)
        let verifier = try SoftCrypto.PublicKey(spkiDER: publicKey.spkiDER)
        guard let signature = try? session.signDigest(digest, key: key, mechanism: .rsaPKCS1SHA256),
              (try? verifier.isValidSignature(signature, forDigest: digest, algorithm: .rsaPKCS1v15SHA256)) == true else {
            throw KeyRegistryError(.invalidArgument, "the unwrapped RSA key is inconsistent: its private part does not "
                                   + "match its modulus (pairwise-consistency test failed)", reason: "INCONSISTENT_KEY")
        }
    }
}
