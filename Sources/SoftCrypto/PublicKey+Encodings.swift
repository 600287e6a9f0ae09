// Public keys travel as SubjectPublicKeyInfo (DER inside X.509 and PKCS#11 exports, PEM in
// config files) and as raw bytes (Ed25519 32 bytes, P-256 uncompressed points from the HSM).
// Parsing is strict: trailing bytes after the DER structure are an error.

import COpenSSL

extension PublicKey {
    /// A public key from a DER SubjectPublicKeyInfo.
    ///
    /// - Throws: ``CryptoError/Code/invalidKey`` for malformed DER or trailing bytes,
    ///   ``CryptoError/Code/unsupportedKey`` for other algorithms, curves or RSA sizes.
    public init(spkiDER der: [UInt8]) throws(CryptoError) {
        guard !der.isEmpty, der.count <= 1 << 16 else {
            throw CryptoError(.invalidKey, "SPKI DER must be 1–65536 bytes")
        }
        var consumed = 0
        let created: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            var cursor: UnsafePointer<UInt8>? = buffer.baseAddress
            let key = d2i_PUBKEY(nil, &cursor, buffer.count)
            if let cursor, let base = buffer.baseAddress { consumed = cursor - base }
            return key
        }
        guard let created else { throw .fromOpenSSL(.invalidKey, "not a valid DER SubjectPublicKeyInfo") }
        let key = EVPKey(taking: created)
        guard consumed == der.count else {
            throw CryptoError(.invalidKey, "\(der.count - consumed) trailing bytes after the SubjectPublicKeyInfo")
        }
        if key.baseID == EVP_PKEY_EC { try Self.checkPublic(key) }
        try self.init(checking: key)
    }

    /// A public key from PEM text (`-----BEGIN PUBLIC KEY-----`).
    ///
    /// - Throws: ``CryptoError/Code/invalidKey`` when no PEM public key can be read.
    public init(pem: String) throws(CryptoError) {
        let bio = try MemoryBIO(reading: Array(pem.utf8))
        guard let created = PEM_read_bio_PUBKEY(bio.pointer, nil, nil, nil) else {
            throw .fromOpenSSL(.invalidKey, "no PEM public key found")
        }
        let key = EVPKey(taking: created)
        if key.baseID == EVP_PKEY_EC { try Self.checkPublic(key) }
        try self.init(checking: key)
    }

    /// The DER SubjectPublicKeyInfo.
    public var spkiDER: [UInt8] {
        let length = i2d_PUBKEY(key.pointer, nil)
        guard length > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: Int(length))
        out.withUnsafeMutableBufferPointer { buffer in
            var cursor: UnsafeMutablePointer<UInt8>? = buffer.baseAddress
            _ = i2d_PUBKEY(key.pointer, &cursor)
        }
        return out
    }

    /// PEM text of the SubjectPublicKeyInfo (`-----BEGIN PUBLIC KEY-----`, 64-column lines).
    public var pemRepresentation: String {
        guard let bio = try? MemoryBIO(), PEM_write_bio_PUBKEY(bio.pointer, key.pointer) == 1 else {
            OpenSSLErrorQueue.clear()
            return ""
        }
        return String(decoding: bio.contents, as: UTF8.self)
    }

    /// The raw encoding: 32 bytes for Ed25519, the 65-byte uncompressed point for P-256, `nil` for RSA.
    public var rawRepresentation: [UInt8]? {
        switch kind {
        case .ed25519:
            var out = [UInt8](repeating: 0, count: 32)
            var length = 32
            let ok = out.withUnsafeMutableBufferPointer { EVP_PKEY_get_raw_public_key(key.pointer, $0.baseAddress, &length) }
            return ok == 1 && length == 32 ? out : nil
        case .p256:
            guard let (x, y) = p256Coordinates else { return nil }
            return [0x04] + x + y
        case .rsa:
            return nil
        }
    }

    /// The affine coordinates of a P-256 key, each left-padded to 32 bytes; `nil` otherwise.
    public var p256Coordinates: (x: [UInt8], y: [UInt8])? {
        guard kind == .p256, let x = key.bigNumberParameter("qx"), let y = key.bigNumberParameter("qy"),
              x.count <= 32, y.count <= 32 else { return nil }
        return ([UInt8](repeating: 0, count: 32 - x.count) + x, [UInt8](repeating: 0, count: 32 - y.count) + y)
    }

    /// Modulus and public exponent of an RSA key (unsigned big-endian, no leading zeros); `nil` otherwise.
    public var rsaComponents: (modulus: [UInt8], exponent: [UInt8])? {
        guard case .rsa = kind, let n = key.bigNumberParameter("n"), let e = key.bigNumberParameter("e") else {
            return nil
        }
        return (n, e)
    }
}
