// In-process private keys for tests, the development CA and known-answer checks against the HSM.
// NOT for production keys: those are generated in and never leave the HSM. Everything here holds
// key material in ordinary process memory.

import COpenSSL

/// An Ed25519 or P-256 private key held in process memory.
///
/// - Important: for tests and the development PKI only. Production signing keys live in the HSM
///   and must never be created with this type.
public struct SoftwareSigningKey: Sendable {
    /// The kinds of software keys.
    public enum Kind: Hashable, Sendable {
        case ed25519
        case p256
    }

    /// What kind of key this is.
    public let kind: Kind
    let key: EVPKey

    init(checking key: EVPKey) throws(CryptoError) {
        switch key.baseID {
        case EVP_PKEY_ED25519: kind = .ed25519
        case EVP_PKEY_EC:
            guard let group = key.utf8Parameter("group"), group == "prime256v1" || group == "P-256" else {
                throw CryptoError(.unsupportedKey, "only P-256 EC private keys are supported")
            }
            kind = .p256
        default:
            throw CryptoError(.unsupportedKey, "only Ed25519 and P-256 private keys are supported")
        }
        self.key = key
    }

    /// Generates a fresh key from OpenSSL's CSPRNG.
    public static func generate(_ kind: Kind) throws(CryptoError) -> SoftwareSigningKey {
        let context = try KeyContext(algorithmName: kind == .ed25519 ? "ED25519" : "EC")
        guard EVP_PKEY_keygen_init(context.pointer) == 1 else {
            throw .fromOpenSSL(.internalError, "EVP_PKEY_keygen_init failed")
        }
        if kind == .p256, EVP_PKEY_CTX_set_group_name(context.pointer, "P-256") != 1 {
            throw .fromOpenSSL(.internalError, "selecting P-256 failed")
        }
        var created: OpaquePointer? = nil
        guard EVP_PKEY_generate(context.pointer, &created) == 1, let created else {
            throw .fromOpenSSL(.internalError, "key generation failed")
        }
        return try SoftwareSigningKey(checking: EVPKey(taking: created))
    }

    /// An Ed25519 key from its 32-byte seed (RFC 8032 "private key"), e.g. the RFC 8032 §7.1 test keys.
    ///
    /// - Throws: ``CryptoError/Code/invalidKey`` unless `ed25519Seed` is 32 bytes.
    public init(ed25519Seed: [UInt8]) throws(CryptoError) {
        guard ed25519Seed.count == 32 else {
            throw CryptoError(.invalidKey, "an Ed25519 seed is 32 bytes, got \(ed25519Seed.count)")
        }
        let created = ed25519Seed.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, 32)
        }
        guard let created else { throw .fromOpenSSL(.invalidKey, "OpenSSL rejected the Ed25519 seed") }
        try self.init(checking: EVPKey(taking: created))
    }

    /// The Ed25519 seed (32 bytes), `nil` for P-256. Test use only: it is the secret key.
    public var ed25519Seed: [UInt8]? {
        guard kind == .ed25519 else { return nil }
        var out = [UInt8](repeating: 0, count: 32)
        var length = 32
        let ok = out.withUnsafeMutableBufferPointer { EVP_PKEY_get_raw_private_key(key.pointer, $0.baseAddress, &length) }
        return ok == 1 && length == 32 ? out : nil
    }

    /// The matching public key.
    public var publicKey: PublicKey {
        get throws(CryptoError) {
            // Round-trip through SPKI so the public key holds no private material.
            let length = i2d_PUBKEY(key.pointer, nil)
            guard length > 0 else { throw .fromOpenSSL(.internalError, "i2d_PUBKEY failed") }
            var der = [UInt8](repeating: 0, count: Int(length))
            der.withUnsafeMutableBufferPointer { buffer in
                var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
                _ = i2d_PUBKEY(key.pointer, &cursor)
            }
            return try PublicKey(spkiDER: der)
        }
    }

    /// The signature algorithm this key signs with when `format` is the ECDSA encoding.
    public func algorithm(ecdsaFormat format: ECDSASignature.Format = .raw) -> SignatureAlgorithm {
        kind == .ed25519 ? .ed25519 : .ecdsaP256SHA256(format)
    }

    /// Signs `message`: pure Ed25519 (64 bytes), or ECDSA P-256 over SHA-256(message) in
    /// `ecdsaFormat` (raw r‖s by default, as JWS and PKCS#11 use it).
    public func sign(_ message: [UInt8], ecdsaFormat: ECDSASignature.Format = .raw) throws(CryptoError) -> [UInt8] {
        let context = try DigestContext()
        let digest = kind == .ed25519 ? nil : EVP_sha256()
        guard EVP_DigestSignInit(context.pointer, nil, digest, nil, key.pointer) == 1 else {
            throw .fromOpenSSL(.internalError, "EVP_DigestSignInit failed")
        }
        var length = 0
        let sized = message.withUnsafeBufferPointer {
            EVP_DigestSign(context.pointer, nil, &length, $0.baseAddress, $0.count)
        }
        guard sized == 1 else { throw .fromOpenSSL(.internalError, "EVP_DigestSign (size) failed") }
        var signature = [UInt8](repeating: 0, count: length)
        let signed = signature.withUnsafeMutableBufferPointer { out in
            message.withUnsafeBufferPointer { EVP_DigestSign(context.pointer, out.baseAddress, &length, $0.baseAddress, $0.count) }
        }
        guard signed == 1 else { throw .fromOpenSSL(.internalError, "EVP_DigestSign failed") }
        signature.removeSubrange(length...)
        guard kind == .p256 else { return signature }
        let parsed = try ECDSASignature(derRepresentation: signature)
        return parsed.representation(ecdsaFormat)
    }
}
