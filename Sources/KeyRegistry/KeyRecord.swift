// The registry's view of a key: a name, a purpose, an algorithm and numbered versions, each
// pointing at material in the HSM by CKA_ID. This record is what the registry stores on the
// token (as a data object next to the key material), so a replicated HSM carries it.

import Foundation

/// Algorithms a key can have (mirrors `persona.hsm.v1.Algorithm`).
public enum KeyAlgorithm: String, Codable, Sendable, CaseIterable {
    case ed25519
    case ecdsaP256SHA256 = "ecdsa-p256-sha256"
    case rsa2048PKCS1SHA256 = "rsa2048-pkcs1-sha256"
    case rsa3072PKCS1SHA256 = "rsa3072-pkcs1-sha256"
    case rsa2048PSSSHA256 = "rsa2048-pss-sha256"
    case rsa3072PSSSHA256 = "rsa3072-pss-sha256"
    case aes256GCM = "aes256-gcm"

    /// Whether the algorithm signs (as opposed to encrypting).
    public var isSigning: Bool { self != .aes256GCM }
}

extension KeyRecord {
    /// What a key may be used for (mirrors `persona.hsm.v1.KeyPurpose`).
    public enum Purpose: String, Codable, Sendable {
        case signVerify = "sign-verify"
        case encryptDecrypt = "encrypt-decrypt"
        case derive
        case wrap

        /// Whether `algorithm` fits this purpose.
        public func allows(_ algorithm: KeyAlgorithm) -> Bool {
            switch self {
            case .signVerify: return algorithm.isSigning
            case .encryptDecrypt, .derive, .wrap: return algorithm == .aes256GCM
            }
        }
    }
}

/// Life-cycle state of a version (mirrors `persona.hsm.v1.KeyState`).
public enum KeyVersionState: String, Codable, Sendable {
    case enabled
    case disabled
    /// Verification only: older did:key versions after rotation.
    case verifyOnly = "verify-only"
    case destructionScheduled = "destruction-scheduled"
    case destroyed
}

/// One version of a key.
public struct KeyVersionRecord: Codable, Hashable, Sendable {
    public var version: UInt32
    public var state: KeyVersionState
    public var createdMillis: Int64
    /// When a scheduled destruction happens.
    public var destroyAfterMillis: Int64?
    /// State to return to if a scheduled destruction is cancelled.
    public var stateBeforeDestruction: KeyVersionState?
    /// CKA_ID of the material on every backend, hex.
    public var hsmID: String
    /// SubjectPublicKeyInfo DER of signing keys, cached for verification without the HSM.
    public var publicKeySPKI: [UInt8]?
    /// did:key of Ed25519 versions.
    public var didKey: String?
    /// Backends that hold the material.
    public var backends: [String]

    public init(version: UInt32, state: KeyVersionState, createdMillis: Int64, hsmID: String,
                publicKeySPKI: [UInt8]?, didKey: String?, backends: [String]) {
        self.version = version
        self.state = state
        self.createdMillis = createdMillis
        self.hsmID = hsmID
        self.publicKeySPKI = publicKeySPKI
        self.didKey = didKey
        self.backends = backends
    }

    enum CodingKeys: String, CodingKey {
        case version, state, createdMillis, destroyAfterMillis, stateBeforeDestruction, hsmID, publicKeySPKI, didKey,
             backends
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(UInt32.self, forKey: .version)
        state = try c.decode(KeyVersionState.self, forKey: .state)
        createdMillis = try c.decode(Int64.self, forKey: .createdMillis)
        destroyAfterMillis = try c.decodeIfPresent(Int64.self, forKey: .destroyAfterMillis)
        stateBeforeDestruction = try c.decodeIfPresent(KeyVersionState.self, forKey: .stateBeforeDestruction)
        hsmID = try c.decode(String.self, forKey: .hsmID)
        publicKeySPKI = try c.decodeIfPresent(Data.self, forKey: .publicKeySPKI).map { Array($0) }
        didKey = try c.decodeIfPresent(String.self, forKey: .didKey)
        backends = try c.decode([String].self, forKey: .backends)
    }

    /// SPKI bytes are stored as base64 (Data), not as an array of numbers.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(version, forKey: .version)
        try c.encode(state, forKey: .state)
        try c.encode(createdMillis, forKey: .createdMillis)
        try c.encodeIfPresent(destroyAfterMillis, forKey: .destroyAfterMillis)
        try c.encodeIfPresent(stateBeforeDestruction, forKey: .stateBeforeDestruction)
        try c.encode(hsmID, forKey: .hsmID)
        try c.encodeIfPresent(publicKeySPKI.map { Data($0) }, forKey: .publicKeySPKI)
        try c.encodeIfPresent(didKey, forKey: .didKey)
        try c.encode(backends, forKey: .backends)
    }

    /// May sign or encrypt.
    public var isUsableForPrivateOperations: Bool { state == .enabled }
    /// May verify or decrypt.
    public var isUsableForPublicOperations: Bool { state == .enabled || state == .verifyOnly }
}

/// A named key with its versions.
public struct KeyRecord: Codable, Hashable, Sendable {
    public var name: String
    public var purpose: Purpose
    public var algorithm: KeyAlgorithm
    public var primaryVersion: UInt32
    public var versions: [KeyVersionRecord]
    /// 0 disables automatic rotation.
    public var rotationPeriodSeconds: UInt64
    public var nextRotationMillis: Int64
    public var labels: [String: String]
    public var createdMillis: Int64
    /// Material may be wrapped under the backup key.
    public var allowBackup: Bool
    /// Bumped on every change, so a stale writer can be detected.
    public var revision: UInt64

    public init(name: String, purpose: Purpose, algorithm: KeyAlgorithm, rotationPeriodSeconds: UInt64,
                labels: [String: String], createdMillis: Int64, allowBackup: Bool) {
        self.name = name
        self.purpose = purpose
        self.algorithm = algorithm
        self.primaryVersion = 0
        self.versions = []
        self.rotationPeriodSeconds = rotationPeriodSeconds
        self.nextRotationMillis = 0
        self.labels = labels
        self.createdMillis = createdMillis
        self.allowBackup = allowBackup
        self.revision = 0
    }

    /// The version with number `number`.
    public func version(_ number: UInt32) -> KeyVersionRecord? {
        versions.first { $0.version == number }
    }

    public var primary: KeyVersionRecord? { version(primaryVersion) }
}
