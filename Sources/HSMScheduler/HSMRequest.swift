// What callers ask the HSM to do. Keys are referenced by CKA_ID, the one identifier every backend
// holding a replica of the key agrees on; object handles never leave a worker.

import PKCS11

/// A key, by its CKA_ID (shared by all backends holding a replica).
public struct KeyReference: Hashable, Sendable, CustomStringConvertible {
    public var id: [UInt8]
    public init(id: [UInt8]) { self.id = id }
    public var description: String { "key(" + id.map { String($0, radix: 16) }.joined() + ")" }
}

/// One operation on a key.
public enum HSMOperation: Sendable {
    case sign(message: [UInt8], mechanism: SignatureMechanism, ecdsaFormat: ECDSAFormat)
    /// Signs a 32-byte SHA-256 digest computed by the caller (ECDSA and RSA; never Ed25519).
    case signDigest(digest: [UInt8], mechanism: SignatureMechanism, ecdsaFormat: ECDSAFormat)
    /// AES-256-GCM with an IV generated inside the HSM.
    case encrypt(plaintext: [UInt8], aad: [UInt8])
    case decrypt(box: GCMSealedBox, aad: [UInt8])
    /// AES-256-GCM under the per-credential key derived inside the HSM from the DERIVE master key
    /// (the operation's key) and `credentialID`; the derived key is a session object.
    case encryptDerived(plaintext: [UInt8], aad: [UInt8], credentialID: [UInt8])
    case decryptDerived(box: GCMSealedBox, aad: [UInt8], credentialID: [UInt8])

    var keyClass: ObjectClass {
        switch self {
        case .sign, .signDigest: .privateKey
        case .encrypt, .decrypt, .encryptDerived, .decryptDerived: .secretKey
        }
    }

    /// A short name of the operation kind, for metrics labels (`sign`, `sign_digest`, ...).
    public var kindName: String {
        switch self {
        case .sign: "sign"
        case .signDigest: "sign_digest"
        case .encrypt: "encrypt"
        case .decrypt: "decrypt"
        case .encryptDerived: "encrypt_derived"
        case .decryptDerived: "decrypt_derived"
        }
    }
}

/// The result of an `HSMOperation`.
public enum HSMResult: Sendable, Equatable {
    case signature([UInt8])
    case sealed(GCMSealedBox)
    case plaintext([UInt8])
}

/// One finished operation, reported to `SchedulerConfiguration.completionObserver` for per-backend
/// latency metrics. The latency runs from queueing to completion: what a caller waits for the HSM.
public struct HSMCompletion: Sendable {
    /// The backend that ran the operation.
    public var backend: String
    /// `HSMOperation.kindName`.
    public var operation: String
    /// False when the HSM refused the request (bad input, wrong key); backend faults that moved
    /// the job elsewhere are not reported here.
    public var succeeded: Bool
    public var latency: Duration
}
