// Owner of one OpenSSL private key (EVP_PKEY). TLS keys are software keys by design: they protect
// the channel, not the signing keys, which never leave the HSM.

import COpenSSL

/// A private key for TLS (P-256 by default), owned by this object.
public final class TLSPrivateKey: @unchecked Sendable {
    // Immutable after init; OpenSSL allows concurrent read-only use of an EVP_PKEY.
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    deinit { EVP_PKEY_free(pointer) }

    /// Generates a fresh ECDSA P-256 key.
    /// - Throws: ``TransportError`` (PKI) when OpenSSL fails.
    public static func generateP256() throws(TransportError) -> TLSPrivateKey {
        guard let context = EVP_PKEY_CTX_new_from_name(nil, "EC", nil) else {
            throw OpenSSLErrors.error(.pki, "EVP_PKEY_CTX_new_from_name(EC) failed")
        }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_group_name(context, "P-256") == 1,
              EVP_PKEY_generate(context, &key) == 1, let key
        else { throw OpenSSLErrors.error(.pki, "P-256 key generation failed") }
        return TLSPrivateKey(owning: key)
    }

    /// Parses a PEM private key (PKCS#8 or traditional, unencrypted).
    public convenience init(pem: [UInt8]) throws(TransportError) {
        let bio = try MemoryBIO(bytes: pem)
        guard let key = PEM_read_bio_PrivateKey(bio.pointer, nil, nil, nil) else {
            throw OpenSSLErrors.error(.credentials, "cannot parse PEM private key")
        }
        self.init(owning: key)
    }

    /// The key as unencrypted PKCS#8 PEM.
    public func pemBytes() throws(TransportError) -> [UInt8] {
        let bio = try MemoryBIO()
        guard PEM_write_bio_PrivateKey(bio.pointer, pointer, nil, nil, 0, nil, nil) == 1 else {
            throw OpenSSLErrors.error(.pki, "PEM_write_bio_PrivateKey failed")
        }
        return bio.readAll()
    }
}
