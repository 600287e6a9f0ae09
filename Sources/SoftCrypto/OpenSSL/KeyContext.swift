// The single Swift owner of an EVP_PKEY_CTX: key generation, key import from parameters, and
// verification/signing of pre-hashed digests each need one for the duration of a call.

import COpenSSL

/// Owns one `EVP_PKEY_CTX *` and frees it on deinit.
final class KeyContext {
    let pointer: OpaquePointer

    /// A context for `key` (verify/sign of digests).
    init(key: EVPKey) throws(CryptoError) {
        guard let created = EVP_PKEY_CTX_new_from_pkey(nil, key.pointer, nil) else {
            throw .fromOpenSSL(.internalError, "EVP_PKEY_CTX_new_from_pkey failed")
        }
        pointer = created
    }

    /// A context for an algorithm by name (`"ED25519"`, `"EC"`, `"RSA"`), for keygen or fromdata.
    init(algorithmName: String) throws(CryptoError) {
        guard let created = EVP_PKEY_CTX_new_from_name(nil, algorithmName, nil) else {
            throw .fromOpenSSL(.internalError, "EVP_PKEY_CTX_new_from_name(\(algorithmName)) failed")
        }
        pointer = created
    }

    /// Takes ownership of a context OpenSSL created.
    init(taking pointer: OpaquePointer) { self.pointer = pointer }

    deinit { EVP_PKEY_CTX_free(pointer) }
}
