// How each registry algorithm maps onto the HSM layer (key spec, mechanism) and onto software
// verification, named once so every layer agrees.

import PKCS11
import SoftCrypto

extension KeyAlgorithm {
    /// The key generated inside the token.
    public var keySpec: KeySpec {
        switch self {
        case .ed25519: return .ed25519
        case .ecdsaP256SHA256: return .ecdsaP256
        case .rsa2048PKCS1SHA256, .rsa2048PSSSHA256: return .rsa2048
        case .rsa3072PKCS1SHA256, .rsa3072PSSSHA256: return .rsa3072
        case .aes256GCM: return .aes256
        }
    }

    /// The signing mechanism, nil for AES.
    public var signatureMechanism: SignatureMechanism? {
        switch self {
        case .ed25519: return .ed25519
        case .ecdsaP256SHA256: return .ecdsaP256SHA256
        case .rsa2048PKCS1SHA256, .rsa3072PKCS1SHA256: return .rsaPKCS1SHA256
        case .rsa2048PSSSHA256, .rsa3072PSSSHA256: return .rsaPSSSHA256
        case .aes256GCM: return nil
        }
    }

    /// The software verification scheme, nil for AES. ECDSA signatures are raw r‖s as the HSM
    /// returns them.
    public var verificationAlgorithm: SignatureAlgorithm? {
        switch self {
        case .ed25519: return .ed25519
        case .ecdsaP256SHA256: return .ecdsaP256SHA256(.raw)
        case .rsa2048PKCS1SHA256, .rsa3072PKCS1SHA256: return .rsaPKCS1v15SHA256
        case .rsa2048PSSSHA256, .rsa3072PSSSHA256: return .rsaPSSSHA256(saltLength: 32)
        case .aes256GCM: return nil
        }
    }
}
