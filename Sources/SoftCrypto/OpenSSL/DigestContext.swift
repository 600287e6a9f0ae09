// The single Swift owner of an EVP_MD_CTX used for one-shot sign/verify of a message
// (EVP_DigestSign/EVP_DigestVerify), which is the only way OpenSSL exposes pure Ed25519.

import COpenSSL

/// Owns one `EVP_MD_CTX *` and frees it on deinit.
final class DigestContext {
    let pointer: OpaquePointer

    init() throws(CryptoError) {
        guard let created = EVP_MD_CTX_new() else {
            throw .fromOpenSSL(.internalError, "EVP_MD_CTX_new failed")
        }
        pointer = created
    }

    deinit { EVP_MD_CTX_free(pointer) }
}
