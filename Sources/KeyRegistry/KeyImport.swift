// What an ImportKey request hands the registry, and how the key store is asked to import it.
// Plaintext PKCS#8 is for dev-mode servers (known-answer tests, demos); production imports are
// wrapped under the server's import key and unwrapped inside the token (PKCS11 Session+KeyImport).

import PKCS11

/// A private key to import.
public enum ImportedKeyMaterial: Sendable {
    /// PKCS#8 DER wrapped as CKM_RSA_AES_KEY_WRAP under the import key.
    case wrappedPKCS8([UInt8])
    /// PKCS#8 DER in the clear (dev mode only; the service layer enforces that).
    case plaintextPKCS8([UInt8])
}

/// The import side of a key store. Stores that cannot import refuse with FAILED_PRECONDITION.
public protocol KeyImportingStore: Sendable {
    /// SubjectPublicKeyInfo DER of the RSA-3072 import key, created on first use.
    func importPublicKeySPKI() async throws -> [UInt8]
    /// Creates a private key (and its public half) from `material` on the token.
    func importKey(_ material: KeyMaterial, publicKey: PKCS11.PublicKey, id: [UInt8], label: String) async throws
        -> GeneratedKeyMaterial
    /// Unwraps `wrapped` under the import key into a private key of `keyType` on the token.
    func importWrapped(_ wrapped: [UInt8], keyType: KeyType, id: [UInt8], label: String) async throws
        -> GeneratedKeyMaterial
}
