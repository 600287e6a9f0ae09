// What kinds of keys the service creates and how they are marked on the token. Private and secret
// keys are sensitive and non-extractable unless a backup policy explicitly allows wrapping them out
// under another key; CKA_ID and CKA_LABEL let the key registry find them again after a restart.

/// A key algorithm and size generated inside the token.
public enum KeySpec: String, Sendable, CaseIterable {
    case ed25519
    case ecdsaP256
    case rsa2048
    case rsa3072
    case aes256
}

/// Attributes common to every key the service creates.
public struct KeyOptions: Sendable {
    /// CKA_ID shared by a key pair's two halves (the registry's stable key reference).
    public var id: [UInt8]
    /// CKA_LABEL (human-readable; the registry uses name/version).
    public var label: String
    /// CKA_TOKEN: true for persistent keys, false for ephemeral session keys.
    public var persistent: Bool
    /// Backup policy: when true the key is CKA_EXTRACTABLE (wrappable under a backup key,
    /// still CKA_SENSITIVE, never readable in the clear).
    public var allowWrapping: Bool
    /// For AES keys: what they may do.
    public var secretUsage: SecretKeyUsage

    public init(id: [UInt8], label: String, persistent: Bool = true, allowWrapping: Bool = false,
                secretUsage: SecretKeyUsage = .encryptDecrypt) {
        self.id = id
        self.label = label
        self.persistent = persistent
        self.allowWrapping = allowWrapping
        self.secretUsage = secretUsage
    }
}

/// The role of an AES key in the hierarchy.
public enum SecretKeyUsage: Sendable {
    /// Data key: AES-GCM encrypt and decrypt.
    case encryptDecrypt
    /// Master derivation key: derives per-credential keys, nothing else.
    case derive
    /// Wrapping key (root or backup key): wraps and unwraps other keys.
    case wrap
}

/// Handles of a freshly generated or imported key.
public struct KeyHandles: Sendable, Hashable {
    /// The private key (key pairs) or the secret key (AES).
    public var privateKey: ObjectHandle
    /// The public half of a key pair; nil for secret keys.
    public var publicKey: ObjectHandle?
}

extension KeyOptions {
    var common: [Attribute] {
        [.bool(.token, persistent), .bytes(.id, id), .string(.label, label)]
    }

    var protection: [Attribute] {
        [.bool(.private, true), .bool(.sensitive, true), .bool(.extractable, allowWrapping)]
    }

    var secretRole: [Attribute] {
        switch secretUsage {
        case .encryptDecrypt: [.bool(.encrypt, true), .bool(.decrypt, true), .bool(.derive, false)]
        case .derive: [.bool(.encrypt, false), .bool(.decrypt, false), .bool(.derive, true)]
        case .wrap: [.bool(.wrap, true), .bool(.unwrap, true), .bool(.encrypt, false), .bool(.decrypt, false)]
        }
    }
}
