// The client side of ImportKey: wrapping a PKCS#8 private key under the server's RSA import key
// exactly as CKM_RSA_AES_KEY_WRAP unwraps it — RSA-OAEP (no label) of a fresh AES-256 key,
// followed by AES Key Wrap with Padding (RFC 5649) of the PKCS#8 under that key. The AES key
// exists only inside this call. Used by the `personahsm keys import` command and tests.

import COpenSSL

/// Wraps private keys for import into the HSM.
public enum KeyImportWrapping {
    /// The OAEP hash (also the MGF1 hash).
    public enum OAEPHash: String, Sendable, CaseIterable {
        /// The default.
        case sha256
        /// For HSMs whose RSA-OAEP has nothing else (SoftHSM2 2.6.1).
        case sha1
    }

    /// `RSA-OAEP(importKey, K) ‖ AES-KWP(K, pkcs8)` for a fresh random AES-256 key K.
    /// - Throws: ``CryptoError/Code/algorithmMismatch`` unless `importKey` is RSA; OpenSSL failures.
    public static func wrap(pkcs8: [UInt8], under importKey: PublicKey, oaepHash: OAEPHash = .sha256) throws(CryptoError)
        -> [UInt8]
    {
        guard case .rsa = importKey.kind else {
            throw CryptoError(.algorithmMismatch, "the import key must be an RSA key, not \(importKey.kind)")
        }
        let aesKey = try SecureRandom.bytes(32)
        return try oaepEncrypt(aesKey, key: importKey, hash: oaepHash) + keyWrapWithPadding(pkcs8, key: aesKey)
    }

    static func oaepEncrypt(_ plaintext: [UInt8], key: PublicKey, hash: OAEPHash) throws(CryptoError) -> [UInt8] {
        let context = try KeyContext(key: key.key)
        let md = hash == .sha256 ? EVP_sha256() : EVP_sha1()
        guard EVP_PKEY_encrypt_init(context.pointer) == 1,
              EVP_PKEY_CTX_set_rsa_padding(context.pointer, RSA_PKCS1_OAEP_PADDING) == 1,
              EVP_PKEY_CTX_set_rsa_oaep_md(context.pointer, md) == 1,
              EVP_PKEY_CTX_set_rsa_mgf1_md(context.pointer, md) == 1 else {
            throw .fromOpenSSL(.internalError, "RSA-OAEP set-up failed")
        }
        var length = 0
        guard plaintext.withUnsafeBufferPointer({
            EVP_PKEY_encrypt(context.pointer, nil, &length, $0.baseAddress, $0.count)
        }) == 1 else { throw .fromOpenSSL(.internalError, "RSA-OAEP size query failed") }
        var out = [UInt8](repeating: 0, count: length)
        let ok = out.withUnsafeMutableBufferPointer { o in
            plaintext.withUnsafeBufferPointer { EVP_PKEY_encrypt(context.pointer, o.baseAddress, &length, $0.baseAddress, $0.count) }
        }
        guard ok == 1 else { throw .fromOpenSSL(.internalError, "RSA-OAEP encryption failed") }
        return Array(out[..<length])
    }

    /// AES-256 Key Wrap with Padding (RFC 5649).
    static func keyWrapWithPadding(_ plaintext: [UInt8], key: [UInt8]) throws(CryptoError) -> [UInt8] {
        let context = try CipherContext()
        let ok = key.withUnsafeBufferPointer { EVP_EncryptInit_ex(context.pointer, EVP_aes_256_wrap_pad(), nil, $0.baseAddress, nil) }
        guard ok == 1 else { throw .fromOpenSSL(.internalError, "AES-KWP set-up failed") }
        var out = [UInt8](repeating: 0, count: plaintext.count + 16)
        var written: Int32 = 0
        var final: Int32 = 0
        let updated = out.withUnsafeMutableBufferPointer { o in
            plaintext.withUnsafeBufferPointer {
                EVP_EncryptUpdate(context.pointer, o.baseAddress, &written, $0.baseAddress, Int32($0.count))
            }
        }
        guard updated == 1 else { throw .fromOpenSSL(.internalError, "AES-KWP failed") }
        let finished = out.withUnsafeMutableBufferPointer { EVP_EncryptFinal_ex(context.pointer, $0.baseAddress! + Int(written), &final) }
        guard finished == 1 else { throw .fromOpenSSL(.internalError, "AES-KWP final failed") }
        return Array(out[..<Int(written + final)])
    }
}
