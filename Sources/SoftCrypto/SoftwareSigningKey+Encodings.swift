// Persisting software keys (the development CA key, test fixtures) as unencrypted PKCS#8, DER or
// PEM. Unencrypted on purpose: these keys are for development only (see SoftwareSigningKey).

import COpenSSL

extension SoftwareSigningKey {
    /// A key from unencrypted PKCS#8 DER.
    ///
    /// - Throws: ``CryptoError/Code/invalidKey`` for malformed DER or trailing bytes,
    ///   ``CryptoError/Code/unsupportedKey`` for key types other than Ed25519 and P-256.
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
        try self.init(checking: key)
    }

    /// A key from unencrypted PEM (`-----BEGIN PRIVATE KEY-----`).
    public init(pem: String) throws(CryptoError) {
        let bio = try MemoryBIO(reading: Array(pem.utf8))
        guard let created = PEM_read_bio_PrivateKey(bio.pointer, nil, nil, nil) else {
            throw .fromOpenSSL(.invalidKey, "no PEM private key found")
        }
        try self.init(checking: EVPKey(taking: created))
    }

    /// Unencrypted PKCS#8 DER.
    public var pkcs8DER: [UInt8] {
        get throws(CryptoError) {
            let bio = try MemoryBIO()
            guard i2d_PKCS8PrivateKey_bio(bio.pointer, key.pointer, nil, nil, 0, nil, nil) == 1 else {
                throw .fromOpenSSL(.internalError, "PKCS#8 encoding failed")
            }
            return bio.contents
        }
    }

    /// Unencrypted PKCS#8 PEM.
    public var pemRepresentation: String {
        get throws(CryptoError) {
            let bio = try MemoryBIO()
            guard PEM_write_bio_PKCS8PrivateKey(bio.pointer, key.pointer, nil, nil, 0, nil, nil) == 1 else {
                throw .fromOpenSSL(.internalError, "PEM encoding failed")
            }
            return String(decoding: bio.contents, as: UTF8.self)
        }
    }
}
