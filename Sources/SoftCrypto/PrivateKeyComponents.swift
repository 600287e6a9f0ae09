// The numbers inside a PKCS#8 private key, for importing it into an HSM with C_CreateObject
// (dev-mode plaintext import and known-answer tests). Production imports never come here: their
// PKCS#8 stays wrapped until the token unwraps it. The values are secret; callers hand them to the
// token and drop them.

import COpenSSL

/// The private components of an Ed25519, P-256 or RSA key, read from PKCS#8 DER.
public enum PrivateKeyComponents: Sendable {
    /// The 32-byte seed and the 32-byte public key.
    case ed25519(seed: [UInt8], publicKey: [UInt8])
    /// The 32-byte scalar and the uncompressed public point (65 bytes).
    case p256(scalar: [UInt8], publicPoint: [UInt8])
    /// Big-endian RSA numbers (CRT values included).
    case rsa(modulus: [UInt8], publicExponent: [UInt8], privateExponent: [UInt8],
             p: [UInt8], q: [UInt8], dp: [UInt8], dq: [UInt8], qInv: [UInt8])

    /// Parses PKCS#8 DER.
    /// - Throws: ``CryptoError/Code/invalidKey`` for malformed DER or trailing bytes,
    ///   ``CryptoError/Code/unsupportedKey`` for other key types and curves.
    public init(pkcs8DER der: [UInt8]) throws(CryptoError) {
        var consumed = 0
        let created: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let key = d2i_AutoPrivateKey(nil, &cursor, buffer.count)
            if let cursor, let base = buffer.baseAddress { consumed = cursor - base }
            return key
        }
        guard let created else { throw .fromOpenSSL(.invalidKey, "not a valid DER private key") }
        let key = EVPKey(taking: created)
        guard consumed == der.count else { throw CryptoError(.invalidKey, "trailing bytes after the private key") }
        try Self.checkConsistency(of: key)
        switch key.baseID {
        case EVP_PKEY_ED25519:
            var seed = [UInt8](repeating: 0, count: 32), publicKey = [UInt8](repeating: 0, count: 32)
            var seedLength = 32, publicLength = 32
            let ok = seed.withUnsafeMutableBufferPointer { EVP_PKEY_get_raw_private_key(key.pointer, $0.baseAddress, &seedLength) }
            let okPublic = publicKey.withUnsafeMutableBufferPointer {
                EVP_PKEY_get_raw_public_key(key.pointer, $0.baseAddress, &publicLength)
            }
            guard ok == 1, okPublic == 1, seedLength == 32, publicLength == 32 else {
                throw .fromOpenSSL(.invalidKey, "cannot read the Ed25519 key")
            }
            self = .ed25519(seed: seed, publicKey: publicKey)
        case EVP_PKEY_EC:
            guard key.utf8Parameter("group") == "prime256v1" else {
                throw CryptoError(.unsupportedKey, "only the P-256 curve is supported")
            }
            guard let scalar = key.bigNumberParameter("priv"), scalar.count <= 32,
                  let point = key.octetParameter("encoded-pub-key") ?? key.octetParameter("pub"),
                  point.count == 65, point[0] == 0x04 else {
                throw CryptoError(.invalidKey, "the P-256 key lacks its scalar or public point")
            }
            self = .p256(scalar: [UInt8](repeating: 0, count: 32 - scalar.count) + scalar, publicPoint: point)
        case EVP_PKEY_RSA:
            let names = ["n", "e", "d", "rsa-factor1", "rsa-factor2", "rsa-exponent1", "rsa-exponent2", "rsa-coefficient1"]
            let values = names.map { key.bigNumberParameter($0) }
            guard values.allSatisfy({ $0 != nil }) else {
                throw CryptoError(.invalidKey, "the RSA key lacks some of its CRT components")
            }
            let v = values.map { $0! }
            self = .rsa(modulus: v[0], publicExponent: v[1], privateExponent: v[2], p: v[3], q: v[4], dp: v[5], dq: v[6],
                        qInv: v[7])
        default:
            throw CryptoError(.unsupportedKey, "key type \(key.baseID) is not Ed25519, P-256 or RSA")
        }
    }

    /// Refuses a key whose parts disagree: a P-256 point that is not the scalar's, RSA `d` or CRT
    /// values that do not belong to `n`. The token would store such a key as given and then sign
    /// with it, so every signature would fail verification. (Ed25519 PKCS#8 carries only the
    /// seed; OpenSSL derives the public key from it.)
    private static func checkConsistency(of key: EVPKey) throws(CryptoError) {
        guard key.baseID == EVP_PKEY_EC || key.baseID == EVP_PKEY_RSA else { return }
        let context = try KeyContext(key: key)
        // EVP_PKEY_check: public and private parts each valid, and the pair consistent.
        guard EVP_PKEY_check(context.pointer) == 1 else {
            throw .fromOpenSSL(.invalidKey, "the private key's parts are inconsistent (public part does not match "
                               + "the private part, or a component is invalid)")
        }
    }
}
