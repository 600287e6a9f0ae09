// The single Swift owner of an EVP_CIPHER_CTX for one AES-GCM operation.

import COpenSSL

/// Owns one `EVP_CIPHER_CTX *` and frees it on deinit.
final class CipherContext {
    let pointer: OpaquePointer

    init() throws(CryptoError) {
        guard let created = EVP_CIPHER_CTX_new() else {
            throw .fromOpenSSL(.internalError, "EVP_CIPHER_CTX_new failed")
        }
        pointer = created
    }

    deinit { EVP_CIPHER_CTX_free(pointer) }
}
